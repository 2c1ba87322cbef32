// My records, and one record from its readable copy.
import * as contacts from "../contacts.js";
import { el, renderForm } from "../forms.js";
import { formatDateTime, t, ts } from "../i18n.js";
import * as outbox from "../outbox.js";
import { fold } from "../search.js";
import { COPY_DAYS, copies, meta, reference } from "../store.js";
import { REVIEW_LABELS, STATE_LABELS, back, formTitles, go, live, show, state } from "./common.js";
import { formContext, newCorrection } from "./form.js";
import { latestForms, recordList, recordsWithSummaries } from "./home.js";


export async function recordsScreen() {
  const titleOf = formTitles(await reference.all(state.db, "forms"));
  const labels = STATE_LABELS();
  let query = "";
  const search = el("input", { id: "record-search", type: "search", autocomplete: "off", oninput: () => {
    query = fold(search.value); // as species are searched: "tram kiem soat" finds "Trạm kiểm soát"
    list.refresh();
  } });
  const list = live(async () => {
    const [all, status] = await Promise.all([recordsWithSummaries(), meta.get(state.db, "sync")]);
    const shown = query ? all.filter((record) => fold([titleOf(record.form), record.summary, labels[record.state],
      formatDateTime(record.sealed_at), record.message ?? ""].join(" ")).includes(query)) : all;
    return [
      el("p", { class: "muted" }, t("Last sync: {time}", { time: formatDateTime(status?.last_success) })),
      shown.length ? recordList(shown, titleOf)
        : el("p", { class: "muted" }, all.length ? t("No record matches.") : t("No records yet.")),
    ];
  });
  show(t("My records"), recordsScreen,
    el("label", { for: "record-search" }, t("Search: species, place, date or state")), search,
    list, el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Back")));
}

/** One submitted record from its PIN-encrypted local copy, and the way to correct it. */
export async function recordScreen({ rid }) {
  const [copy, all, forms, reviews] = await Promise.all([
    copies.open(state.db, state.dataKey, rid), outbox.statuses(state.db), reference.all(state.db, "forms"),
    contacts.openAll(state.db, state.dataKey, "reviews")]);
  const review = reviews.get(rid);
  const record = all.find((r) => r.rid === rid);
  const correction = all.find((r) => r.supersedes === rid);
  const definition = copy ? forms.get(`${copy.form}.v${copy.version}`) : null;
  // A correction is made in the newest version of the form, so it can say what the old one did
  // not ask (seizure v3: what became of the specimens, decided long after the seizure).
  const newest = copy ? latestForms(forms).get(copy.form) : null;
  const correctIn = newest && newest.version > (definition?.version ?? 0) ? newest : definition;
  const labels = STATE_LABELS();
  const title = ts(definition?.title ?? record?.form ?? "");
  const body = copy?.document && definition
    ? [
      el("fieldset", { class: "readonly", disabled: true }, renderForm(definition, await formContext(), copy.document.fields).element),
      el("button", { type: "button", onclick: () => newCorrection(correctIn, copy.document.fields, rid) }, t("Make a correction")),
    ]
    : [el("p", { class: "muted" }, t("The readable copy of this record is no longer on the phone: it is erased {days} days after the record is accepted, or when the PIN is reset.", { days: COPY_DAYS }))];
  show(title, () => recordScreen({ rid }),
    el("p", {}, t("Sealed {time}", { time: formatDateTime(record?.sealed_at ?? copy?.sealed_at) }), " ",
      el("span", { class: "badge" }, labels[record?.state] ?? "")),
    record?.state === "quarantined" ? el("p", { class: "reason" }, record.message || record.code) : null,
    review ? el("section", { class: `review review-${review.state}` },
      el("h2", {}, t("Supervisor's review")),
      el("p", {}, el("span", { class: "badge" }, REVIEW_LABELS()[review.state] ?? review.state), " ",
        el("span", { class: "reviewer" }, review.by ?? ""), " · ", formatDateTime(Date.parse(review.at))),
      review.comment ? el("blockquote", { class: "comment" }, review.comment) : null) : null,
    correction ? el("p", { class: "notice" }, t("A later correction replaces this record."), " ",
      el("button", { type: "button", class: "link", onclick: () => go("record", { rid: correction.rid }) }, t("Open the correction"))) : null,
    ...body,
    el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Back")));
}
