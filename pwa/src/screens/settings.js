// Settings: the phone, its storage, sync, the server's ledger head and the PIN.
import { el } from "../forms.js";
import { formatDateTime, language, nameOf, t } from "../i18n.js";
import { formatDecimal } from "../numbers.js";
import * as outbox from "../outbox.js";
import { qrCode } from "../qr.js";
import { meta } from "../store.js";
import { APP_VERSION } from "../sync.js";
import * as vault from "../vault.js";
import { exportWaitingSection } from "./carry.js";
import { back, go, show, state } from "./common.js";
import { lock } from "./pin.js";
import { askPersistence, formatBytes, storageNotices, storageState, syncStatus } from "./status.js";

export async function settingsScreen() {
  const [device, storage, waiting] = await Promise.all([meta.get(state.db, "device"), storageState(), outbox.pendingCount(state.db)]);
  const fact = (label, value) => [el("dt", {}, label), el("dd", {}, value)];
  show(t("Settings"), settingsScreen,
    el("h2", {}, t("This phone")),
    el("dl", { class: "facts" },
      ...fact(t("Agency"), nameOf(device?.agency?.names, device?.agency?.code ?? "")),
      ...fact(t("Device ID"), device?.id ?? ""),
      ...fact(t("App version"), APP_VERSION)),
    el("h2", {}, t("Storage")),
    el("p", {}, storage.quota == null ? t("This browser does not say how much space the app may use.")
      : t("{used} of {quota} used", { used: formatBytes(storage.usage), quota: formatBytes(storage.quota) })),
    storage.persisted ? el("p", {}, t("The browser has promised to keep this app's data.")) : null,
    ...storageNotices(storage),
    storage.persisted === false ? el("button", { type: "button", class: "secondary", onclick: async () => {
      const granted = await askPersistence();
      state.notice = granted ? { text: t("The browser has promised to keep this app's data.") }
        : { text: t("The browser said no. Add Wildledger to the home screen (Install), use it for a few days, then ask again; until then, sync often."), kind: "warning" };
      settingsScreen();
    } }, t("Ask the browser to keep the data")) : null,
    el("h2", {}, t("Sync")),
    syncStatus(),
    ...exportWaitingSection(waiting),
    ...(await ledgerHead()),
    el("h2", {}, t("PIN")),
    el("p", {}, {
      "screen-lock": t("The data on this phone opens with the PIN and the phone's screen lock together: a copy of it cannot be opened anywhere else."),
      argon2id: t("The data on this phone opens with the PIN. This phone has no screen lock the app can use, so a 6-digit PIN is what protects a copy of it: revoke a lost phone at once."),
      pbkdf2: t("The data on this phone opens with the PIN; its protection is strengthened at the next unlock."),
    }[await vault.protection(state.db)] ?? null),
    el("button", { type: "button", class: "secondary", onclick: () => go("change-pin") }, t("Change the PIN")),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Back")),
      el("button", { type: "button", class: "secondary", onclick: lock }, t("Lock"))));
}

/**
 * The newest head of the server's ledger this phone has verified (PROTOCOL.md §9): as text,
 * as a QR code and as a file, so a supervisor or an auditor can hold the server to it
 * (`flask ledger prove`).
 */
async function ledgerHead() {
  const head = await meta.get(state.db, "logHead");
  if (!head) return [el("h2", {}, t("The server's ledger")), el("p", { class: "muted" }, t("No ledger head verified yet."))];
  const text = JSON.stringify(head);
  const exportHead = () => {
    const link = el("a", { href: URL.createObjectURL(new Blob([text + "\n"], { type: "application/json" })),
      download: `wildledger-head-${head.epoch}-${head.size}.json` });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  };
  const fact = (label, value) => [el("dt", {}, label), el("dd", {}, value)];
  return [
    el("h2", {}, t("The server's ledger")),
    el("p", {}, t("The newest state of the server's ledger that this phone has checked. Your supervisor can hold the server to it.")),
    el("dl", { class: "facts ledger-head" },
      ...fact(t("Records"), formatDecimal(String(head.size), language())),
      ...fact(t("Checked at"), formatDateTime(head.time)),
      ...fact(t("Root"), el("code", { class: "wrap" }, head.root)),
      ...fact(t("Epoch"), String(head.epoch))),
    qrCode(text, t("The ledger head as a QR code")),
    el("button", { type: "button", class: "secondary", onclick: exportHead }, t("Export the ledger head")),
  ];
}
