// What every screen shares: the state the app holds in memory, putting a screen up, the
// language picker, live sections that follow sync, and sync itself.
import { el } from "../forms.js";
import { LANGUAGES, language, languageTag, setLanguage, t, ts } from "../i18n.js";
import { meta, reference } from "../store.js";
import { Revoked, syncOnce } from "../sync.js";

export const BRAND = "Wildledger"; // a name, the same in every language
// `redraw` re-renders the screen on show in the current language, keeping what was typed;
// `flush` saves the open form at once (before the app locks, hides or reloads).
// `resuming`: a form may be recorded to reopen (meta "resume"); unknown at start, so checked once.
// `directory`: the opened contacts and their search index (screens/directory.js), while unlocked.
export const state = { db: null, dataKey: null, hiddenAt: null, syncing: false, notice: null, redraw: null, redrawing: false, flush: null, resuming: true, directory: null };

// -- navigation ---------------------------------------------------------------------------
// Every screen the officer reaches from another is an entry in the browser's history, so
// the back gesture and the Back buttons go back inside the app. An entry names its screen
// and what it shows ({screen, params, depth}); a screen is put up from its params alone,
// so the entry survives a reload and the lock. The PIN and enrollment screens are not
// entries: they stand in front of whatever entry is current.
const SCREENS = new Map();
// The screens that show an open form: the one the app returns to after the lock, a reload or
// a killed tab (meta "resume"), until the officer leaves it.
const FORM_SCREENS = new Set(["form", "review"]);

export function registerScreens(screens) {
  for (const [name, render] of Object.entries(screens)) SCREENS.set(name, render);
}

/** Puts up screen `name` as a new history entry (or in place of the current one). */
export function go(name, params = {}, { replace = false } = {}) {
  const depth = (history.state?.depth ?? 0) + (replace ? 0 : 1);
  history[replace ? "replaceState" : "pushState"]({ screen: name, params, depth }, "");
  return render(name, params);
}

/** Back to the screen before, or home when the app was opened on this one. */
export function back(entries = 1) {
  if ((history.state?.depth ?? 0) >= entries) history.go(-entries);
  else go("home", {}, { replace: true });
}

/** Home, the first entry of the app's history: what lies between is done with. */
export function backHome() {
  const depth = history.state?.depth ?? 0;
  if (depth > 0) history.go(-depth);
  else go("home", {}, { replace: true });
}

/** The screen of the current history entry (after the lock, a reload, the back gesture). */
export async function showCurrent() {
  const entry = history.state;
  if (entry?.screen && SCREENS.has(entry.screen)) return render(entry.screen, entry.params ?? {});
  const resume = state.dataKey ? await meta.get(state.db, "resume") : null;
  if (resume?.screen && SCREENS.has(resume.screen)) {
    history.replaceState({ screen: "home", params: {}, depth: 0 }, ""); // under the form, for Back
    return go(resume.screen, resume.params);
  }
  return go("home", {}, { replace: true });
}

async function render(name, params) {
  if (!state.dataKey) return SCREENS.get("unlock")();
  if (!FORM_SCREENS.has(name) && state.resuming) {
    state.resuming = false;
    await meta.remove(state.db, "resume");
  }
  return SCREENS.get(name)(params);
}

/** The open form, to be reopened after the lock, a reload or a killed tab. */
export async function keepResuming(name, params) {
  state.resuming = true;
  await meta.put(state.db, "resume", { screen: name, params });
}

// Inputs outside forms (a PIN being typed) by id; forms keep theirs through `redraw`.
const KEPT_INPUTS = "main input[id]:not([type=checkbox]), main select[id], main textarea[id]";

/** A section re-rendered whenever sync changes something, while it is on screen. */
export function live(render) {
  const node = el("section", { "aria-live": "polite" });
  node.refresh = async () => node.replaceChildren(...(await render()).filter(Boolean));
  node.classList.add("live");
  node.refresh();
  return node;
}

export const refreshLive = () => document.querySelectorAll("section.live").forEach((node) => node.refresh?.());

const root = () => document.getElementById("app");

/** Puts a screen up. `redraw` renders it again (after a language switch) without losing input. */
export function show(title, redraw, ...content) {
  state.redraw = redraw;
  state.flush = null;
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

export function pinInput(id, labelText, autocomplete = "current-password") {
  return [
    el("label", { for: id }, labelText),
    el("input", { id, type: "password", inputmode: "numeric", pattern: "[0-9]*", autocomplete, minlength: 6, maxlength: 12, required: true }),
  ];
}

export async function serverCatalog(code = language()) {
  const item = (await reference.all(state.db, "translations")).get(code);
  return item?.messages ?? {};
}

export async function switchLanguage(code) {
  await setLanguage(code, await serverCatalog(code));
  const settings = (await meta.get(state.db, "settings")) ?? {};
  await meta.put(state.db, "settings", { ...settings, language: code });
}

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

export const STATE_LABELS = () => ({ waiting: t("Waiting"), sent: t("Sent"), accepted: t("Accepted"), quarantined: t("Quarantined") });
/** A supervisor's review of a record (PROTOCOL.md §10, `reviews`). */
export const REVIEW_LABELS = () => ({ received: t("Seen by the supervisor"), has_issues: t("Has issues"), approved: t("Approved") });

/** form id → its title in the current language. */
export function formTitles(definitions) {
  return (name) => ts([...definitions.values()].find((definition) => definition?.form === name)?.title ?? name ?? "");
}

/** One sync; resolves with what it did ({state, sent} or {state, code}), never rejects. */
export function sync(options = {}) {
  return syncOnce(state.db, { languageTag, ...options }).then(async (result) => {
    if (options.pullAll || result?.state === "ok") await setLanguage(language(), await serverCatalog());
    return result;
  }).catch((error) => {
    if (!(error instanceof Revoked)) console.error("sync", error);
  });
}
