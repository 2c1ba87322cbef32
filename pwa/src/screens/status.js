// What the officer is told about sync, the server's ledger and the phone's storage.
import { el } from "../forms.js";
import { formatDateTime, language, t, tn } from "../i18n.js";
import { formatDecimal } from "../numbers.js";
import * as outbox from "../outbox.js";
import { meta } from "../store.js";
import { live, refreshLive, state, sync } from "./common.js";

const RESTORE_NOTICE_MS = 7 * 24 * 60 * 60 * 1000;
// Below this much free space (or 10 % of the quota) the officer is warned before a
// record fails to save.
const NEARLY_FULL_BYTES = 25 * 1024 * 1024;

/** What the log checks found (PROTOCOL.md §9): an alarm stays until a supervisor deals with the phone. */
async function logNotices() {
  const [alarm, restored] = await Promise.all([meta.get(state.db, "logAlarm"), meta.get(state.db, "logRestored")]);
  return [
    alarm ? el("p", { class: "notice danger log-alarm", role: "alert" },
      t("The server's records no longer match what it showed this phone before ({code}). Nothing will be deleted from this phone. Tell your supervisor now.", { code: alarm.code })) : null,
    restored && Date.now() - restored.at < RESTORE_NOTICE_MS ? el("p", { class: "notice log-restored", role: "status" },
      tn("The server was restored from a backup. This phone sent again the {n} record the server had lost.",
        "The server was restored from a backup. This phone sent again the {n} records the server had lost.", restored.resent)) : null,
  ];
}

/** Whether the phone can reach the server, as far as it knows: [class, text]. */
function connection(status) {
  if (navigator.onLine === false) return ["offline", t("Offline. Records wait on the phone and are sent when the network is back.")];
  if (status?.last_error && status.last_attempt > (status.last_success ?? 0)) {
    return status.last_error === "unreachable" ? ["unreachable", t("The server cannot be reached. Records wait on the phone.")]
      : ["failed", t("The last sync failed ({code}). Nothing is lost; the app will try again.", { code: status.last_error })];
  }
  return status?.last_success ? ["synced", t("In touch with the server.")] : ["never", t("Not synced with the server yet.")];
}

/** What the last "Sync now" did, said once, under the button. */
function syncResult(result) {
  if (!result) return null;
  const text = result.state === "ok"
    ? (result.sent ? tn("Sent {n} record.", "Sent {n} records.", result.sent) : t("Nothing to send; the server answered."))
    : result.code === "unreachable" ? t("The server could not be reached. Nothing was sent; the records wait on the phone.")
      : t("The server answered with an error ({code}). Nothing was sent; nothing is lost.", { code: result.code ?? "?" });
  return el("p", { class: `sync-result sync-${result.state}`, role: "status" }, text);
}

export function syncStatus() {
  const node = live(async () => {
    const [pending, status] = await Promise.all([outbox.pendingCount(state.db), meta.get(state.db, "sync")]);
    const [kind, said] = connection(status);
    return [
      ...(await logNotices()),
      el("p", { class: `connection connection-${kind}` }, said),
      el("p", {}, pending ? tn("{n} record waiting to sync", "{n} records waiting to sync", pending) : t("Nothing waiting to sync")),
      // The time of the last exchange the server answered, never of an attempt.
      el("p", { class: "muted" }, t("Last sync: {time}", { time: formatDateTime(status?.last_success) })),
      el("button", { type: "button", class: "secondary", disabled: state.syncing || undefined, onclick: async () => {
        state.syncing = true;
        state.syncResult = null;
        refreshLive();
        state.syncResult = (await sync({ pullAll: true })) ?? null;
        state.syncing = false;
        refreshLive();
      } }, state.syncing ? t("Syncing…") : t("Sync now")),
      syncResult(state.syncResult),
    ];
  });
  node.classList.add("sync-status");
  return node;
}

/**
 * Persistent storage keeps the browser from evicting unsynced records when the phone runs
 * short of space. True when granted, false when refused, null when the browser cannot say.
 */
export async function askPersistence() {
  try {
    if (await navigator.storage?.persisted?.()) return true;
    return (await navigator.storage?.persist?.()) ?? null;
  } catch {
    return null; // not every browser has the Storage API; the app works without it, at a risk it states
  }
}

export async function storageState() {
  const storage = navigator.storage;
  const [persisted, estimate] = await Promise.all([
    storage?.persisted?.().catch(() => null) ?? null, storage?.estimate?.().catch(() => null) ?? null]);
  const usage = estimate?.usage ?? null;
  const quota = estimate?.quota ?? null;
  const free = quota == null ? null : quota - (usage ?? 0);
  return { persisted, usage, quota, free, nearlyFull: free != null && (free < NEARLY_FULL_BYTES || free < quota * 0.1) };
}

export function formatBytes(bytes = 0) {
  const [unit, size] = bytes >= 1e9 ? ["GB", 1e9] : ["MB", 1e6];
  return `${formatDecimal(String(Math.round((bytes / size) * 10) / 10), language())} ${unit}`;
}

export function storageNotices(storage) {
  return [
    storage.nearlyFull ? el("p", { class: "notice warning storage-full", role: "alert" },
      t("Storage is nearly full: {free} left. Sync now, then free up space on the phone, or new records may not be saved.", { free: formatBytes(storage.free) })) : null,
    storage.persisted === false ? el("p", { class: "notice warning storage-not-persistent" },
      t("The browser has not promised to keep this app's data: it may erase it when the phone runs short of space. Add Wildledger to the home screen, and sync often.")) : null,
  ];
}
