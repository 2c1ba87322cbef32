// A form: a new record, a draft or a correction; the review before sealing; sealing it.
//
// What the officer types is never lost: the open form is saved as an encrypted draft a moment
// after every change, and at once when the app is hidden, locked or reloaded, so that no
// path (Discard refused, the back gesture, the lock, a reload, an update, the tab killed by
// Android) loses more than the last keystroke. The form's history entry names its draft;
// after the lock or a reload the officer is back in it, where they were.
import { uuid } from "../crypto.js";
import { el, renderForm } from "../forms.js";
import zones from "../../../server/reference/data/zone_aliases.json";
import { t, tn, ts } from "../i18n.js";
import * as outbox from "../outbox.js";
import { drafts, meta, privateMeta, reference } from "../store.js";
import { back, backHome, go, keepResuming, show, state, sync } from "./common.js";

const MAX_OFFICERS = 10;
const ZONE_ALIASES = zones.aliases;
const AUTOSAVE_MS = 300;

export async function formContext() {
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

/** A new, empty record of this form; it becomes a draft at the first change. */
export const newRecord = (definition) => go("form", { draft: uuid(), form: definition.form, version: definition.version });

/** A correction of record `rid`: a draft at once, holding the record's fields. */
export async function newCorrection(definition, fields, rid) {
  const id = await drafts.save(state.db, state.dataKey, { form: definition.form, version: definition.version, fields, supersedes: rid });
  return go("form", { draft: id });
}

export const openDraft = (id) => go("form", { draft: id });

/** The draft `id` and its definition, or null (after a notice) when either is gone. */
async function draftAndDefinition({ draft: id, form, version }) {
  const saved = await drafts.open(state.db, state.dataKey, id);
  const definition = (await reference.all(state.db, "forms")).get(`${saved?.form ?? form}.v${saved?.version ?? version}`);
  if (definition && (saved || form)) return { saved, definition };
  if (saved) state.notice = { text: t("This draft's form is no longer available."), kind: "warning" };
  go("home", {}, { replace: true });
  return null;
}

/** The form screen of a history entry: {draft, form, version} (form and version until it is saved). */
export async function formScreen(params) {
  const found = await draftAndDefinition(params);
  if (!found) return;
  const { saved, definition } = found;
  if (saved) await keepResuming("form", { draft: params.draft });
  await editor(definition, { id: params.draft, fields: saved?.fields ?? {}, supersedes: saved?.supersedes ?? null, saved: Boolean(saved) });
}

async function editor(definition, draft) {
  const ctx = await formContext();
  const rendered = renderForm(definition, ctx, draft.fields);
  const defaults = renderForm(definition, ctx, {}).raw(); // what a blank form holds (today, the agency)
  const message = el("p", { class: "error", role: "alert", hidden: true });
  let closed = false;
  let timer = null;
  let saving = Promise.resolve();
  let lastSaved = JSON.stringify(rendered.raw()); // defaults alone (today, the agency) make no draft
  const save = () => {
    clearTimeout(timer);
    timer = null;
    saving = saving.then(async () => {
      const fields = rendered.raw();
      const text = JSON.stringify(fields);
      if (closed || !state.dataKey || (text === lastSaved && draft.saved)) return;
      await drafts.save(state.db, state.dataKey, { id: draft.id, form: definition.form, version: definition.version, fields, supersedes: draft.supersedes });
      lastSaved = text;
      if (!draft.saved) {
        draft.saved = true;
        await keepResuming("form", { draft: draft.id });
      }
    });
    return saving;
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(save, AUTOSAVE_MS);
  };
  for (const type of ["input", "change", "click"]) rendered.element.addEventListener(type, changed);

  const review = async () => {
    const { errors } = rendered.read();
    if (errors.length) {
      message.textContent = tn("{n} field needs attention.", "{n} fields need attention.", errors.length);
      message.hidden = false;
      return;
    }
    draft.saved = false; // a review needs the draft saved even if nothing changed since it opened
    await save();
    go("review", { draft: draft.id });
  };
  const close = async () => {
    await save();
    if (draft.saved) state.notice = { text: t("Draft saved.") };
    back();
  };
  const bar = el("div", { class: "actions sticky" });
  const buttons = () => bar.replaceChildren(
    el("button", { type: "button", onclick: review }, t("Review")),
    el("button", { type: "button", class: "secondary", onclick: close }, t("Save draft")),
    el("button", { type: "button", class: "secondary", onclick: confirmDiscard }, t("Discard")));
  const confirmDiscard = () => {
    const filled = countFilled(rendered.raw(), defaults);
    bar.replaceChildren(el("div", { class: "confirm", role: "alertdialog", "aria-labelledby": "discard-question" },
      el("p", { id: "discard-question" }, t("Discard this record?"), " ",
        filled ? tn("The {n} field you filled in will be lost.", "The {n} fields you filled in will be lost.", filled)
          : t("Nothing has been typed in it yet.")),
      el("button", { type: "button", class: "danger", onclick: discard }, t("Discard")),
      el("button", { type: "button", class: "secondary", onclick: () => {
        buttons();
        bar.querySelector("button").focus();
      } }, t("Keep editing"))));
    bar.querySelector("button.secondary").focus();
  };
  const discard = async () => {
    closed = true;
    clearTimeout(timer);
    await saving;
    await drafts.remove(state.db, draft.id);
    state.notice = { text: t("The record was discarded.") };
    back();
  };
  buttons();
  show(ts(definition.title), () => editor(definition, { ...draft, fields: rendered.raw() }),
    draft.supersedes ? el("p", { class: "notice" }, t("This is a correction. The earlier record is kept, and this one is shown in its place.")) : null,
    rendered.element, message, bar);
  state.flush = save;
  if (history.state?.scroll) window.scrollTo(0, history.state.scroll);
}

/** The values typed into a form's raw() tree, not counting a blank form's defaults: what Discard would lose. */
function countFilled(value, defaults) {
  if (Array.isArray(value)) return value.reduce((n, item, i) => n + countFilled(item, defaults?.[i]), 0);
  if (value && typeof value === "object") {
    return Object.entries(value).reduce((n, [key, item]) => n + countFilled(item, defaults?.[key]), 0);
  }
  return value === undefined || value === "" || value === defaults ? 0 : 1;
}

// The zone the officer lives in when sealing: the store gets UTC times plus this, so the
// local hour is known on both sides of Boten (UTC+7) and Mohan (UTC+8). Browsers report some
// zones by deprecated names (ICU's Asia/Saigon): the region's name from the shared table.
export const timeZone = (reported = Intl.DateTimeFormat().resolvedOptions().timeZone) => ZONE_ALIASES[reported] ?? reported;

/**
 * The review before sealing: the record as it will be sealed, what is empty and which
 * optional sections were skipped; "Submit" here is the deliberate second tap.
 */
export async function reviewScreen(params) {
  const found = await draftAndDefinition(params);
  if (!found?.saved) return;
  const { saved, definition } = found;
  const ctx = await formContext();
  const { fields, errors } = renderForm(definition, ctx, saved.fields).read();
  if (errors.length) return back(); // the form says what is missing
  const view = renderForm(definition, ctx, fields);
  const { empty, skipped } = emptyParts(definition, fields);
  const submit = async (event) => {
    event.target.disabled = true;
    await seal(definition, fields, saved);
    backHome(); // the review, the form and what led to them are done with
    sync();
  };
  await keepResuming("review", { draft: saved.id });
  show(t("Check before submitting"), () => reviewScreen(params),
    el("p", {}, t("This is the record as it will be sealed. Once submitted it cannot be changed, only corrected; it will be sent at the next sync.")),
    saved.supersedes ? el("p", { class: "notice" }, t("This is a correction. The earlier record is kept, and this one is shown in its place.")) : null,
    empty.length ? el("section", { class: "review-empty" }, el("h2", {}, t("Not filled in")), el("p", {}, empty.join(", "))) : null,
    skipped.length ? el("section", { class: "review-skipped" }, el("h2", {}, t("Sections left empty")), el("p", {}, skipped.join(", "))) : null,
    el("fieldset", { class: "readonly", disabled: true }, view.element),
    el("div", { class: "actions sticky" },
      el("button", { type: "button", onclick: submit }, t("Submit")),
      el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Back to the form"))));
}

/** Labels of the empty top-level fields, and of the empty sections (objects and groups). */
function emptyParts(definition, fields) {
  const empty = [];
  const skipped = [];
  for (const field of definition.fields) {
    const value = fields[field.name];
    const missing = value === undefined || (Array.isArray(value) && !value.length)
      || (value && typeof value === "object" && !Array.isArray(value) && !Object.keys(value).length);
    if (missing) (field.type === "object" || field.type === "group" ? skipped : empty).push(ts(field.label));
  }
  return { empty, skipped };
}

async function seal(definition, fields, saved) {
  const [device, deviceKey, serverKeys] = await Promise.all(["device", "deviceKey", "serverKeys"].map((k) => meta.get(state.db, k)));
  const intake = serverKeys.intake.find((key) => key.current) ?? serverKeys.intake[0];
  const document = { form: definition.form, version: definition.version, fields, tz: timeZone() };
  if (saved.supersedes) document.supersedes = saved.supersedes;
  // A User Timing entry: what sealing and storing costs shows in DevTools and bench/pwa.py.
  const sealing = performance.now();
  await outbox.enqueue(state.db, { document, deviceKey, device, intake, dataKey: state.dataKey, now: Date.now() });
  performance.measure("wildledger:seal", { start: sealing });
  await drafts.remove(state.db, saved.id);
  await rememberOfficer(fields.reporting_officer);
  state.notice = { text: t("Sealed. The record will be sent at the next sync.") };
  registerBackgroundSync();
}

async function registerBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.ready;
    await registration?.sync?.register("wildledger-sync");
  } catch {
    // Background Sync is a bonus where the browser has it; foreground sync always runs
  }
}
