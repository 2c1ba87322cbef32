// Species search by any name an officer might know: scientific, common or trade name, in
// any of the app's languages whatever the UI language, since a Lao officer may be reading
// a Vietnamese label on a sack of scales.

// Vietnamese tone and vowel marks are dropped (officers often type without them), but only
// on Latin letters: Lao vowels and tone marks are combining marks too, and stripping them
// would make different Lao words match each other. Lao marks are put in a fixed order
// instead, since the same syllable can be typed with the tone before or after the vowel.
// Apostrophes go ("Temminck's" = "temmincks"), other punctuation becomes a space
// ("small-clawed" = "small clawed").
export function fold(text) {
  return String(text ?? "")
    .normalize("NFKC")
    .toLowerCase()
    .normalize("NFD")
    .replace(/(\p{Script=Latin})\p{M}+/gu, "$1")
    .replace(/đ/g, "d")
    .replace(/\p{M}{2,}/gu, (marks) => [...marks].sort().join(""))
    .replace(/['’]/g, "")
    .replace(/[\p{P}\s]+/gu, " ")
    .trim();
}

// Folded once here so that a keystroke only costs one indexOf per name.
export function speciesIndex(species) {
  const entries = [];
  for (const [key, item] of species) {
    const names = [];
    const add = (text, kind, language) => {
      // "Pangolin (species not identified)", "Manis spp.": the qualifier is not part of the
      // name, so "pangolin" or "manis" is a whole-name match for the genus entry.
      const bare = String(text ?? "").replace(/\s*[(（][^)）]*[)）]\s*$|\s+spp?\.$/u, "");
      for (const form of new Set([fold(text), fold(bare)])) {
        if (form) names.push({ text, folded: form, kind, language });
      }
    };
    add(item.scientific_name ?? key, "scientific", null);
    if (item.scientific_name && key !== item.scientific_name) add(key, "scientific", null);
    for (const [language, name] of Object.entries(item.names ?? {})) add(name, "name", language);
    for (const [language, list] of Object.entries(item.trade_names ?? {})) {
      for (const name of list ?? []) add(name, "trade", language);
    }
    // Above species (a genus, a family): the entry for a specimen not identified to species.
    entries.push({ key, item, genus: Boolean(item.rank) && item.rank !== "species", sortName: item.scientific_name ?? key, names });
  }
  return { entries };
}

// 0 the whole name, 1 its start, 2 the start of a later word, 3 anywhere: Chinese and Lao
// do not separate words, so "穿山甲片" inside a longer name is only ever a substring.
function tier(folded, query) {
  const at = folded.indexOf(query);
  if (at < 0) return -1;
  if (at === 0) return folded.length === query.length ? 0 : 1;
  return folded.includes(` ${query}`) ? 2 : 3;
}

const KIND_ORDER = { name: 0, scientific: 1, trade: 2 };

export function search(index, query, { language, limit = 8 } = {}) {
  const q = fold(query);
  if (!q) return [];
  const own = (name) => !language || name.language === null || name.language === language;
  const hits = [];
  for (const entry of index.entries) {
    let best = null;
    let bestTier = Infinity;
    let trade = false;
    for (const name of entry.names) {
      const t = tier(name.folded, q);
      if (t < 0 || t > bestTier) continue;
      if (t < bestTier) [best, bestTier, trade] = [null, t, false];
      trade ||= name.kind === "trade";
      // Shown to the officer, so prefer their language, then a common name over a trade name.
      if (!best || own(name) > own(best) || (own(name) === own(best) && KIND_ORDER[name.kind] < KIND_ORDER[best.kind])) best = name;
    }
    if (!best) continue;
    // Someone searching a product (scales, ivory) rarely knows the species: the "spp." entry
    // is the honest record, so it leads its tier.
    const rank = [bestTier, entry.genus && trade ? 0 : 1, own(best) ? 0 : 1];
    hits.push({ rank, sortName: entry.sortName, result: { key: entry.key, item: entry.item, matched: best.text, kind: best.kind, language: best.language } });
  }
  hits.sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1] || a.rank[2] - b.rank[2]
    || (a.sortName < b.sortName ? -1 : a.sortName > b.sortName ? 1 : 0));
  return hits.slice(0, limit).map((h) => h.result);
}
