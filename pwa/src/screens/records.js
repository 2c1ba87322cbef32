// My records, and one record from its readable copy.
import { el, renderForm } from "../forms.js";
import { formatDateTime, t, ts } from "../i18n.js";
import * as outbox from "../outbox.js";
import { COPY_DAYS, copies, meta, reference } from "../store.js";
import { STATE_LABELS, formTitles, live, show, state } from "./common.js";
import { formContext, formScreen } from "./form.js";
import { home, recordList } from "./home.js";
import { unlockScreen } from "./pin.js";

export async function recordsScreen() {
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
export async function recordScreen(rid) {
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
