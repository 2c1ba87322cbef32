// The app's strings come from the `pwa` gettext domain (translations/<lang>/LC_MESSAGES/pwa.po,
// compiled to src/locales/<lang>.json by `flask translate compile`); form labels, code
// names and server messages come from the pulled reference collections instead.
import { LANGUAGES, browserHas, tagOf } from "./languages.js";

export { LANGUAGES };

const catalogs = import.meta.glob("./locales/*.json", { import: "default" });
let current = "en";
let messages = {};
let plural = (n) => (n === 1 ? 0 : 1);
let serverMessages = {};

export const language = () => current;
export const languageTag = () => tagOf(current);

/** The best of our languages for the browser's preferences, for the very first screen. */
export function preferredLanguage(tags = globalThis.navigator?.languages ?? []) {
  for (const tag of tags) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return "zh_Hans";
    const match = LANGUAGES.find((l) => lower === l.code || lower.startsWith(`${l.code}-`));
    if (match) return match.code;
  }
  return "en";
}

export async function setLanguage(code, serverCatalog = null) {
  const load = catalogs[`./locales/${code}.json`];
  const catalog = load ? await load() : { messages: {}, plural: "" };
  current = LANGUAGES.some((l) => l.code === code) ? code : "en";
  messages = catalog.messages ?? {};
  // Our four languages have one form (vi, lo, zh) or two (en): no expression evaluator needed.
  plural = /nplurals=1/.test(catalog.plural ?? "") ? () => 0 : (n) => (n === 1 ? 0 : 1);
  serverMessages = serverCatalog ?? {};
  globalThis.document?.documentElement?.setAttribute("lang", languageTag());
}

export const setServerMessages = (catalog) => (serverMessages = catalog ?? {});

const fill = (text, params) => text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));

/** A string of the app: t("Sync now"), t("Hello {name}", {name}). */
export function t(msgid, params = {}) {
  const text = messages[msgid];
  return fill(typeof text === "string" && text ? text : msgid, params);
}

/** A plural: tn("{n} record waiting", "{n} records waiting", n). */
export function tn(singular, pluralText, n, params = {}) {
  const forms = messages[singular];
  const index = plural(n);
  const text = Array.isArray(forms) && forms[index] ? forms[index] : n === 1 ? singular : pluralText;
  return fill(text, { n, ...params });
}

/** A server message id (form labels, problem texts), from the pulled translations. */
export const ts = (msgid) => serverMessages[msgid] || msgid;

/** A reference item's name in the current language. */
export const nameOf = (names, fallback = "") => names?.[current] || names?.en || fallback;

/**
 * A moment as the officer reads it. Where the browser lacks the language's calendar names
 * (Chromium has no Lao: it would write "Nov 28, 2026"), day/month/year in figures, as Lao
 * forms write dates, rather than English month names.
 */
export function formatDateTime(ms) {
  if (!ms) return "—";
  const format = browserHas(current)
    ? new Intl.DateTimeFormat(languageTag(), { dateStyle: "medium", timeStyle: "short" })
    : new Intl.DateTimeFormat("en-GB", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
  return format.format(new Date(ms));
}
