// The app's languages: catalog code (as in translations/), endonym, BCP 47 tag. Kept apart
// from i18n.js so the service worker can name a language without bundling the catalogs.
export const LANGUAGES = [
  { code: "en", name: "English", tag: "en" },
  { code: "vi", name: "Tiếng Việt", tag: "vi" },
  { code: "lo", name: "ພາສາລາວ", tag: "lo" },
  { code: "zh_Hans", name: "简体中文", tag: "zh-Hans" },
];

export const tagOf = (code) => LANGUAGES.find((l) => l.code === code)?.tag ?? "en";

/** Whether the browser's Intl knows the language (Chromium's ICU data has no Lao). */
export const browserHas = (code) => Intl.NumberFormat.supportedLocalesOf(tagOf(code)).length > 0;
