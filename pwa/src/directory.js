// The emergency contact directory's logic, free of the DOM and of storage: searching
// crossings, agencies and contacts; who an officer's counterpart across a crossing is;
// whether a desk is on duty now, in its own time zone; links, vCards and staleness.
import { fold } from "./search.js";

export const LANGUAGES = ["en", "vi", "lo", "zh_Hans"];
export const ABOUT = "_about"; // the `directory` item holding {stale_after_days}
export const STALE_AFTER_DAYS = 180;
const DAY_MS = 24 * 60 * 60 * 1000;
const LEVELS = ["national", "regional", "provincial", "border_post"]; // codes/agency_level
const SEP = "\u0001"; // between the folded texts of an entry: no query spans two of them

// -- search ---------------------------------------------------------------------------------

const values = (map) => (map ? [...(map instanceof Map ? map.values() : Object.values(map))] : []);
const real = (item) => item && typeof item === "object";
const namesOf = (names) => (names ? LANGUAGES.map((language) => names[language]).filter(Boolean) : []);
const pinyinOf = (pinyin) => (Array.isArray(pinyin) ? pinyin : pinyin ? [pinyin] : []);

/** The contacts of a decrypted `directory` collection (without its "_about" item). */
export const contactsOf = (directory) => values(directory).filter((item) => real(item) && item.key && item.key !== ABOUT && item.agency);

/** Days after which a contact's verification is old, as the server publishes it (default 180). */
export function staleAfterDays(directory) {
  const about = directory instanceof Map ? directory.get(ABOUT) : directory?.[ABOUT];
  const days = Number(about?.stale_after_days);
  return Number.isFinite(days) && days > 0 ? days : STALE_AFTER_DAYS;
}

function entry(type, key, item, texts) {
  const folded = [...new Set(texts.filter(Boolean).map(fold).filter(Boolean))];
  // Every text between separators, so that where the query is found says whether it starts a
  // text or is a whole one, with no loop over the texts at every keystroke. `letters`: which
  // Latin letters and digits the texts hold, so that most entries without the query are
  // passed over without reading their texts ("dong x": few entries have an x).
  const hay = SEP + folded.join(SEP) + SEP;
  return { type, key, item, hay, compact: folded.map((text) => text.replaceAll(" ", "")).join(SEP), letters: lettersOf(hay) };
}

/** A bit for each Latin letter (and, sharing five bits, each digit) in `text`. */
function lettersOf(text) {
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 97 && code <= 122) bits |= 1 << (code - 97);
    else if (code >= 48 && code <= 57) bits |= 1 << (26 + ((code - 48) % 5));
  }
  return bits;
}

/**
 * Folds every searchable text once: names in the four languages, crossing sides' names,
 * pinyin keys, agency function names and search terms, province names, contacts' roles,
 * person names (native and Latin) and agency. A keystroke then costs one `includes` per entry.
 * `codes`, `places`: the pulled collections (Maps); any may be missing.
 */
export function buildIndex({ crossings, agencies, contacts = [], codes, places } = {}) {
  const functions = new Map((codes?.get?.("agency_function")?.items ?? []).map((item) => [item.key, item]));
  const placeNames = (code) => namesOf(places?.get?.(code)?.names);
  const entries = [];
  for (const crossing of values(crossings)) {
    if (!real(crossing) || !crossing.sides) continue;
    entries.push(entry("crossing", crossing.key, crossing, [
      ...namesOf(crossing.names), ...pinyinOf(crossing.pinyin),
      ...crossing.sides.flatMap((side) => [...namesOf(side.names), ...placeNames(side.province)])]));
  }
  for (const agency of values(agencies)) {
    if (!real(agency) || !agency.code || agency.retired) continue;
    const terms = (agency.functions ?? []).flatMap((key) => {
      const fn = functions.get(key);
      return fn ? [...namesOf(fn.names), ...LANGUAGES.flatMap((language) => fn.search_terms?.[language] ?? [])] : [];
    });
    entries.push(entry("agency", agency.code, agency, [
      ...namesOf(agency.names), agency.code, ...pinyinOf(agency.pinyin), agency.province, ...terms,
      ...(agency.provinces ?? []).flatMap(placeNames)]));
  }
  // A contact by its own words only: its agency is an entry of its own, listed with its first
  // contacts, and repeating the agency's names in thousands of contacts would double the scan.
  for (const contact of contacts) {
    entries.push(entry("contact", contact.key, contact, [
      ...namesOf(contact.role), contact.name, contact.name_latin, ...pinyinOf(contact.pinyin), contact.agency]));
  }
  // Equal hits are shown in this order, the same on every phone: national agencies before
  // the provincial offices and posts under them ("森林公安" finds each country's head body
  // first), then by key.
  const level = (entry) => LEVELS.indexOf(entry.item.level) >>> 0;
  entries.sort((a, b) => level(a) - level(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { entries };
}

// 0 a whole text, 1 its start, 2 a later word's start, 3 anywhere, 4 with spaces ignored, 5 every word somewhere.
// One pass over the entry's hay: each place the query is found, the character before it says
// whether it starts a text (SEP) or a word (a space). `from`: the best tier the entry can
// still reach (searchDirectory); below 3 the places must be looked at, from 3 on one `includes` says.
function tier(item, needle, from = 0) {
  // Each tier needs every letter of the query somewhere in the entry.
  if ((item.letters & needle.letters) !== needle.letters) return -1;
  const { hay } = item;
  const { q } = needle;
  if (from <= 3) {
    if (from === 3) {
      if (hay.includes(q)) return 3;
    } else {
      let at = hay.indexOf(q);
      if (at >= 0) {
        let best = 3;
        for (; at >= 0; at = hay.indexOf(q, at + 1)) {
          const before = hay.charCodeAt(at - 1);
          if (before === SEP_CODE) {
            if (hay.charCodeAt(at + q.length) === SEP_CODE) return 0;
            best = 1;
          } else if (before === SPACE && best > 2) {
            if (from === 2) return 2; // as good as it can get
            best = 2;
          }
        }
        return best;
      }
    }
  }
  if (from <= 4 && needle.compact && item.compact.includes(needle.compact)) return 4;
  const { words } = needle;
  if (words.length > 1) {
    for (const word of words) if (!hay.includes(word)) return -1;
    return 5;
  }
  return -1;
}

const SEP_CODE = SEP.charCodeAt(0);
const SPACE = 32;
const needles = (q, compact) => ({ q, compact, words: q.split(" "), letters: lettersOf(q) });

// The best tier a longer query can reach in an entry, from the tier of the query it extends:
// each place the longer one is found, the shorter one is too. Found only inside a word (3),
// it is never at a word's start; not found (4, 5), it is not found with more letters either.
const reach = (rank) => (rank <= 1 ? 0 : rank);

const LISTS = { crossing: "crossings", agency: "agencies", contact: "contacts" };
const TIERS = 6;

/**
 * {crossings, agencies, contacts}: each a list of items, best first, at most `limit`. The
 * index is in key order, so hits are dealt into one bucket per tier as they are found and
 * never sorted: a one-letter query matches nearly everything.
 */
export function searchDirectory(index, query, { limit = 20 } = {}) {
  const q = fold(query);
  const found = { crossings: [], agencies: [], contacts: [] };
  if (!q) return found;
  const compact = q.replaceAll(" ", "");
  const needle = needles(q, compact);
  // Typing narrows: every entry matching "dong x" matched "dong", so only those are looked at.
  const last = index.last;
  // "dong " is "dong" folded: the same answer, as the officer types the space before the next word.
  if (last && last.q === q && last.limit === limit) return { crossings: [...last.found.crossings], agencies: [...last.found.agencies], contacts: [...last.found.contacts] };
  const narrowing = last && q.startsWith(last.q) && compact.startsWith(last.compact);
  const { entries } = index;
  // The entries found and their tiers, by number, in two buffers made once: one holds the
  // last keystroke's, which this one narrows, the other this one's (no garbage at each key).
  index.buffers ??= [0, 1].map(() => ({ matched: new Int32Array(entries.length), ranks: new Int8Array(entries.length) }));
  const { matched, ranks } = index.buffers[last?.buffer === 0 ? 1 : 0];
  const count = narrowing ? last.count : entries.length;
  let hits = 0;
  const buckets = Object.fromEntries(Object.values(LISTS).map((list) => [list, Array.from({ length: TIERS }, () => [])]));
  for (let j = 0; j < count; j++) {
    const i = narrowing ? last.matched[j] : j;
    const item = entries[i];
    const rank = tier(item, needle, narrowing ? reach(last.ranks[j]) : 0);
    if (rank < 0) continue;
    matched[hits] = i;
    ranks[hits++] = rank;
    const bucket = buckets[LISTS[item.type]][rank];
    if (bucket.length < limit) bucket.push(item.item);
  }
  for (const [list, tiers] of Object.entries(buckets)) found[list] = tiers.flat().slice(0, limit);
  index.last = { q, compact, matched, ranks, count: hits, buffer: last?.buffer === 0 ? 1 : 0, limit, found: { ...found } };
  return found;
}

// -- counterparts --------------------------------------------------------------------------

/** The country across `crossing` from `country`, or null when the crossing is not on its border. */
export function otherSide(crossing, country) {
  const countries = (crossing?.sides ?? []).map((side) => side.country);
  if (!countries.includes(country)) return null;
  return countries.find((c) => c !== country) ?? null;
}

const servesCrossing = (contact, crossingKey) => !contact.crossings?.length || contact.crossings.includes(crossingKey);
const isAlways = (contact) => contact.hours?.always === true;

/** An agency's contacts for a crossing: those serving it (or every crossing) first, 24-hour duty desks first. */
export function contactsFor(agencyCode, crossingKey, contacts) {
  const rank = (contact) => [servesCrossing(contact, crossingKey) ? 0 : 1, contact.kind === "duty_desk" && isAlways(contact) ? 0 : 1,
    contact.kind === "duty_desk" ? 0 : 1];
  return contacts.filter((contact) => contact.agency === agencyCode)
    .map((contact) => ({ contact, rank: rank(contact) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.rank[2] - b.rank[2] || (a.contact.key < b.contact.key ? -1 : 1))
    .map(({ contact }) => contact);
}

/**
 * Who an officer of `officerAgencyCode` calls across `crossingKey`: {other, agencies: [{agency,
 * bases, functions, notes, contacts, via (the parent agency whose contacts they are, or null)}], noneKnown: [{key, functions, note}], inferred,
 * notOnBorder}. From the `counterparts` links whose functions meet the officer agency's and
 * that apply to the crossing; while the phone has no link at all (a server from before
 * them), the other side's agencies of the same function that serve the crossing, `inferred`.
 * `data`: {agencies, crossings, counterparts, contacts} (Maps, contacts a list).
 */
export function counterparts(officerAgencyCode, crossingKey, { agencies, crossings, counterparts: links, contacts = [] }) {
  const me = agencies?.get(officerAgencyCode);
  const crossing = crossings?.get(crossingKey);
  const result = { other: null, agencies: [], noneKnown: [], inferred: false, notOnBorder: false };
  if (!me || !crossing) return result;
  const other = otherSide(crossing, me.country);
  if (!other) return { ...result, notOnBorder: true };
  result.other = other;
  const mine = new Set(me.functions ?? []);
  const meets = (functions) => (functions ?? []).filter((fn) => mine.has(fn));
  const applies = (link) => !link.crossings?.length || link.crossings.includes(crossingKey);
  const allLinks = values(links).filter((link) => real(link) && Array.isArray(link.agencies));
  const found = new Map();
  const add = (agency, { basis = null, functions = [], note = null, own = false }) => {
    const at = found.get(agency.code) ?? { agency, bases: [], functions: [], notes: [], own: false };
    if (basis && !at.bases.includes(basis)) at.bases.push(basis);
    for (const fn of functions) if (!at.functions.includes(fn)) at.functions.push(fn);
    if (note && !at.notes.includes(note)) at.notes.push(note);
    at.own ||= own;
    found.set(agency.code, at);
  };
  for (const link of allLinks) {
    const functions = meets(link.functions);
    if (!functions.length || !applies(link)) continue;
    if (!link.agencies.length) {
      result.noneKnown.push({ key: link.key, functions, note: link.note ?? null });
      continue;
    }
    const sides = link.agencies.map((code) => agencies.get(code)).filter(Boolean);
    const ours = sides.find((agency) => agency.country === me.country);
    const theirs = sides.filter((agency) => agency.country === other && !agency.retired);
    if (!ours) continue;
    for (const agency of theirs) add(agency, { basis: link.basis ?? null, functions, note: link.note, own: ours.code === me.code });
  }
  if (!allLinks.some((link) => link.agencies.length)) {
    // No links pulled yet: the other side's agencies of a same function at this crossing.
    const atCrossing = new Set(contacts.filter((contact) => contact.crossings?.includes(crossingKey)).map((contact) => contact.agency));
    for (const agency of values(agencies)) {
      if (!real(agency) || agency.country !== other || agency.retired) continue;
      const functions = meets(agency.functions);
      if (functions.length && (agency.crossings?.includes(crossingKey) || atCrossing.has(agency.code))) add(agency, { functions });
    }
    result.inferred = found.size > 0;
  }
  // An office with no contact of its own (a provincial office) is reached through its parent's.
  const reach = (agency) => {
    const own = contactsFor(agency.code, crossingKey, contacts);
    const parent = own.length || !agency.parent ? null : agencies.get(agency.parent);
    return parent ? { contacts: contactsFor(parent.code, crossingKey, contacts), via: parent } : { contacts: own, via: null };
  };
  result.agencies = [...found.values()]
    .map((at) => ({ ...at, ...reach(at.agency) }))
    .sort((a, b) => Number(b.own) - Number(a.own) || Number(b.contacts.length > 0) - Number(a.contacts.length > 0)
      || (a.agency.code < b.agency.code ? -1 : 1));
  return result;
}

// -- nearest crossing ----------------------------------------------------------------------

export function haversineKm(lat1, lon1, lat2, lon2) {
  const rad = (degrees) => (degrees * Math.PI) / 180;
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** {key, crossing, km} of the crossing with a side nearest to (lat, lon), or null. */
export function nearestCrossing(lat, lon, crossings) {
  let best = null;
  for (const crossing of values(crossings)) {
    for (const side of (real(crossing) && crossing.sides) || []) {
      if (!Number.isFinite(side.location?.lat) || !Number.isFinite(side.location?.lon)) continue;
      const km = haversineKm(lat, lon, side.location.lat, side.location.lon);
      if (!best || km < best.km) best = { key: crossing.key, crossing, km };
    }
  }
  return best;
}

// -- duty hours ------------------------------------------------------------------------------

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const formats = new Map();

function formatIn(timeZone) {
  if (!formats.has(timeZone)) {
    formats.set(timeZone, new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }));
  }
  return formats.get(timeZone);
}

/** The wall clock in `timeZone` at `ms`: {y, m, d, minutes, date: "YYYY-MM-DD", dow (0 = Monday)}. */
export function wallClock(ms, timeZone) {
  const parts = Object.fromEntries(formatIn(timeZone).formatToParts(new Date(ms)).map((part) => [part.type, part.value]));
  const [y, m, d] = [Number(parts.year), Number(parts.month), Number(parts.day)];
  const hour = Number(parts.hour) % 24;
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  return { y, m, d, minutes: hour * 60 + Number(parts.minute), date, dow: (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7 };
}

/** The moment the wall clock in `timeZone` shows day (y, m, d) at `minutes` past midnight. */
export function atWallClock(y, m, d, minutes, timeZone) {
  const naive = Date.UTC(y, m - 1, d, 0, minutes);
  let guess = naive;
  for (let i = 0; i < 2; i++) {
    const seen = wallClock(guess, timeZone);
    guess = naive - (Date.UTC(seen.y, seen.m - 1, seen.d, 0, seen.minutes) - guess);
  }
  return guess;
}

const toMinutes = (text) => {
  const [h, m] = String(text).split(":").map(Number);
  return h * 60 + m;
};

function dayIn(span, dow) {
  const [first, last] = (span.days ?? []).map((day) => DAYS.indexOf(day));
  if (first < 0) return false;
  const end = last ?? first;
  return first <= end ? dow >= first && dow <= end : dow >= first || dow <= end; // "sat-mon" wraps
}

const closedOn = (contact, date) => (contact.closed ?? []).find((range) => date >= range.from && date <= (range.to ?? range.from)) ?? null;

/**
 * Whether the contact answers at `nowMs`, by its hours in its own time zone and its closed
 * dates: {onDuty, opensAt (ms, or null when not within three weeks), closedNote}.
 */
export function duty(contact, nowMs) {
  const zone = contact.time_zone || "UTC";
  const now = wallClock(nowMs, zone);
  const closedToday = closedOn(contact, now.date);
  const spansOn = (dow) => (isAlways(contact) ? [{ from: "00:00", to: "24:00" }] : (contact.hours?.weekly ?? []).filter((span) => dayIn(span, dow)));
  if (!closedToday && spansOn(now.dow).some((span) => now.minutes >= toMinutes(span.from) && now.minutes < toMinutes(span.to))) {
    return { onDuty: true, opensAt: null, closedNote: null };
  }
  let opensAt = null;
  for (let k = 0; k < 21 && opensAt === null; k++) {
    const day = new Date(Date.UTC(now.y, now.m - 1, now.d + k));
    const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    const date = `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
    if (closedOn(contact, date)) continue;
    for (const span of spansOn((day.getUTCDay() + 6) % 7)) {
      const start = atWallClock(y, m, d, toMinutes(span.from), zone);
      if (start > nowMs && (opensAt === null || start < opensAt)) opensAt = start;
    }
  }
  return { onDuty: false, opensAt, closedNote: closedToday?.note ?? null };
}

/** A time as shown for the desk (`timeZone`) or the officer (undefined: the phone's zone). */
export function timeIn(ms, timeZone, locale = "en", withDay = false) {
  // A formatter costs far more to make than to use, and a result list shows dozens of times.
  const id = `${locale}|${timeZone ?? ""}|${withDay}`;
  if (!timeFormats.has(id)) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", ...(withDay ? { weekday: "short", day: "numeric" } : {}), ...(timeZone ? { timeZone } : {}) };
    let format;
    try {
      format = new Intl.DateTimeFormat(locale, options);
    } catch {
      format = new Intl.DateTimeFormat("en-GB", options);
    }
    timeFormats.set(id, format);
  }
  return timeFormats.get(id).format(new Date(ms));
}
const timeFormats = new Map();

// -- links, vCards, staleness -----------------------------------------------------------------

const digits = (number) => String(number).replace(/\D/g, "");

/** An E.164 number as dialled ("+86…"), whatever spacing the data has. */
export const e164 = (number) => `+${digits(number)}`;

/** {phones: [{number, type, href}], messaging: [{platform, handle, href | null}], email: {address, href} | null}. */
export function links(contact) {
  return {
    phones: (contact.phones ?? []).map((phone) => ({ ...phone, number: e164(phone.number), href: `tel:${e164(phone.number)}` })),
    messaging: (contact.messaging ?? []).map(({ platform, handle }) => ({ platform, handle,
      href: platform === "whatsapp" ? `https://wa.me/${digits(handle)}` : platform === "zalo" ? `https://zalo.me/${digits(handle)}` : null })),
    email: contact.email ? { address: contact.email, href: `mailto:${contact.email}` } : null,
  };
}

const vEscape = (text) => String(text ?? "").replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/([,;])/g, "\\$1");
const TEL_TYPES = { office: "WORK,VOICE", mobile: "CELL,VOICE", hotline: "WORK,VOICE", fax: "WORK,FAX" };

/** The name a contact goes by: the person (native and Latin) or, for a desk, its role. */
export function displayName(contact, language = "en") {
  const role = contact.role?.[language] || contact.role?.en || contact.key;
  if (contact.name && contact.name_latin && contact.name !== contact.name_latin) return `${contact.name} (${contact.name_latin})`;
  return contact.name || contact.name_latin || role;
}

/** vCard 3.0 of a contact, to hand it to the phone's address book as a QR code. */
export function vcard(contact, language = "en", agency = null) {
  const role = contact.role?.[language] || contact.role?.en || "";
  const lines = ["BEGIN:VCARD", "VERSION:3.0",
    `N:${vEscape(contact.name_latin || contact.name || role)};;;;`,
    `FN:${vEscape(displayName(contact, language))}`];
  const org = agency?.names?.[language] || agency?.names?.en || contact.agency;
  if (org) lines.push(`ORG:${vEscape(org)}`);
  if (role) lines.push(`TITLE:${vEscape(role)}`);
  for (const phone of links(contact).phones) lines.push(`TEL;TYPE=${TEL_TYPES[phone.type] ?? "VOICE"}:${phone.number}`);
  if (contact.email) lines.push(`EMAIL;TYPE=INTERNET:${vEscape(contact.email)}`);
  const handles = (contact.messaging ?? []).map((m) => `${m.platform}: ${m.handle}`);
  const note = [contact.demo ? "demo" : null, ...handles].filter(Boolean).join("; ");
  if (note) lines.push(`NOTE:${vEscape(note)}`);
  lines.push("END:VCARD");
  return lines.join("\r\n");
}

/** Whether a contact was last verified more than `days` ago (or never): "may be out of date". */
export function stale(contact, nowMs, days = STALE_AFTER_DAYS) {
  if (!contact.verified_on) return true;
  const verified = Date.parse(`${contact.verified_on}T00:00:00Z`);
  return !Number.isFinite(verified) || nowMs - verified > days * DAY_MS;
}

/** Whole days since `ms` (0 today), or null for never. */
export const daysSince = (ms, nowMs) => (ms ? Math.max(0, Math.floor((nowMs - ms) / DAY_MS)) : null);

/** The language the other side of a crossing speaks, for the phrasebook: VN → vi, LA → lo, CN → zh_Hans. */
export const COUNTRY_LANGUAGE = { VN: "vi", LA: "lo", CN: "zh_Hans" };
