// The emergency contact directory: search crossings, agencies and contacts; the officer's
// counterpart across a crossing; one contact (call, message, QR code, report a wrong
// number); the phrasebook for a first call. Works offline; needs the app unlocked, since
// contacts are kept sealed (contacts.js) and opened with the PIN's data key.
import * as contactStore from "../contacts.js";
import { ABOUT, COUNTRY_LANGUAGE, buildIndex, contactsOf, counterparts, daysSince, displayName, duty, links, nearestCrossing,
  otherSide, searchDirectory, stale, staleAfterDays, timeIn, vcard } from "../directory.js";
import { el } from "../forms.js";
import { LANGUAGES, language, languageTag, nameOf, t, tn } from "../i18n.js";
import { qrCode } from "../qr.js";
import { drafts, meta, reference } from "../store.js";
import { back, go, live, show, state } from "./common.js";
import { latestForms } from "./home.js";

// What the directory is built from; a change to any of them (a sync) builds it again.
const SOURCES = ["directory", "agencies", "crossings", "counterparts", "codes", "places"];
const FEEDBACK_FORM = "directory_feedback";
const PHRASES = "first_call_phrase";
const SEARCH_LIMIT = 3;
const SEARCH_ALL = 100;
const ROWS_KEPT = 1000; // result rows kept for reuse, at most
const AGENCY_CONTACTS = 1;

/**
 * The opened directory and its search index, kept in memory while the app is unlocked (the
 * lock forgets it: state.directory). Built at most once per sync and data key.
 */
export async function loadDirectory() {
  const stamp = JSON.stringify(await Promise.all(SOURCES.map((name) => reference.checkpoint(state.db, name))));
  const cached = state.directory;
  if (cached && cached.dataKey === state.dataKey && cached.stamp === stamp) return cached.promise;
  const dataKey = state.dataKey;
  const promise = (async () => {
    const [opened, agencies, crossings, links, codes, places, device] = await Promise.all([
      contactStore.openAll(state.db, dataKey), ...SOURCES.slice(1).map((name) => reference.all(state.db, name)),
      meta.get(state.db, "device")]);
    const contacts = contactsOf(opened);
    return {
      contacts, byKey: new Map(contacts.map((contact) => [contact.key, contact])), byAgency: byAgency(contacts), agencies, crossings, counterparts: links, codes, places,
      staleDays: staleAfterDays(opened), index: buildIndex({ crossings, agencies, contacts, codes, places }),
      me: agencies.get(device?.agency?.code) ?? device?.agency ?? null,
    };
  })();
  state.directory = { dataKey, stamp, promise };
  promise.catch(() => {
    if (state.directory?.promise === promise) state.directory = null;
  });
  return promise;
}

/** Each agency's contacts, 24-hour duty desks first. */
function byAgency(contacts) {
  const map = new Map();
  for (const contact of contacts) {
    if (!map.has(contact.agency)) map.set(contact.agency, []);
    map.get(contact.agency).push(contact);
  }
  for (const list of map.values()) list.sort((a, b) => Number(!a.hours?.always) - Number(!b.hours?.always));
  return map;
}

/** After the PIN: open the directory in the background, so that the first search is instant. */
export const warmDirectory = () => loadDirectory().catch((error) => console.warn("directory", error));

const codeName = (data, list, key) => nameOf(data.codes.get(list)?.items?.find((item) => item.key === key)?.names, key);
const agencyName = (data, code) => nameOf(data.agencies.get(code)?.names, code);
const roleOf = (contact) => nameOf(contact.role, contact.key);

/** "Directory updated 3 days ago", from the last completed directory pull. */
async function directoryAge() {
  const pulled = await meta.get(state.db, contactStore.PULLED);
  const days = daysSince(pulled?.at, Date.now());
  const text = days === null ? t("The directory has not been downloaded yet. Connect to the network and press Sync now.")
    : days === 0 ? t("Directory updated today.") : tn("Directory updated {n} day ago.", "Directory updated {n} days ago.", days);
  return el("p", { class: `directory-age${days === null ? " notice warning" : " muted"}` }, text);
}

// Working out hours in another zone is the costliest part of a result row, and the answer
// holds for the minute: kept per contact and minute, for the keystrokes to come.
const dutyMemo = new WeakMap();

/** "On duty now", or when it opens, in the officer's time and in the desk's. */
export function dutyText(contact, now = Date.now()) {
  const minute = Math.floor(now / 60_000);
  const memo = dutyMemo.get(contact);
  if (memo?.minute === minute && memo.language === language()) return memo.text;
  const text = dutyTextNow(contact, now);
  dutyMemo.set(contact, { minute, language: language(), text });
  return text;
}

function dutyTextNow(contact, now) {
  const found = duty(contact, now);
  if (found.onDuty) return { on: true, text: t("On duty now") };
  const parts = [];
  if (found.closedNote) parts.push(t("Closed today: {note}", { note: found.closedNote }));
  if (found.opensAt) {
    const sameDay = new Date(found.opensAt).toDateString() === new Date(now).toDateString();
    const tag = languageTag();
    parts.push(t("Opens {time} ({local} local time there)", {
      time: timeIn(found.opensAt, undefined, tag, !sameDay), local: timeIn(found.opensAt, contact.time_zone, tag, !sameDay) }));
  }
  return { on: false, text: parts.length ? parts.join(" ") : t("Off duty") };
}

// Rows are flat (text in blocks, no nested flex boxes) and few while typing: a keystroke
// lays out and paints only what it changed (searchView), on a cheap phone within a frame.
function contactRow(data, contact, crossing, { withAgency = true } = {}) {
  const status = dutyText(contact);
  const [phone] = links(contact).phones; // in an emergency, one tap from the list
  return el("li", { class: "contact", "data-key": contact.key },
    el("button", { type: "button", class: "row-button", onclick: () => go("contact", { key: contact.key, crossing: crossing ?? null }) },
      el("span", { class: "contact-role" }, roleOf(contact)),
      contact.name || contact.name_latin ? el("span", {}, displayName(contact, language())) : null,
      withAgency ? el("span", { class: "muted" }, agencyName(data, contact.agency)) : null,
      el("span", { class: `badge duty ${status.on ? "on-duty" : "off-duty"}` }, status.text),
      contact.demo ? el("span", { class: "badge" }, t("Demo")) : null),
    phone ? el("a", { class: "call", href: phone.href }, t("Call {number}", { number: phone.number })) : null);
}

const contactList = (data, list, crossing) => el("ul", { class: "list contacts" }, ...list.map((contact) => contactRow(data, contact, crossing)));

/** An agency found: its name and work, and its first contact (24-hour desks first), enough to call at once. */
function agencyRow(data, agency) {
  const own = data.byAgency.get(agency.code) ?? [];
  return el("li", { class: "agency", "data-code": agency.code },
    el("span", { class: "agency-name" }, nameOf(agency.names, agency.code)),
    el("span", { class: "muted" }, (agency.functions ?? []).map((fn) => codeName(data, "agency_function", fn)).join(", ")),
    own.length ? el("ul", { class: "list contacts" }, ...own.slice(0, AGENCY_CONTACTS).map((contact) => contactRow(data, contact, null, { withAgency: false })))
      : el("p", { class: "muted" }, t("No contact for this agency in the directory.")),
    own.length > AGENCY_CONTACTS ? el("p", { class: "muted" }, tn("{n} more contact: search for a name or role.",
      "{n} more contacts: search for a name or role.", own.length - AGENCY_CONTACTS)) : null);
}

const crossingRow = (crossing, onCrossing) => el("li", { "data-key": crossing.key },
  el("button", { type: "button", class: "row-button", onclick: () => onCrossing(crossing.key) },
    el("span", {}, nameOf(crossing.names, crossing.key)), el("span", { class: "muted" }, t("My counterpart here"))));

/** Puts `nodes` in `parent` in this order, touching only what differs (a kept row is not moved). */
function place(parent, nodes) {
  const wanted = new Set(nodes);
  for (const child of [...parent.children]) if (!wanted.has(child)) child.remove();
  nodes.forEach((node, i) => {
    const at = parent.children[i];
    if (at !== node) parent.insertBefore(node, at ?? null);
  });
  hide(parent, nodes.length === 0);
}

// Only a change is written: setting an attribute to what it was still costs a style check.
function hide(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

/**
 * The search results, updated in place as the officer types: the best few of each kind (all
 * of them, up to SEARCH_ALL, once asked for). A row is made once per item and kept while the
 * screen is up, so a keystroke costs the rows it adds, not a new list: a 24-hour desk found by
 * "d", "do" and "don" is laid out and painted once. Rows say whether a desk is on duty, so
 * they are made again when the minute changes.
 */
function searchView(data, onCrossing) {
  const rows = new Map();
  let minute = null;
  let query = "";
  const row = (kind, key, make) => {
    const id = `${kind} ${key}`;
    let node = rows.get(id);
    if (!node) rows.set(id, (node = make()));
    return node;
  };
  const section = (kind, title) => ({ heading: el("h3", { hidden: true }, title), list: el("ul", { class: `list ${kind}`, hidden: true }) });
  const kinds = { crossings: section("crossings", t("Crossings")), agencies: section("agencies", t("Agencies")),
    contacts: section("contacts", t("Contacts")) };
  const nothing = el("p", { class: "muted", hidden: true }, t("Nothing found."));
  const more = el("button", { type: "button", class: "secondary more-results", hidden: true, onclick: () => render(query, SEARCH_ALL) },
    t("Show more results"));
  const node = el("section", { class: "directory-results", "aria-live": "polite" }, nothing,
    ...Object.values(kinds).flatMap(({ heading, list }) => [heading, list]), more);

  function render(text, limit = SEARCH_LIMIT) {
    query = text;
    // Rows are kept while one search is typed or corrected; an emptied box starts afresh.
    const now = Math.floor(Date.now() / 60_000);
    if (now !== minute || !text.trim() || rows.size > ROWS_KEPT) {
      rows.clear();
      minute = now;
    }
    const found = text.trim() ? searchDirectory(data.index, text, { limit: limit + 1 }) : { crossings: [], agencies: [], contacts: [] };
    const cut = (list) => list.slice(0, limit);
    const shown = {
      crossings: cut(found.crossings).map((crossing) => row("crossing", crossing.key, () => crossingRow(crossing, onCrossing))),
      agencies: cut(found.agencies).map((agency) => row("agency", agency.code, () => agencyRow(data, agency))),
      contacts: cut(found.contacts).map((contact) => row("contact", contact.key, () => contactRow(data, contact))),
    };
    for (const [kind, { heading, list }] of Object.entries(kinds)) {
      place(list, shown[kind]);
      hide(heading, list.hidden);
    }
    const any = Object.values(shown).some((list) => list.length);
    hide(nothing, any || !text.trim());
    hide(more, !(limit < SEARCH_ALL && Object.values(found).some((list) => list.length > limit)));
    node.classList.toggle("all", limit >= SEARCH_ALL);
  }
  return { node, render };
}

function counterpartSection(data, crossingKey) {
  if (!crossingKey) return [el("p", { class: "muted" }, t("Choose a crossing to see who to call on the other side."))];
  if (!data.me?.code) return [el("p", { class: "muted" }, t("This phone's agency is not known."))];
  const found = counterparts(data.me.code, crossingKey, data);
  if (found.notOnBorder) return [el("p", { class: "muted" }, t("This crossing is not on your country's border."))];
  const out = [];
  if (found.inferred) out.push(el("p", { class: "muted" }, t("No agreed counterpart is recorded for this crossing yet: these are the agencies across it with the same work as yours.")));
  for (const at of found.agencies) {
    out.push(el("article", { class: "counterpart", "data-code": at.agency.code },
      el("h3", {}, nameOf(at.agency.names, at.agency.code)),
      at.bases.length ? el("p", { class: "basis" }, t("Basis of the link: {basis}", { basis: at.bases.map((basis) => codeName(data, "counterpart_basis", basis)).join(", ") })) : null,
      ...at.notes.map((note) => el("p", { class: "muted", lang: "en" }, note)),
      at.via && at.contacts.length ? el("p", { class: "muted" }, t("Reached through {agency}:", { agency: nameOf(at.via.names, at.via.code) })) : null,
      at.contacts.length ? contactList(data, at.contacts, crossingKey) : el("p", { class: "muted" }, t("No contact for this agency in the directory."))));
  }
  for (const none of found.noneKnown) {
    out.push(el("div", { class: "notice warning none-known" },
      el("p", {}, t("No counterpart known for: {functions}", { functions: none.functions.map((fn) => codeName(data, "agency_function", fn)).join(", ") })),
      none.note ? el("p", { lang: "en" }, none.note) : null));
  }
  if (!out.length) out.push(el("p", { class: "muted" }, t("No counterpart found at this crossing.")));
  return out;
}

/** Crossings on the officer's country's border, by name (all of them if the country is not known). */
function crossingChoices(data) {
  const country = data.me?.country;
  return [...data.crossings.values()].filter((crossing) => crossing?.key && crossing.sides && crossing.key !== ABOUT
    && (!country || crossing.sides.some((side) => side.country === country)))
    .sort((a, b) => nameOf(a.names, a.key).localeCompare(nameOf(b.names, b.key), languageTag()));
}

export async function directoryScreen(params = {}) {
  const data = await loadDirectory();
  let crossing = params.crossing ?? null;
  // The crossing is kept in the history entry (Back returns to it); what was searched is not: it may be a name.
  const remember = () => history.replaceState({ ...history.state, params: { ...history.state?.params, crossing } }, "");
  const results = searchView(data, (key) => choose(key));
  const search = el("input", { id: "directory-search", type: "search", autocomplete: "off", value: params.q ?? "",
    oninput: () => results.render(search.value) });
  const choices = crossingChoices(data);
  const picker = el("select", { id: "crossing", onchange: () => choose(picker.value || null) },
    el("option", { value: "" }, t("Choose…")),
    ...choices.map((c) => el("option", { value: c.key, selected: c.key === crossing || undefined }, nameOf(c.names, c.key))));
  const position = el("p", { class: "muted", role: "status" });
  const mine = el("section", { class: "my-counterpart-results" });
  const phrasesButton = el("button", { type: "button", class: "secondary", onclick: () => go("phrasebook", { crossing }) }, t("Phrasebook"));
  function choose(key) {
    crossing = key;
    if (key && ![...picker.options].some((o) => o.value === key)) picker.append(el("option", { value: key }, nameOf(data.crossings.get(key)?.names, key)));
    picker.value = key ?? "";
    mine.replaceChildren(...counterpartSection(data, crossing));
    remember();
    if (key) picker.scrollIntoView({ block: "start" });
  }
  const nearest = () => {
    if (!navigator.geolocation) return (position.textContent = t("This phone cannot give a position. Choose the crossing instead."));
    position.textContent = t("Finding your position…");
    navigator.geolocation.getCurrentPosition((fix) => {
      const found = nearestCrossing(fix.coords.latitude, fix.coords.longitude, choices);
      if (!found) return (position.textContent = t("No crossing is known near here."));
      position.textContent = t("Nearest crossing: {name}, {km} km away.", { name: nameOf(found.crossing.names, found.key), km: Math.round(found.km) });
      choose(found.key);
    }, () => (position.textContent = t("This phone cannot give a position. Choose the crossing instead.")),
    { enableHighAccuracy: false, timeout: 15_000, maximumAge: 5 * 60_000 });
  };
  show(t("Directory"), () => directoryScreen({ crossing, q: search.value }),
    live(async () => [await directoryAge()]),
    el("label", { for: "directory-search" }, t("Search crossings, agencies and people")), search, results.node,
    el("h2", {}, t("My counterpart")),
    el("label", { for: "crossing" }, t("Crossing")), picker,
    el("button", { type: "button", class: "secondary", onclick: nearest }, t("Nearest crossing")), position,
    mine,
    el("div", { class: "actions" }, phrasesButton, el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Back"))));
  mine.replaceChildren(...counterpartSection(data, crossing));
  if (search.value.trim()) results.render(search.value);
}

// -- one contact ---------------------------------------------------------------------------

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
function weekday(day) {
  const index = WEEKDAYS.indexOf(day);
  try {
    return new Intl.DateTimeFormat(languageTag(), { weekday: "short", timeZone: "UTC" }).format(new Date(Date.UTC(2024, 0, 1 + index)));
  } catch {
    return day;
  }
}

function hoursText(contact) {
  if (contact.hours?.always) return t("24 hours a day");
  return (contact.hours?.weekly ?? []).map((span) => {
    const [first, last] = span.days ?? [];
    const days = !last || last === first ? weekday(first) : `${weekday(first)}–${weekday(last)}`;
    return `${days} ${span.from}–${span.to}`;
  }).join("; ");
}

function languageNames(codes) {
  let names = null;
  try {
    names = new Intl.DisplayNames([languageTag()], { type: "language" });
  } catch {
    names = null;
  }
  return (codes ?? []).map((code) => names?.of(code) ?? code).join(", ");
}

const PHONE_TYPES = () => ({ office: t("Office"), mobile: t("Mobile"), hotline: t("Hotline"), fax: t("Fax") });

function copyButton(text) {
  const button = el("button", { type: "button", class: "secondary copy", onclick: async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = t("Copied");
    } catch {
      button.textContent = t("Could not copy");
    }
  } }, t("Copy"));
  return button;
}

/** The newest version of the wrong-number form this app can render, or null before it is pulled. */
async function feedbackForm() {
  const forms = await reference.all(state.db, "forms");
  return [...latestForms(forms, { startedFrom: "directory" }).values()].find((definition) => definition.form === FEEDBACK_FORM) ?? null;
}

/** The wrong-number report, as a draft holding the contact and the number (sealed like any record). */
async function reportNumber(definition, contact, number) {
  const id = await drafts.save(state.db, state.dataKey, { form: definition.form, version: definition.version,
    fields: { contact: contact.key, ...(number ? { number } : {}) } });
  go("form", { draft: id });
}

export async function contactScreen({ key, crossing = null }) {
  const [data, definition] = await Promise.all([loadDirectory(), feedbackForm()]);
  const contact = data.byKey.get(key);
  if (!contact) {
    state.notice = { text: t("This contact is no longer in the directory."), kind: "warning" };
    return back();
  }
  const fact = (label, value) => (value ? [el("dt", {}, label), el("dd", {}, value)] : []);
  const found = links(contact);
  const types = PHONE_TYPES();
  const status = dutyText(contact);
  const qrSlot = el("div", { class: "vcard" });
  const crossingKey = crossing ?? contact.crossings?.[0] ?? null;
  const person = contact.name || contact.name_latin ? displayName(contact, language()) : null;
  const verified = contact.verified_on ? [contact.verified_on, contact.verified_by].filter(Boolean).join(", ") : t("Never");
  show(displayName(contact, language()), () => contactScreen({ key, crossing }),
    contact.demo ? el("p", { class: "notice warning" }, t("Demo contact: this number does not reach anyone.")) : null,
    el("p", { class: `duty-status ${status.on ? "on-duty" : "off-duty"}`, role: "status" }, status.text),
    el("dl", { class: "facts" },
      ...fact(t("Agency"), agencyName(data, contact.agency)),
      ...fact(t("Role"), roleOf(contact)),
      ...fact(t("Person"), person),
      ...fact(t("Languages spoken"), languageNames(contact.languages)),
      ...fact(t("Hours, local time there"), hoursText(contact)),
      ...fact(t("Time zone"), contact.time_zone),
      ...fact(t("Verified"), verified)),
    stale(contact, Date.now(), data.staleDays) ? el("p", { class: "notice warning stale" }, t("May be out of date: check the number before relying on it.")) : null,
    found.phones.length ? el("h2", {}, t("Phone")) : null,
    el("ul", { class: "list phones" }, ...found.phones.map((phone) => el("li", {},
      el("a", { class: "call", href: phone.href }, t("Call {number}", { number: phone.number })),
      el("span", { class: "muted" }, types[phone.type] ?? phone.type),
      definition ? el("button", { type: "button", class: "link report", onclick: () => reportNumber(definition, contact, phone.number) },
        t("This number did not work")) : null))),
    found.messaging.length ? el("h2", {}, t("Messaging")) : null,
    el("ul", { class: "list messaging" }, ...found.messaging.map((m) => el("li", {},
      el("span", { class: "badge" }, m.platform),
      m.href ? el("a", { href: m.href, target: "_blank", rel: "noopener" }, m.handle) : el("span", { class: "handle" }, m.handle),
      m.href ? null : copyButton(m.handle)))),
    found.email ? el("p", {}, el("a", { href: found.email.href }, found.email.address)) : null,
    !definition ? el("p", { class: "muted" }, t("The form to report a wrong number has not been downloaded yet.")) : null,
    el("div", { class: "actions" },
      el("button", { type: "button", class: "secondary", onclick: (event) => {
        if (qrSlot.firstChild) return qrSlot.replaceChildren();
        const agency = data.agencies.get(contact.agency);
        qrSlot.replaceChildren(qrCode(vcard(contact, language(), agency), t("The contact as a QR code, to add it to the phone's address book")));
        event.target.setAttribute("aria-expanded", "true");
      } }, t("Show as QR code")),
      !found.phones.length && definition ? el("button", { type: "button", class: "secondary", onclick: () => reportNumber(definition, contact, null) },
        t("Report a problem with this contact")) : null,
      el("button", { type: "button", class: "secondary", onclick: () => go("phrasebook", { crossing: crossingKey, contact: key }) }, t("Phrasebook"))),
    qrSlot,
    el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Back")));
}

// -- the phrasebook ------------------------------------------------------------------------------

/** The counterpart's language: that of the other side of the crossing, or of the contact's country. */
function theirLanguage(data, { crossing, contact }) {
  const mine = language();
  const country = otherSide(data.crossings.get(crossing), data.me?.country)
    ?? data.agencies.get(data.byKey.get(contact)?.agency)?.country;
  const found = COUNTRY_LANGUAGE[country];
  return found && found !== mine ? found : mine === "en" ? "vi" : "en";
}

export async function phrasebookScreen(params = {}) {
  const data = await loadDirectory();
  const mine = language();
  let theirs = params.language ?? theirLanguage(data, params);
  const tagOf = (code) => LANGUAGES.find((l) => l.code === code)?.tag ?? code;
  const picker = el("select", { id: "their-language", onchange: () => {
    theirs = picker.value;
    history.replaceState({ ...history.state, params: { ...params, language: theirs } }, "");
    table.replaceChildren(...rows());
  } }, ...LANGUAGES.map((l) => el("option", { value: l.code, lang: l.tag, selected: l.code === theirs || undefined }, l.name)));
  // The sentences are reference data (codes/first_call_phrase), pulled like any code list.
  const phrases = (data.codes.get(PHRASES)?.items ?? []).filter((item) => !item.retired);
  const rows = () => phrases.map((phrase) => el("li", { class: "phrase", "data-key": phrase.key },
    el("p", { class: "phrase-mine", lang: tagOf(mine) }, phrase.names[mine] ?? phrase.names.en),
    el("p", { class: "phrase-theirs", lang: tagOf(theirs) }, phrase.names[theirs] ?? phrase.names.en)));
  const table = el("ol", { class: "phrasebook" }, ...rows());
  show(t("Phrasebook"), () => phrasebookScreen({ ...params, language: theirs }),
    el("p", { class: "muted" }, t("Sentences for a first call across the border. Show the large text to the other officer, or read it out.")),
    el("label", { for: "their-language" }, t("The other officer's language")), picker,
    table,
    el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Back")));
}

