// Dates as each officer writes them, whatever the browser's own date control does (Chromium
// shows 11/30/2026, month first, in every language): day first in Lao and Vietnamese (and in
// English here, as the region writes it), year first in Chinese. A day/month mix-up on the
// date of a seizure is a real risk, so the field is text in the officer's order, and the store
// gets ISO dates (2026-11-30) only.

const YEAR_FIRST = new Set(["zh_Hans"]);
const pad = (n) => String(n).padStart(2, "0");

/** The ISO date of a real day, or null. */
function iso(year, month, day) {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1900 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** "30/11/2026" (vi, lo, en) or "2026年11月30日" (zh_Hans) for an ISO date; other text unchanged. */
export function formatDate(value, code) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? "");
  if (!match) return value ?? "";
  const [, year, month, day] = match;
  return YEAR_FIRST.has(code) ? `${year}年${month}月${day}日` : `${day}/${month}/${year}`;
}

/**
 * The ISO date the officer typed, or null. Any separators ("30/11/2026", "30.11.2026",
 * "30-11-2026", "2026年11月30日") or none ("30112026"); a four-digit year first is read as
 * year-month-day in every language; otherwise the officer's order.
 */
export function parseDate(text, code) {
  const digits = (text ?? "").normalize("NFKC").trim();
  let match = /^(\d{4})\D+(\d{1,2})\D+(\d{1,2})\D*$/.exec(digits);
  if (match) return iso(+match[1], +match[2], +match[3]);
  match = /^(\d{1,2})\D+(\d{1,2})\D+(\d{4})$/.exec(digits);
  if (match) return YEAR_FIRST.has(code) ? null : iso(+match[3], +match[2], +match[1]);
  match = /^(\d{8})$/.exec(digits);
  if (match) {
    const n = match[1];
    return YEAR_FIRST.has(code) ? iso(+n.slice(0, 4), +n.slice(4, 6), +n.slice(6)) : iso(+n.slice(4), +n.slice(2, 4), +n.slice(0, 2));
  }
  return null;
}

/** Today on the phone's calendar, as an ISO date. */
export function localToday(now = new Date()) {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
