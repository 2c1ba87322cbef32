// Home: new records, drafts, the latest records and sync.
import { el } from "../forms.js";
import { formatDateTime, language, nameOf, t, tn, ts } from "../i18n.js";
import * as contacts from "../contacts.js";
import { formatDecimal } from "../numbers.js";
import * as outbox from "../outbox.js";
import { copies, drafts, meta, reference } from "../store.js";
import { summaryOf } from "../summary.js";
import { APP_VERSION } from "../sync.js";
import { BRAND, REVIEW_LABELS, STATE_LABELS, formTitles, go, live, show, state } from "./common.js";
import { newRecord, openDraft } from "./form.js";
import { lock } from "./pin.js";
import { storageNotices, storageState, syncStatus } from "./status.js";

const RECENT_RECORDS = 5;

/**
 * The newest version of each form this app can render, from the pulled definitions. A form
 * with `started_from` (the wrong-number report: "directory") is only reached from that
 * screen, never listed on the home screen: pass `startedFrom` to get those.
 */
export function latestForms(definitions, { startedFrom = null } = {}) {
  const forms = new Map();
  for (const definition of definitions.values()) {
    if (!definition?.form || compareVersions(definition.min_app_version ?? "0", APP_VERSION) > 0) continue;
    if ((definition.started_from ?? null) !== startedFrom) continue;
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

/** A summary (summary.js) as a line in the current language: "Tê tê Java 12,5 kg · … — Móng Cái". */
function summaryText(summary, names) {
  if (!summary) return "";
  const what = summary.items.map((item) => {
    const name = nameOf(names.species.get(item.species)?.names, item.species);
    const amount = item.quantity == null ? "" : ` ${formatDecimal(String(item.quantity), language())}${item.unit ? ` ${item.unit}` : ""}`;
    return name + amount;
  }).join(" · ");
  const placeNames = names.crossings.get(summary.place)?.names ?? names.places.get(summary.place)?.names;
  const where = summary.place && nameOf(placeNames, summary.place);
  return [what, where].filter(Boolean).join(" — ");
}

async function referenceNames() {
  const [species, crossings, places] = await Promise.all(["species", "crossings", "places"].map((name) => reference.all(state.db, name)));
  return { species, crossings, places };
}

/** Every record this phone sealed, newest first, each with its summary line. */
export async function recordsWithSummaries() {
  const [all, summaries, names, reviews] = await Promise.all([outbox.statuses(state.db), copies.summaries(state.db, state.dataKey),
    referenceNames(), contacts.openAll(state.db, state.dataKey, "reviews")]);
  return all.map((record) => ({ ...record, summary: summaryText(summaries.get(record.rid), names), review: reviews.get(record.rid) ?? null }));
}

async function draftsWithSummaries() {
  const [list, names] = await Promise.all([drafts.list(state.db), referenceNames()]);
  return Promise.all(list.map(async (draft) => {
    const opened = await drafts.open(state.db, state.dataKey, draft.id).catch(() => null);
    return { ...draft, summary: summaryText(opened ? summaryOf(opened.fields) : null, names) };
  }));
}

export function recordList(records, titleOf) {
  const labels = STATE_LABELS();
  const reviewLabels = REVIEW_LABELS();
  const corrected = new Set(records.map((record) => record.supersedes).filter(Boolean));
  return el("ul", { class: "list" }, ...records.map((record) => el("li", { class: `record state-${record.state}`, "data-rid": record.rid },
    el("button", { type: "button", class: "row-button", onclick: () => go("record", { rid: record.rid }) },
      el("span", {}, titleOf(record.form)),
      el("span", { class: "muted" }, formatDateTime(record.sealed_at)),
      record.summary ? el("span", { class: "summary" }, record.summary) : null,
      el("span", { class: "badge" }, labels[record.state] ?? record.state),
      record.review ? el("span", { class: `badge review-${record.review.state}` }, reviewLabels[record.review.state] ?? record.review.state) : null,
      record.supersedes ? el("span", { class: "badge" }, t("Correction")) : null,
      corrected.has(record.rid) ? el("span", { class: "badge" }, t("Corrected")) : null),
    record.state === "quarantined" ? el("span", { class: "reason" }, record.message || record.code) : null)));
}

export async function home() {
  const [definitions, device, storage] = await Promise.all([reference.all(state.db, "forms"), meta.get(state.db, "device"), storageState()]);
  const forms = latestForms(definitions);
  const titleOf = formTitles(definitions);
  const newButtons = [...forms.values()].map((definition) =>
    el("button", { type: "button", onclick: () => newRecord(definition) }, t("New: {form}", { form: ts(definition.title) })));
  const draftList = (await draftsWithSummaries()).map((draft) => el("li", {},
    el("button", { type: "button", class: "row-button", onclick: () => openDraft(draft.id) },
      el("span", {}, titleOf(draft.form)), el("span", { class: "muted" }, t("Saved {time}", { time: formatDateTime(draft.updated_at) })),
      draft.summary ? el("span", { class: "summary" }, draft.summary) : null)));
  const records = live(async () => {
    const all = await recordsWithSummaries();
    return [
      el("h2", {}, t("My records")),
      all.length ? recordList(all.slice(0, RECENT_RECORDS), titleOf) : el("p", { class: "muted" }, t("No records yet.")),
      all.length > RECENT_RECORDS ? el("button", { type: "button", class: "secondary", onclick: () => go("records") },
        tn("All {n} record", "All {n} records", all.length)) : null,
    ];
  });
  show(BRAND, home,
    el("p", { class: "muted" }, nameOf(device?.agency?.names, device?.agency?.code ?? "")),
    ...storageNotices(storage),
    forms.size ? el("div", { class: "actions" }, ...newButtons)
      : el("p", { class: "notice warning" }, t("The forms have not been downloaded yet. Connect to the network and press Sync now.")),
    el("div", { class: "actions" }, el("button", { type: "button", class: "secondary directory", onclick: () => go("directory") }, t("Directory"))),
    syncStatus(),
    el("section", { class: "drafts" }, el("h2", {}, t("Drafts")), draftList.length ? el("ul", { class: "list" }, ...draftList) : el("p", { class: "muted" }, t("No drafts."))),
    records,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: () => go("records") }, t("My records")),
      el("button", { type: "button", class: "secondary", onclick: () => go("settings") }, t("Settings")),
      el("button", { type: "button", class: "secondary", onclick: lock }, t("Lock"))));
}
