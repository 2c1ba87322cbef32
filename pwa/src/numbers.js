// Numbers and money as each officer types and reads them. The store only ever sees
// canonical strings: ASCII digits, "." as the decimal point, no grouping, no sign (but on a
// coordinate), no leading zeros, no trailing fraction zeros ("25000000", "2.5", "0.5").
// Strings, not Numbers, so a 13-digit amount in đồng or kip keeps every digit.
import { browserHas, tagOf } from "./languages.js";

const separatorCache = new Map();

// From ICU where the browser has the language, so a language added to languages.js brings
// its conventions with it. Chromium's ICU data lacks Lao (Intl falls back to en-US and would
// show "12,345.6" to a Lao officer): for a language the browser lacks, CLDR's separators.
const CLDR = { lo: { decimal: ",", group: "." } };

export function separators(code) {
  let found = separatorCache.get(code);
  if (!found) {
    if (!browserHas(code) && CLDR[code]) {
      found = Object.freeze({ ...CLDR[code] });
    } else {
      const parts = new Intl.NumberFormat(tagOf(code)).formatToParts(12345.6);
      const part = (type, fallback) => parts.find((p) => p.type === type)?.value ?? fallback;
      found = Object.freeze({ decimal: part("decimal", "."), group: part("group", ",") });
    }
    separatorCache.set(code, found);
  }
  return found;
}

// Formatted by Intl, with this language's separators (the same ones where the browser has it).
function withSeparators(parts, code) {
  const { decimal, group } = separators(code);
  return parts.map((p) => (p.type === "decimal" ? decimal : p.type === "group" ? group : p.value)).join("");
}

// NFKC turns full-width digits, "．", "，", "￥", NBSP and U+202F into their plain forms.
// Lao and Thai digits are not compatibility characters, but both blocks start at a
// multiple of 16. "。" is what a Chinese IME types for "." in full-width punctuation mode.
const clean = (text) =>
  text.normalize("NFKC")
    .replace(/[\u0E50-\u0E59\u0ED0-\u0ED9]/g, (d) => String(d.codePointAt(0) & 15))
    .replace(/。/g, ".");

// A number between optional runs of letters, currency signs and spaces ("US$ 25", "2,5 kg",
// "25.000.000 ₫"). Signs, exponents and punctuation around it are not affixes: "--1" and
// "1e5" are rejected rather than half-read.
const AFFIX = "[\\p{L}\\p{M}\\p{Sc}\\s]*";
const SHAPE = new RegExp(`^(${AFFIX})([.,]?\\d(?:[\\d.,'’\\s]*\\d)?)(${AFFIX})$`, "u");

// "25 triệu", "2,5万", "30k" would otherwise lose their multiplier with the suffix and store
// a figure a million times too small; refusing them makes the form ask again.
const MAGNITUDE = new RegExp(
  ("^(?:k|tr|triệu|trieu|trăm|tram|nghìn|nghin|ngàn|ngan|tỷ|tỉ|ty|ti|mn|bn|hundred|thousand|million|billion)(?!\\p{L})" +
    "|^[百千万萬亿億]|^(?:ຮ້ອຍ|ພັນ|ໝື່ນ|ແສນ|ລ້ານ|ຕື້)").normalize("NFKC"),
  "u",
);

const CURRENCY_WORDS = {
  VND: ["₫", "đ", "vnd", "vnđ", "đồng", "dong", "越南盾", "越盾"],
  LAK: ["₭", "lak", "kip", "kíp", "ກີບ", "基普"],
  CNY: ["¥", "cn¥", "元", "cny", "rmb", "人民币"],
  USD: ["$", "us$", "usd", "美元"],
  THB: ["฿", "thb", "baht", "bạt", "ບາດ", "บาท", "泰铢"],
};
const CURRENCY_OF = new Map(
  Object.entries(CURRENCY_WORDS).flatMap(([iso, words]) => words.map((w) => [w.normalize("NFKC"), iso])),
);
const currencyOf = (affix) => CURRENCY_OF.get(affix.toLowerCase().replace(/\s+/g, "")) ?? null;

// Every group after the first has exactly three digits, and the first does not start with
// 0: "0.500" or "1.5" is never a thousands separator.
const grouped = (groups) => /^[1-9]\d{0,2}$/.test(groups[0]) && groups.slice(1).every((g) => g.length === 3);

// Index of the separator that is the decimal point, -1 for none, null if unreadable.
function decimalPoint(groups, seps, decimal) {
  const marks = seps.filter((s) => s !== " ");
  if (!marks.length) return -1;
  const last = seps.length - 1;
  const kinds = new Set(marks);
  // With both "." and "," the later one is the point, whatever the language says.
  if (kinds.size > 1) return seps[last] !== " " && marks.filter((s) => s === seps[last]).length === 1 ? last : null;
  const once = marks.length === 1 && seps[last] === marks[0];
  if (marks[0] === decimal && once) return last;
  if (grouped(groups)) return -1;
  // A lone separator that cannot be grouping is a point: vi "2.5", en "2,5".
  return once ? last : null;
}

function parse(text, code) {
  const shape = typeof text === "string" && SHAPE.exec(clean(text).trim());
  if (!shape) return null;
  const [, prefix, body, suffix] = shape;
  if (MAGNITUDE.test(suffix.trim().toLowerCase())) return null;
  // Spaces (any width) and apostrophes can only group digits.
  const core = body.replace(/[\s'’]+/g, " ");
  const groups = core.split(/[., ]/);
  const seps = core.match(/[., ]/g) ?? [];
  const point = decimalPoint(groups, seps, separators(code).decimal);
  if (point === null) return null;
  const whole = point === -1 ? groups : groups.slice(0, point + 1);
  if (whole.length > 1 && !grouped(whole)) return null;
  if (groups.some((g, i) => g === "" && !(i === 0 && point === 0))) return null;
  const integer = whole.join("").replace(/^0+(?=\d)/, "") || "0";
  const fraction = (point === -1 ? "" : groups[point + 1]).replace(/0+$/, "");
  return { amount: fraction ? `${integer}.${fraction}` : integer, prefix, suffix };
}

// Canonical decimal string, or null when the text is not a number we can read without guessing.
export function parseDecimal(text, code) {
  return parse(text, code)?.amount ?? null;
}

/** parseDecimal with one leading sign ("-21.5", "−21,5", "+105"): for coordinates only. */
export function parseSignedDecimal(text, code) {
  const match = /^\s*([-+\u2212])\s*(.*)$/su.exec(typeof text === "string" ? text : "");
  if (!match) return parseDecimal(text, code);
  const amount = parseDecimal(match[2], code);
  return amount === null || match[1] === "+" || /^0(\.0*)?$/.test(amount) ? amount : `-${amount}`;
}

// { amount, currency }: the currency from a sign or code typed with the number, so the
// form can preselect it; null when absent or not one we know.
export function parseMoney(text, code) {
  const parsed = parse(text, code);
  if (!parsed) return { amount: null, currency: null };
  return { amount: parsed.amount, currency: currencyOf(parsed.prefix) ?? currencyOf(parsed.suffix) };
}

const formatters = new Map();
function formatter(tag, options) {
  const id = `${tag} ${JSON.stringify(options)}`;
  if (!formatters.has(id)) formatters.set(id, new Intl.NumberFormat(tag, options));
  return formatters.get(id);
}

const CANONICAL = /^-?\d+(?:\.(\d+))?$/; // a sign only on coordinates
// Intl stops at 20 fraction digits in Node 20 and older browsers.
const typedDigits = (match) => Math.min(match[1]?.length ?? 0, 20);

// format() is given the string itself: Intl.NumberFormat v3 (Node 20, current browsers)
// formats decimal strings exactly instead of going through a double.
export function formatDecimal(canonical, code) {
  const match = CANONICAL.exec(canonical ?? "");
  // Something that is not canonical is shown as stored rather than as "NaN".
  if (!match) return canonical ?? "";
  const digits = typedDigits(match);
  return withSeparators(formatter(tagOf(code), { minimumFractionDigits: digits, maximumFractionDigits: digits }).formatToParts(canonical), code);
}

// currencyDisplay "symbol" rather than "narrowSymbol": ICU then writes "US$", "CN¥" or "LAK"
// where a bare "$", "¥" or "₭" could be misread on a border with several currencies, and
// keeps the sign each language knows best (₫ in vi, ₭ in lo, ¥ in zh). The currency's own
// minor digits (0 for VND and LAK, 2 for USD, CNY and THB) are the minimum; digits the
// officer typed beyond them are never rounded away.
export function formatMoney(canonical, currency, code) {
  const match = CANONICAL.exec(canonical ?? "");
  if (!match || !/^[A-Z]{3}$/i.test(currency ?? "")) return formatDecimal(canonical, code);
  const tag = tagOf(code);
  const options = { style: "currency", currency, currencyDisplay: "symbol" };
  const { minimumFractionDigits, maximumFractionDigits } = formatter(tag, options).resolvedOptions();
  const max = Math.max(maximumFractionDigits, typedDigits(match));
  return withSeparators(formatter(tag, { ...options, minimumFractionDigits, maximumFractionDigits: max }).formatToParts(canonical), code);
}
