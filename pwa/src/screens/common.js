// What every screen shares: the state the app holds in memory, putting a screen up, the
// language picker, live sections that follow sync, and sync itself.
import { el } from "../forms.js";
import { LANGUAGES, language, languageTag, setLanguage, t, ts } from "../i18n.js";
import { meta, reference } from "../store.js";
import { Revoked, syncOnce } from "../sync.js";

export const BRAND = "Wildledger"; // a name, the same in every language
// `redraw` re-renders the screen on show in the current language, keeping what was typed;
// `snapshot` gives the open form's draft, to keep it across an update's reload.
export const state = { db: null, dataKey: null, hiddenAt: null, syncing: false, notice: null, redraw: null, redrawing: false, snapshot: null };

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

/** form id → its title in the current language. */
export function formTitles(definitions) {
  return (name) => ts([...definitions.values()].find((definition) => definition?.form === name)?.title ?? name ?? "");
}

export function sync(options = {}) {
  return syncOnce(state.db, { languageTag, ...options }).then(async (result) => {
    if (options.pullAll || result?.state === "ok") await setLanguage(language(), await serverCatalog());
    return result;
  }).catch((error) => {
    if (!(error instanceof Revoked)) console.error("sync", error);
  });
}
