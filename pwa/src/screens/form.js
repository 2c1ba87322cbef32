// A form: a new record, a draft or a correction, and sealing it.
import { el, renderForm } from "../forms.js";
import { t, tn, ts } from "../i18n.js";
import * as outbox from "../outbox.js";
import { drafts, meta, privateMeta, reference } from "../store.js";
import { show, state, sync } from "./common.js";
import { home } from "./home.js";

const MAX_OFFICERS = 10;

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

export async function openDraft(id) {
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
export async function formScreen(definition, draft = null) {
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

/** Before an update's reload: the open form becomes a draft that reopens after unlocking. */
export async function keepFormForUpdate() {
  if (!state.snapshot || !state.dataKey) return;
  await meta.put(state.db, "resume", { draft: await state.snapshot() });
}
