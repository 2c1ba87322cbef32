// The app's screens. Each screen is a function that renders into #app; state lives in
// IndexedDB (store.js) except the unlocked data key, which is only ever in memory.
import * as crypto from "./crypto.js";
import { ApiError, Unreachable, enroll } from "./api.js";
import { el, renderForm } from "./forms.js";
import { LANGUAGES, formatDateTime, language, languageTag, nameOf, preferredLanguage, setLanguage, t, tn, ts } from "./i18n.js";
import { formatDecimal } from "./numbers.js";
import * as outbox from "./outbox.js";
import { qrCode } from "./qr.js";
import { COPY_DAYS, copies, drafts, meta, privateMeta, reference, stranded } from "./store.js";
import { APP_VERSION, COLLECTIONS, Revoked, events, syncOnce } from "./sync.js";
import * as vault from "./vault.js";

const BRAND = "Wildledger"; // a name, the same in every language
const LOCK_AFTER_HIDDEN_MS = 5 * 60 * 1000;
const RECENT_RECORDS = 5;
const RESTORE_NOTICE_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_OFFICERS = 10;
// Below this much free space (or 10 % of the quota) the officer is warned before a
// record fails to save.
const NEARLY_FULL_BYTES = 25 * 1024 * 1024;
// `redraw` re-renders the screen on show in the current language, keeping what was typed;
// `snapshot` gives the open form's draft, to keep it across an update's reload.
const state = { db: null, dataKey: null, hiddenAt: null, syncing: false, notice: null, redraw: null, redrawing: false, snapshot: null };

// -- rendering helpers ------------------------------------------------------------------

/** A section re-rendered whenever sync changes something, while it is on screen. */
function live(render) {
  const node = el("section", { "aria-live": "polite" });
  node.refresh = async () => node.replaceChildren(...(await render()).filter(Boolean));
  node.classList.add("live");
  node.refresh();
  return node;
}

const refreshLive = () => document.querySelectorAll("section.live").forEach((node) => node.refresh?.());

const root = () => document.getElementById("app");

/** Puts a screen up. `redraw` renders it again (after a language switch) without losing input. */
function show(title, redraw, ...content) {
  state.redraw = redraw;
  state.snapshot = null;
  const heading = el("h1", { tabindex: "-1" }, title);
  root().replaceChildren(el("header", { class: "top" }, heading, languagePicker()), el("main", {}, banner(), ...content));
  if (state.redrawing) return;
  heading.focus();
  window.scrollTo(0, 0);
}

function banner() {
  if (!state.notice) return null;
  const node = el("p", { class: `notice ${state.notice.kind ?? ""}`, role: "status" }, state.notice.text);
  state.notice = null;
  return node;
}

function pinInput(id, labelText, autocomplete = "current-password") {
  return [
    el("label", { for: id }, labelText),
    el("input", { id, type: "password", inputmode: "numeric", pattern: "[0-9]*", autocomplete, minlength: 6, maxlength: 12, required: true }),
  ];
}


async function serverCatalog(code = language()) {
  const item = (await reference.all(state.db, "translations")).get(code);
  return item?.messages ?? {};
}

async function switchLanguage(code) {
  await setLanguage(code, await serverCatalog(code));
  const settings = (await meta.get(state.db, "settings")) ?? {};
  await meta.put(state.db, "settings", { ...settings, language: code });
}

// Inputs outside forms (a PIN being typed) by id; forms keep theirs through `redraw`.
const KEPT_INPUTS = "main input[id]:not([type=checkbox]), main select[id], main textarea[id]";

/** Another language, at any moment: the same screen again, what was typed still there. */
async function changeLanguage(code) {
  const typed = [...document.querySelectorAll(KEPT_INPUTS)].map((node) => [node.id, node.value]);
  const scroll = window.scrollY;
  await switchLanguage(code);
  state.redrawing = true;
  try {
    await state.redraw?.();
  } finally {
    state.redrawing = false;
  }
  for (const [id, value] of typed) {
    const node = document.getElementById(id);
    if (node && !node.value) node.value = value;
  }
  window.scrollTo(0, scroll);
  document.getElementById("language")?.focus();
  window.dispatchEvent(new Event("wl:language"));
}

function languagePicker() {
  const select = el("select", { id: "language", onchange: () => changeLanguage(select.value) },
    ...LANGUAGES.map((l) => el("option", { value: l.code, selected: l.code === language() || undefined, lang: l.tag }, l.name)));
  return el("div", { class: "language" }, el("label", { for: "language" }, t("Language")), select);
}

// -- start --------------------------------------------------------------------------------

export async function start(db) {
  state.db = db;
  const settings = (await meta.get(db, "settings")) ?? {};
  const code = settings.language ?? preferredLanguage();
  await setLanguage(code, await serverCatalog(code));
  events.addEventListener("revoked", () => revokedScreen());
  events.addEventListener("change", () => refreshLive());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") state.hiddenAt = Date.now();
    else if (state.dataKey && state.hiddenAt && Date.now() - state.hiddenAt > LOCK_AFTER_HIDDEN_MS) lock();
  });
  return route();
}

async function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const device = await meta.get(state.db, "device");
  if (!device && location.pathname.endsWith("/enroll") && params.get("t")) return enrollScreen(Object.fromEntries(params));
  if (!device) return (await meta.get(state.db, "revoked")) ? revokedScreen() : notEnrolledScreen();
  if (location.hash) history.replaceState(null, "", "/");
  if (!(await vault.isSet(state.db))) return newPinScreen();
  return state.dataKey ? home() : unlockScreen();
}

export function sync(options = {}) {
  return syncOnce(state.db, { languageTag, ...options }).then(async (result) => {
    if (options.pullAll || result?.state === "ok") await setLanguage(language(), await serverCatalog());
    return result;
  }).catch((error) => {
    if (!(error instanceof Revoked)) console.error("sync", error);
  });
}

// -- enrollment -----------------------------------------------------------------------------

function notEnrolledScreen() {
  show(BRAND, notEnrolledScreen,
    el("p", {}, t("This phone is not enrolled yet.")),
    el("p", {}, t("Scan the enrollment QR code your supervisor shows you with the phone's camera.")));
}

async function revokedScreen() {
  state.dataKey = null;
  const kept = await stranded.count(state.db);
  show(t("This phone was revoked"), revokedScreen,
    el("p", {}, kept ? t("Your supervisor revoked this phone. Everything the app kept on it has been erased, except the sealed records below.")
      : t("Your supervisor revoked this phone. Everything the app kept on it has been erased.")),
    kept ? el("p", { class: "notice warning", role: "alert" },
      tn("{n} sealed record never reached the server. It is encrypted and reveals nothing. Give this phone to your supervisor so that it can be carried in.",
        "{n} sealed records never reached the server. They are encrypted and reveal nothing. Give this phone to your supervisor so that they can be carried in.", kept)) : null,
    el("p", {}, t("To use Wildledger again, ask your supervisor for a new enrollment QR code.")));
}

function enrollScreen(params) {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const progress = el("p", { role: "status" });
  const button = el("button", { type: "submit" }, t("Enroll this phone"));
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    message.hidden = true;
    const pin = form.querySelector("#pin").value;
    if (!vault.validPin(pin)) return fail(t("The PIN must be 6 to 12 digits."));
    if (pin !== form.querySelector("#pin2").value) return fail(t("The two PINs are not the same."));
    button.disabled = true;
    try {
      progress.textContent = t("Enrolling…");
      const deviceKey = await crypto.generateDeviceKey();
      const answer = await enroll(location.origin, params, deviceKey, languageTag());
      await meta.put(state.db, "deviceKey", deviceKey);
      await meta.put(state.db, "serverKeys", { signing: answer.signing_key, intake: answer.intake_keys.map((k, i) => ({ ...k, current: i === 0 })) });
      await meta.put(state.db, "clock", { offset_ms: answer.server_time - Date.now() });
      await meta.put(state.db, "device", { id: answer.device_id, agency: answer.agency, officer_name: answer.officer_name, enrolled_at: Date.now() });
      await meta.put(state.db, "revoked", null);
      progress.textContent = t("Setting the PIN…");
      state.dataKey = await vault.setPin(state.db, pin);
      await askPersistence();
      progress.textContent = t("Downloading forms and reference data…");
      history.replaceState(null, "", "/");
      const result = await sync({ pullAll: true });
      state.notice = result?.state === "ok"
        ? { text: t("This phone is enrolled and ready.") }
        : { text: t("This phone is enrolled. Forms will download at the next sync."), kind: "warning" };
      home();
    } catch (error) {
      button.disabled = false;
      progress.textContent = "";
      if (error instanceof ApiError && error.code === "server_key_mismatch") {
        fail(t("The server's keys do not match the QR code. Do not enroll on this network; tell your supervisor."));
      } else if (error instanceof ApiError) {
        fail(error.problem.message || error.code);
      } else {
        fail(t("Cannot reach the server. Check the connection and try again."));
      }
    }
  } },
    el("p", {}, t("Choose a PIN of at least 6 digits. You will need it to open the app.")),
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    button, progress, message);
  const fail = (text) => {
    message.textContent = text;
    message.hidden = false;
  };
  show(t("Enroll this phone"), () => enrollScreen(params), form);
}

// -- PIN ------------------------------------------------------------------------------------

function lock() {
  state.dataKey = null;
  unlockScreen();
}

function newPinScreen(reason, { reset = false } = {}) {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const pin = form.querySelector("#pin").value;
    const fail = (text) => Object.assign(message, { textContent: text, hidden: false });
    if (!vault.validPin(pin)) return fail(t("The PIN must be 6 to 12 digits."));
    if (pin !== form.querySelector("#pin2").value) return fail(t("The two PINs are not the same."));
    state.dataKey = await (reset ? vault.resetPin(state.db, pin) : vault.setPin(state.db, pin));
    home();
  } },
    reason ? el("p", { class: "notice warning" }, reason) : null,
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    el("button", { type: "submit" }, t("Set PIN")), message);
  show(t("Choose a new PIN"), () => newPinScreen(reason, { reset }), form, syncStatus());
}

async function unlockScreen() {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const progress = el("p", { role: "status", class: "muted" });
  const button = el("button", { type: "submit" }, t("Unlock"));
  const screenLock = (await vault.protection(state.db)) === "screen-lock";
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const pin = form.querySelector("#pin").value;
    if (!vault.validPin(pin)) {
      // A slip of the thumb is not a guess: it must not count towards erasing the drafts.
      message.textContent = t("The PIN must be 6 to 12 digits.");
      message.hidden = false;
      return;
    }
    button.disabled = true;
    progress.textContent = t("Unlocking…");
    try {
      state.dataKey = await vault.unlock(state.db, pin);
      await afterUnlock();
    } catch (error) {
      button.disabled = false;
      progress.textContent = "";
      if (error instanceof vault.ScreenLockRefused) {
        message.textContent = t("The phone's screen lock was not confirmed. This phone's data opens with the PIN and the screen lock together.");
        message.hidden = false;
        return;
      }
      if (error instanceof vault.VaultWiped) {
        return newPinScreen(t("Too many wrong PINs: the drafts on this phone were erased. Submitted records are safe and still sync."));
      }
      if (!(error instanceof vault.WrongPin)) throw error;
      form.querySelector("#pin").value = "";
      message.textContent = tn("Wrong PIN. {n} attempt left before the drafts are erased.",
        "Wrong PIN. {n} attempts left before the drafts are erased.", error.remaining);
      message.hidden = false;
    }
  } }, ...pinInput("pin", t("PIN")),
    screenLock ? el("p", { class: "muted" }, t("After the PIN, the phone asks for its screen lock.")) : null,
    button, progress, message);
  show(t("Unlock Wildledger"), unlockScreen, form,
    el("button", { type: "button", class: "link", onclick: forgotPinScreen }, t("Forgot your PIN?")),
    syncStatus());
}

function forgotPinScreen() {
  show(t("Forgot your PIN?"), forgotPinScreen,
    el("p", {}, t("You can choose a new PIN on this phone. The drafts and the readable copies of submitted records will be erased; records already submitted still sync.")),
    el("button", { type: "button", class: "danger", onclick: () => newPinScreen(null, { reset: true }) },
      t("Erase drafts and choose a new PIN")),
    el("button", { type: "button", class: "secondary", onclick: unlockScreen }, t("Back")));
}

// -- home -------------------------------------------------------------------------------------

const STATE_LABELS = () => ({ waiting: t("Waiting"), sent: t("Sent"), accepted: t("Accepted"), quarantined: t("Quarantined") });

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

function syncStatus() {
  const node = live(async () => {
    const [pending, status] = await Promise.all([outbox.pendingCount(state.db), meta.get(state.db, "sync")]);
    return [
      ...(await logNotices()),
      el("p", {}, pending ? tn("{n} record waiting to sync", "{n} records waiting to sync", pending) : t("Nothing waiting to sync")),
      el("p", { class: "muted" }, t("Last sync: {time}", { time: formatDateTime(status?.last_success) })),
      status?.last_error && status.last_attempt > (status.last_success ?? 0)
        ? el("p", { class: "muted" }, t("The last attempt failed; the app will try again.")) : null,
      el("button", { type: "button", class: "secondary", disabled: state.syncing || undefined, onclick: async () => {
        state.syncing = true;
        refreshLive();
        await sync({ pullAll: true });
        state.syncing = false;
        refreshLive();
      } }, state.syncing ? t("Syncing…") : t("Sync now")),
    ];
  });
  node.classList.add("sync-status");
  return node;
}

/** The newest version of each form this app can render, from the pulled definitions. */
function latestForms(definitions) {
  const forms = new Map();
  for (const definition of definitions.values()) {
    if (!definition?.form || compareVersions(definition.min_app_version ?? "0", APP_VERSION) > 0) continue;
    if ((forms.get(definition.form)?.version ?? 0) < definition.version) forms.set(definition.form, definition);
  }
  return forms;
}

function compareVersions(a, b) {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] || 0) !== (pb[i] || 0)) return (pa[i] || 0) - (pb[i] || 0);
  return 0;
}

/** form id → its title in the current language. */
function formTitles(definitions) {
  return (name) => ts([...definitions.values()].find((definition) => definition?.form === name)?.title ?? name ?? "");
}

// -- storage ------------------------------------------------------------------------------------

/** Persistent storage keeps the browser from evicting unsynced records when the phone runs short of space. */
async function askPersistence() {
  try {
    if (!(await navigator.storage?.persisted?.())) await navigator.storage?.persist?.();
  } catch {
    // not every browser has the Storage API; the app works without it, at a risk it states
  }
}

async function storageState() {
  const storage = navigator.storage;
  const [persisted, estimate] = await Promise.all([
    storage?.persisted?.().catch(() => null) ?? null, storage?.estimate?.().catch(() => null) ?? null]);
  const usage = estimate?.usage ?? null;
  const quota = estimate?.quota ?? null;
  const free = quota == null ? null : quota - (usage ?? 0);
  return { persisted, usage, quota, free, nearlyFull: free != null && (free < NEARLY_FULL_BYTES || free < quota * 0.1) };
}

function formatBytes(bytes = 0) {
  const [unit, size] = bytes >= 1e9 ? ["GB", 1e9] : ["MB", 1e6];
  return `${formatDecimal(String(Math.round((bytes / size) * 10) / 10), language())} ${unit}`;
}

function storageNotices(storage) {
  return [
    storage.nearlyFull ? el("p", { class: "notice warning storage-full", role: "alert" },
      t("Storage is nearly full: {free} left. Sync now, then free up space on the phone, or new records may not be saved.", { free: formatBytes(storage.free) })) : null,
    storage.persisted === false ? el("p", { class: "notice warning storage-not-persistent" },
      t("The browser has not promised to keep this app's data: it may erase it when the phone runs short of space. Add Wildledger to the home screen, and sync often.")) : null,
  ];
}

// -- screens ------------------------------------------------------------------------------------

async function afterUnlock() {
  const resume = await meta.get(state.db, "resume");
  if (resume?.draft) {
    await meta.remove(state.db, "resume");
    if ((await drafts.list(state.db)).some((draft) => draft.id === resume.draft)) return openDraft(resume.draft);
  }
  return home();
}

/** Before an update's reload: the open form becomes a draft that reopens after unlocking. */
export async function keepFormForUpdate() {
  if (!state.snapshot || !state.dataKey) return;
  await meta.put(state.db, "resume", { draft: await state.snapshot() });
}

function recordList(records, titleOf) {
  const labels = STATE_LABELS();
  const corrected = new Set(records.map((record) => record.supersedes).filter(Boolean));
  return el("ul", { class: "list" }, ...records.map((record) => el("li", { class: `record state-${record.state}`, "data-rid": record.rid },
    el("button", { type: "button", class: "row-button", onclick: () => recordScreen(record.rid) },
      el("span", {}, titleOf(record.form)),
      el("span", { class: "muted" }, formatDateTime(record.sealed_at)),
      el("span", { class: "badge" }, labels[record.state] ?? record.state),
      record.supersedes ? el("span", { class: "badge" }, t("Correction")) : null,
      corrected.has(record.rid) ? el("span", { class: "badge" }, t("Corrected")) : null),
    record.state === "quarantined" ? el("span", { class: "reason" }, record.message || record.code) : null)));
}

async function home() {
  if (!state.dataKey) return unlockScreen();
  const [definitions, device, storage] = await Promise.all([reference.all(state.db, "forms"), meta.get(state.db, "device"), storageState()]);
  const forms = latestForms(definitions);
  const titleOf = formTitles(definitions);
  const newButtons = [...forms.values()].map((definition) =>
    el("button", { type: "button", onclick: () => formScreen(definition) }, t("New: {form}", { form: ts(definition.title) })));
  const draftList = (await drafts.list(state.db)).map((draft) => el("li", {},
    el("button", { type: "button", class: "row-button", onclick: () => openDraft(draft.id) },
      el("span", {}, titleOf(draft.form)), el("span", { class: "muted" }, t("Saved {time}", { time: formatDateTime(draft.updated_at) })))));
  const records = live(async () => {
    const all = await outbox.statuses(state.db);
    return [
      el("h2", {}, t("My records")),
      all.length ? recordList(all.slice(0, RECENT_RECORDS), titleOf) : el("p", { class: "muted" }, t("No records yet.")),
      all.length > RECENT_RECORDS ? el("button", { type: "button", class: "secondary", onclick: recordsScreen },
        tn("All {n} record", "All {n} records", all.length)) : null,
    ];
  });
  show(BRAND, home,
    el("p", { class: "muted" }, nameOf(device?.agency?.names, device?.agency?.code ?? "")),
    ...storageNotices(storage),
    forms.size ? el("div", { class: "actions" }, ...newButtons)
      : el("p", { class: "notice warning" }, t("The forms have not been downloaded yet. Connect to the network and press Sync now.")),
    syncStatus(),
    el("section", { class: "drafts" }, el("h2", {}, t("Drafts")), draftList.length ? el("ul", { class: "list" }, ...draftList) : el("p", { class: "muted" }, t("No drafts."))),
    records,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: recordsScreen }, t("My records")),
      el("button", { type: "button", class: "secondary", onclick: settingsScreen }, t("Settings")),
      el("button", { type: "button", class: "secondary", onclick: lock }, t("Lock"))));
}

async function recordsScreen() {
  if (!state.dataKey) return unlockScreen();
  const titleOf = formTitles(await reference.all(state.db, "forms"));
  const list = live(async () => {
    const [all, status] = await Promise.all([outbox.statuses(state.db), meta.get(state.db, "sync")]);
    return [
      el("p", { class: "muted" }, t("Last sync: {time}", { time: formatDateTime(status?.last_success) })),
      all.length ? recordList(all, titleOf) : el("p", { class: "muted" }, t("No records yet.")),
    ];
  });
  show(t("My records"), recordsScreen, list, el("button", { type: "button", class: "secondary", onclick: home }, t("Back")));
}

/** One submitted record from its PIN-encrypted local copy, and the way to correct it. */
async function recordScreen(rid) {
  if (!state.dataKey) return unlockScreen();
  const [copy, all, forms] = await Promise.all([
    copies.open(state.db, state.dataKey, rid), outbox.statuses(state.db), reference.all(state.db, "forms")]);
  const record = all.find((r) => r.rid === rid);
  const correction = all.find((r) => r.supersedes === rid);
  const definition = copy ? forms.get(`${copy.form}.v${copy.version}`) : null;
  const labels = STATE_LABELS();
  const title = ts(definition?.title ?? record?.form ?? "");
  const body = copy?.document && definition
    ? [
      el("fieldset", { class: "readonly", disabled: true }, renderForm(definition, await formContext(), copy.document.fields).element),
      el("button", { type: "button", onclick: () => formScreen(definition, { fields: copy.document.fields, supersedes: rid }) }, t("Make a correction")),
    ]
    : [el("p", { class: "muted" }, t("The readable copy of this record is no longer on the phone: it is erased {days} days after the record is accepted, or when the PIN is reset.", { days: COPY_DAYS }))];
  show(title, () => recordScreen(rid),
    el("p", {}, t("Sealed {time}", { time: formatDateTime(record?.sealed_at ?? copy?.sealed_at) }), " ",
      el("span", { class: "badge" }, labels[record?.state] ?? "")),
    record?.state === "quarantined" ? el("p", { class: "reason" }, record.message || record.code) : null,
    correction ? el("p", { class: "notice" }, t("A later correction replaces this record."), " ",
      el("button", { type: "button", class: "link", onclick: () => recordScreen(correction.rid) }, t("Open the correction"))) : null,
    ...body,
    el("button", { type: "button", class: "secondary", onclick: recordsScreen }, t("Back")));
}

async function settingsScreen() {
  if (!state.dataKey) return unlockScreen();
  const [device, storage] = await Promise.all([meta.get(state.db, "device"), storageState()]);
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
      await askPersistence();
      settingsScreen();
    } }, t("Ask the browser to keep the data")) : null,
    el("h2", {}, t("Sync")),
    syncStatus(),
    ...(await ledgerHead()),
    el("h2", {}, t("PIN")),
    el("p", {}, {
      "screen-lock": t("The data on this phone opens with the PIN and the phone's screen lock together: a copy of it cannot be opened anywhere else."),
      argon2id: t("The data on this phone opens with the PIN. This phone has no screen lock the app can use, so a 6-digit PIN is what protects a copy of it: revoke a lost phone at once."),
      pbkdf2: t("The data on this phone opens with the PIN; its protection is strengthened at the next unlock."),
    }[await vault.protection(state.db)] ?? null),
    el("button", { type: "button", class: "secondary", onclick: changePinScreen }, t("Change the PIN")),
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: home }, t("Back")),
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

function changePinScreen() {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const fail = (text) => Object.assign(message, { textContent: text, hidden: false });
    const [old, pin, again] = ["old-pin", "pin", "pin2"].map((id) => form.querySelector(`#${id}`).value);
    if (!vault.validPin(pin)) return fail(t("The PIN must be 6 to 12 digits."));
    if (pin !== again) return fail(t("The two PINs are not the same."));
    try {
      state.dataKey = await vault.changePin(state.db, old, pin);
    } catch (error) {
      if (error instanceof vault.VaultWiped) return newPinScreen(t("Too many wrong PINs: the drafts on this phone were erased. Submitted records are safe and still sync."));
      if (error instanceof vault.ScreenLockRefused) return fail(t("The phone's screen lock was not confirmed. This phone's data opens with the PIN and the screen lock together."));
      if (!(error instanceof vault.WrongPin)) throw error;
      return fail(tn("Wrong PIN. {n} attempt left before the drafts are erased.", "Wrong PIN. {n} attempts left before the drafts are erased.", error.remaining));
    }
    state.notice = { text: t("The PIN was changed.") };
    settingsScreen();
  } },
    ...pinInput("old-pin", t("Current PIN")),
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    el("button", { type: "submit" }, t("Change the PIN")),
    el("button", { type: "button", class: "secondary", onclick: settingsScreen }, t("Cancel")), message);
  show(t("Change the PIN"), changePinScreen, form);
}

// -- forms ---------------------------------------------------------------------------------------

async function formContext() {
  const all = async (name) => reference.all(state.db, name);
  const [codes, species, places, crossings, agencies, device, officers] = await Promise.all(
    [all("codes"), all("species"), all("places"), all("crossings"), all("agencies"), meta.get(state.db, "device"),
      privateMeta.get(state.db, state.dataKey, "officers")]);
  return { codes, species, places, crossings, agencies, device, officers: officers?.length ? officers : [device?.officer_name].filter(Boolean) };
}

async function rememberOfficer(name) {
  if (!name) return;
  const known = (await privateMeta.get(state.db, state.dataKey, "officers")) ?? [];
  await privateMeta.put(state.db, state.dataKey, "officers", [name, ...known.filter((n) => n !== name)].slice(0, MAX_OFFICERS));
}

async function openDraft(id) {
  const draft = await drafts.open(state.db, state.dataKey, id);
  const definition = draft && (await reference.all(state.db, "forms")).get(`${draft.form}.v${draft.version}`);
  if (!definition) {
    state.notice = { text: t("This draft's form is no longer available."), kind: "warning" };
    return home();
  }
  formScreen(definition, draft);
}

// The zone the officer lives in when sealing: the store gets UTC times plus this, so the
// local hour is known on both sides of Boten (UTC+7) and Mohan (UTC+8).
const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** A new record, a draft ({id, fields}) or a correction ({fields, supersedes}). */
async function formScreen(definition, draft = null) {
  const rendered = renderForm(definition, await formContext(), draft?.fields ?? {});
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const supersedes = draft?.supersedes ?? null;
  let draftId = draft?.id ?? null;
  const keep = async () => {
    draftId = await drafts.save(state.db, state.dataKey, { id: draftId ?? undefined, form: definition.form, version: definition.version, fields: rendered.raw(), supersedes });
    return draftId;
  };
  const saveDraft = async () => {
    await keep();
    state.notice = { text: t("Draft saved.") };
    home();
  };
  const submit = async () => {
    const { fields, errors } = rendered.read();
    if (errors.length) {
      message.textContent = tn("{n} field needs attention.", "{n} fields need attention.", errors.length);
      message.hidden = false;
      return;
    }
    const [device, deviceKey, serverKeys] = await Promise.all(["device", "deviceKey", "serverKeys"].map((k) => meta.get(state.db, k)));
    const intake = serverKeys.intake.find((key) => key.current) ?? serverKeys.intake[0];
    const document = { form: definition.form, version: definition.version, fields, tz: timeZone() };
    if (supersedes) document.supersedes = supersedes;
    // A User Timing entry: what sealing and storing costs shows in DevTools and bench/pwa.py.
    const sealing = performance.now();
    await outbox.enqueue(state.db, { document, deviceKey, device, intake, dataKey: state.dataKey, now: Date.now() });
    performance.measure("wildledger:seal", { start: sealing });
    if (draftId) await drafts.remove(state.db, draftId);
    await rememberOfficer(fields.reporting_officer);
    state.notice = { text: t("Sealed. The record will be sent at the next sync.") };
    registerBackgroundSync();
    home();
    sync();
  };
  show(ts(definition.title), () => formScreen(definition, { id: draftId, fields: rendered.raw(), supersedes }),
    supersedes ? el("p", { class: "notice" }, t("This is a correction. The earlier record is kept, and this one is shown in its place.")) : null,
    rendered.element, message,
    el("div", { class: "actions sticky" },
      el("button", { type: "button", onclick: submit }, t("Submit")),
      el("button", { type: "button", class: "secondary", onclick: saveDraft }, t("Save draft")),
      el("button", { type: "button", class: "secondary", onclick: home }, t("Cancel"))));
  state.snapshot = keep;
}

async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register("wildledger-sync");
  } catch {
    // Background Sync is a bonus where the browser has it; foreground sync always runs
  }
}

export { COLLECTIONS, Unreachable };
