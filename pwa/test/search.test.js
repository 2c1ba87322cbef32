// Species search by any name, against the real reference list the server hands out.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fold, search, speciesIndex } from "../src/search.js";

const data = JSON.parse(readFileSync(new URL("../../server/reference/data/species.json", import.meta.url), "utf8"));
const species = new Map(data.items.map((item) => [item.key, item]));
const index = speciesIndex(species);
const keys = (query, options) => search(index, query, options).map((r) => r.key);
const MANIS = [...species.keys()].filter((k) => k.startsWith("Manis "));

describe("fold", () => {
  it("drops Vietnamese marks, đ and case", () => {
    expect(fold("Vảy tê tê")).toBe(fold("vay te te"));
    expect(fold("  ĐỒNG   nai ")).toBe("dong nai");
    expect(fold("Ngà Voi")).toBe("nga voi");
  });

  it("treats punctuation as a space and drops apostrophes", () => {
    expect(fold("Asian small-clawed otter")).toBe("asian small clawed otter");
    expect(fold("Temminck’s ground pangolin")).toBe("temmincks ground pangolin");
    expect(fold("Manis spp.")).toBe("manis spp");
  });

  it("keeps Chinese, and full-width forms become plain", () => {
    expect(fold("穿山甲鳞片")).toBe("穿山甲鳞片");
    expect(fold("穿山甲（未定种）")).toBe("穿山甲 未定种");
    expect(fold("ＳＣＡ")).toBe("sca");
  });

  it("keeps Lao vowel and tone marks, in one order whichever was typed first", () => {
    expect(fold("ລີ່ນ")).toBe("ລີ່ນ".normalize("NFD"));
    expect(fold("ລ\u0ec8\u0eb5ນ")).toBe(fold("ລ\u0eb5\u0ec8ນ"));
    expect(fold("ເສືອ")).not.toBe(fold("ເສອ"));
  });

  it("keeps every distinct Lao name of the reference list distinct", () => {
    const lao = [...new Set(data.items.flatMap((i) => [i.names.lo, ...(i.trade_names.lo ?? [])]))];
    expect(lao.length).toBeGreaterThan(100);
    expect(new Set(lao.map(fold)).size).toBe(lao.length);
  });
});

describe("search, on the real reference list", () => {
  it("has the list the tests were written against", () => {
    expect(species.size).toBe(130);
  });

  it.each([
    ["vảy tê tê", "vi"],
    ["vay te te", "en"],
    ["穿山甲片", "zh_Hans"],
    ["pangolin scales", "en"],
    ["pangolin scales", "lo"],
    ["ເກັດລີ່ນ", "lo"],
  ])("puts Manis spp. first and only Manis above the African pangolins for the trade name %s", (query, language) => {
    const found = keys(query, { language });
    expect(found[0]).toBe("Manis spp.");
    expect(found.slice(0, MANIS.length).sort()).toEqual([...MANIS].sort());
  });

  it.each(["Pangolin", "pangolin", "tê tê", "穿山甲", "ລີ່ນ"])("puts Manis spp. first for the animal's plain name %s", (query) => {
    for (const language of ["en", "vi", "lo", "zh_Hans"]) {
      const found = keys(query, { language });
      expect(found[0]).toBe("Manis spp.");
      expect(found.slice(0, MANIS.length).every((k) => k.startsWith("Manis "))).toBe(true);
    }
  });

  it("reports the matched name as written, and what kind it is", () => {
    const [first] = search(index, "vay te te", { language: "en" });
    expect(first).toMatchObject({ key: "Manis spp.", matched: "vảy tê tê", kind: "trade", language: "vi" });
    expect(first.item).toBe(species.get("Manis spp."));
    expect(search(index, "Pangolin", { language: "en" })[0]).toMatchObject({ matched: "Pangolin (species not identified)", kind: "name" });
  });

  it("finds a species by common name, scientific prefix and Lao name", () => {
    expect(keys("tiger", { language: "en" })[0]).toBe("Panthera tigris");
    expect(keys("Manis jav", { language: "vi" })).toEqual(["Manis javanica"]);
    expect(keys("manis JAVANICA")[0]).toBe("Manis javanica");
    expect(keys("ລີ່ນຊວາ", { language: "lo" })[0]).toBe("Manis javanica");
    expect(keys("ເສືອໂຄ່ງ", { language: "en" })[0]).toBe("Panthera tigris");
    expect(keys("Hổ", { language: "vi" })[0]).toBe("Panthera tigris");
    expect(keys("虎", { language: "zh_Hans" })[0]).toBe("Panthera tigris");
  });

  it("puts the genus entry first for the bare genus name", () => {
    expect(keys("Manis")[0]).toBe("Manis spp.");
    expect(keys("dalbergia")[0]).toBe("Dalbergia spp.");
  });

  it.each(["ngà voi", "nga voi", "象牙", "ivory", "ງາຊ້າງ"])("finds ivory not identified to species first, then the elephants, for %s", (query) => {
    const found = keys(query);
    expect(found[0]).toBe("Elephantidae spp."); // an officer cannot tell Asian from African ivory
    expect(found.slice(1, 4).sort()).toEqual(["Elephas maximus", "Loxodonta africana", "Loxodonta cyclotis"]);
  });

  it("finds across all languages whatever the UI language", () => {
    for (const language of ["en", "vi", "lo", "zh_Hans"]) {
      expect(keys("vảy tê tê", { language })[0]).toBe("Manis spp.");
      expect(keys("象牙", { language })).toContain("Elephas maximus");
      expect(keys("ງາຊ້າງ", { language })).toContain("Loxodonta africana");
    }
  });

  it("gives one result per species, at most limit", () => {
    const found = keys("pangolin", { limit: 50 });
    expect(new Set(found).size).toBe(found.length);
    expect(found.length).toBe(MANIS.length + 4);
    expect(keys("a")).toHaveLength(8);
    expect(keys("a", { limit: 3 })).toHaveLength(3);
  });

  it("gives nothing for an empty query or no match", () => {
    expect(search(index, "")).toEqual([]);
    expect(search(index, "   ")).toEqual([]);
    expect(search(index, undefined)).toEqual([]);
    expect(search(index, "zzzz")).toEqual([]);
  });

  it("stays fast enough to run on every keystroke", () => {
    const queries = ["p", "pan", "pangolin sc", "vay", "tê tê", "象牙", "穿山甲片", "ລີ່ນ", "tiger", "Manis jav"];
    const start = performance.now();
    for (let i = 0; i < 1000; i++) search(index, queries[i % queries.length], { language: "vi" });
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

describe("search ranking", () => {
  const item = (key, extra) => [key, { key, scientific_name: key, rank: "species", names: {}, trade_names: {}, ...extra }];
  const small = speciesIndex(new Map([
    item("Aus beta", { names: { en: "Big red fox" } }),
    item("Aus gamma", { names: { en: "Redfox" } }),
    item("Aus delta", { names: { en: "Red" } }),
    item("Aus alpha", { names: { en: "Dusty red" } }),
    item("Bus spp.", { rank: "genus", names: { en: "Bus (species not identified)" }, trade_names: { en: ["bone"] } }),
    item("Bus one", { names: { en: "One bus" }, trade_names: { vi: ["bone"] } }),
    item("Bus two", { names: { vi: "Xương" }, trade_names: { en: ["bone"] } }),
    item("Cus spp.", { rank: "genus", names: { en: "Cus (species not identified)" } }),
    item("Aa cus", { names: { en: "Cus" } }),
  ]));
  const ranked = (query, options) => search(small, query, options).map((r) => r.key);

  it("ranks whole name > start of name > start of a word > anywhere", () => {
    expect(ranked("red")).toEqual(["Aus delta", "Aus gamma", "Aus alpha", "Aus beta"]);
    expect(ranked("ed")).toEqual(["Aus alpha", "Aus beta", "Aus delta", "Aus gamma", "Bus spp.", "Cus spp."]); // "identified"
  });

  it("puts the genus first among equal trade-name matches, then the UI language", () => {
    expect(ranked("bone", { language: "en" })).toEqual(["Bus spp.", "Bus two", "Bus one"]);
    expect(ranked("bone", { language: "vi" })).toEqual(["Bus spp.", "Bus one", "Bus two"]);
  });

  it("does not push a genus ahead of a species on a common name alone", () => {
    expect(ranked("cus")).toEqual(["Aa cus", "Cus spp."]);
  });
});
