import { describe, expect, it } from "vitest";
import crossingsFile from "../../server/reference/data/crossings.json";
import agenciesFile from "../../server/reference/agencies.json";
import functionsFile from "../../server/reference/data/codes/agency_function.json";
import placesFile from "../../server/reference/data/places.json";
import { buildIndex, contactsOf, counterparts, duty, links, nearestCrossing, searchDirectory, stale, staleAfterDays,
  vcard, wallClock } from "../src/directory.js";

// What the server adds when it publishes (server/reference/search.py): toneless pinyin of the Chinese names.
const PINYIN = {
  "VN-CN:mong-cai--dongxing": ["mang jie dong xing", "mang jie guo ji kou an", "dong xing kou an"],
  "LA-CN:boten--mohan": ["mo ding mo han", "mo ding guo ji kou an", "mo han kou an meng la"],
};
const crossings = new Map(crossingsFile.items.map((item) => [item.key, { ...item, pinyin: PINYIN[item.key] ?? [] }]));
const agencies = new Map(agenciesFile.map((agency) => [agency.code, agency]));
const codes = new Map([["agency_function", functionsFile]]);

const desk = (over) => ({ kind: "duty_desk", role: { en: "Desk", vi: "Bàn", lo: "ໂຕະ", zh_Hans: "值班台" }, name: null, name_latin: null,
  phones: [{ number: "+861400100101", type: "hotline" }], messaging: [], email: null, languages: ["zh"], hours: { always: true },
  time_zone: "Asia/Shanghai", closed: [], crossings: [], demo: true, pinyin: [], verified_on: "2026-11-01", verified_by: "x", ...over });

const CONTACTS = [
  desk({ key: "demo/LA-DOFI/duty", agency: "LA-DOFI", phones: [{ number: "+85638200201", type: "hotline" }], time_zone: "Asia/Vientiane",
    crossings: ["LA-CN:boten--mohan"], role: { en: "Forest inspection hotline (demo)", vi: "Đường dây nóng", lo: "ສາຍດ່ວນກວດກາປ່າໄມ້", zh_Hans: "森林检查热线" } }),
  desk({ key: "demo/LA-DOFI/office", agency: "LA-DOFI", hours: { weekly: [{ days: ["mon", "fri"], from: "08:00", to: "16:00" }] },
    time_zone: "Asia/Vientiane", crossings: [] }),
  desk({ key: "demo/LA-DOFI/elsewhere", agency: "LA-DOFI", kind: "focal_point", name: "ສົມພອນ", name_latin: "Somphone",
    crossings: ["VN-LA:cau-treo--nam-phao"] }),
  desk({ key: "demo/CN-HG-DX/liaison", agency: "CN-HG-DX", kind: "focal_point", name: "黄演示", name_latin: "Huang Yanshi",
    pinyin: ["kua jing lian luo yuan yan shi", "huang yan shi"], crossings: ["VN-CN:mong-cai--dongxing"],
    hours: { weekly: [{ days: ["mon", "fri"], from: "08:00", to: "12:00" }, { days: ["mon", "fri"], from: "14:30", to: "17:30" }] },
    closed: [{ from: "2027-02-06", to: "2027-02-12", note: "春节" }] }),
];

describe("search", () => {
  const index = buildIndex({ crossings, agencies, contacts: CONTACTS, codes });
  const crossingKeys = (query) => searchDirectory(index, query).crossings.map((c) => c.key);

  it.each(["mong cai", "Móng Cái", "MONG CAI", "芒街", "dong xing", "dongxing", "东兴", "Đông Hưng", "mangjie"])(
    "finds Mong Cai – Dongxing from %s", (query) => {
      expect(crossingKeys(query)[0]).toBe("VN-CN:mong-cai--dongxing");
    });

  it.each(["boten", "ບໍ່ເຕັນ", "mohan", "磨憨", "Ma Hán", "mo han"])("finds Boten – Mohan from %s", (query) => {
    expect(crossingKeys(query)).toContain("LA-CN:boten--mohan");
  });

  it.each(["forest police", "森林公安", "kiểm lâm", "kiem lam", "ກວດກາປ່າໄມ້"])("finds forest law enforcement of the three countries from %s", (query) => {
    const found = searchDirectory(index, query).agencies;
    expect(new Set(found.map((a) => a.country))).toEqual(new Set(["VN", "LA", "CN"]));
    expect(found.map((a) => a.code)).toEqual(expect.arrayContaining(["LA-DOFI", "VN-KL", "CN-MPS-FDCIB"]));
  });

  it("finds contacts by person name, Latin name, pinyin and role, and agencies by name", () => {
    for (const query of ["黄演示", "huang yanshi", "huangyanshi", "Somphone", "ສົມພອນ", "Forest inspection hotline"]) {
      expect(searchDirectory(index, query).contacts.length, query).toBeGreaterThan(0);
    }
    // The agency is found (the screen lists its first contacts under it), not each contact.
    expect(searchDirectory(index, "Dongxing Customs").agencies.map((agency) => agency.code)).toContain("CN-HG-DX");
    expect(searchDirectory(index, "huang").contacts[0].key).toBe("demo/CN-HG-DX/liaison");
    expect(searchDirectory(index, "").crossings).toEqual([]);
  });

  it("narrows as the officer types, and finds the same as a fresh search", () => {
    const many = Array.from({ length: 5000 }, (_, i) => desk({ key: `bulk/${String(i).padStart(4, "0")}`, agency: "LA-DOFI", name: `Nguyễn Văn ${i}`,
      name_latin: `Nguyen Van ${i}`, role: { en: `Desk number ${i}`, vi: `Bàn số ${i}`, lo: `ໂຕະ ${i}`, zh_Hans: `值班台 ${i}` } }));
    const big = buildIndex({ crossings, agencies, contacts: many, codes });
    // Speed is bench/directory.py's business (in Chromium, throttled); here, that typing one
    // key at a time answers exactly what a fresh index answers.
    for (const query of ["n", "ng", "ngu", "nguy", "nguye", "nguyen", "nguyen v", "nguyen van 4999", "nguyen van 49", "dong"]) {
      const fresh = buildIndex({ crossings, agencies, contacts: many, codes });
      expect(searchDirectory(big, query), query).toEqual(searchDirectory(fresh, query));
    }
    expect(searchDirectory(big, "nguyen van 4999").contacts[0].key).toBe("bulk/4999");
  });

  it("typed, corrected and typed again, answers at each key what a fresh index answers", () => {
    // Queries made of the index's own words, typed a letter at a time with a slip corrected
    // on the way: narrowing, the same query after a space, letters no entry has.
    const many = Array.from({ length: 600 }, (_, i) => desk({ key: `bulk/${String(i).padStart(3, "0")}`, agency: ["LA-DOFI", "CN-HG-DX", "VN-KL"][i % 3],
      name: ["Nguyễn Văn Hùng", "黄演示", "ສົມພອນ ພົມມະວົງ", null][i % 4], name_latin: ["Nguyen Van Hung", "Huang Yanshi", "Somphone Phommavong", null][i % 4],
      pinyin: i % 4 === 1 ? ["huang yan shi"] : [], role: { en: `Duty desk ${i % 13}`, vi: `Đầu mối động vật ${i % 5}`, lo: `ໂຕະເວນ ${i}`, zh_Hans: `值班台 ${i % 3}` } }));
    const typed = buildIndex({ crossings, agencies, contacts: many, codes });
    const built = buildIndex({ crossings, agencies, contacts: many, codes });
    const fresh = () => ({ ...built }); // the index as built, no keystroke behind it
    const queries = ["dong xing", "dong  x", "duty desk 3", "huang yanshi", "somphone", "mong cai", "boten", "dongxing", "d x", "kiểm lâm",
      "森林公安", "ສົມພອນ", "nguyen van", "forest police", "dau moi dong vat 2", "zzz", "dong xing customs"];
    let previous = "";
    for (const query of queries) {
      const keys = [...Array.from({ length: query.length }, (_, n) => query.slice(0, n + 1)), `${query}q`, query, previous];
      for (const text of keys) {
        expect(searchDirectory(typed, text, { limit: 4 }), text).toEqual(searchDirectory(fresh(), text, { limit: 4 }));
      }
      previous = query;
    }
    // A whole text first ("Duty desk 1"), then texts it starts ("Duty desk 10"), earlier in key order.
    expect(searchDirectory(typed, "duty desk 1", { limit: 4 }).contacts.map((contact) => contact.role.en)).toEqual(Array(4).fill("Duty desk 1"));
  });
});

describe("search by province", () => {
  // Crossings by their sides' provinces and agencies by the provinces they serve, from the
  // places collection, in any of the four languages.
  const places = new Map(placesFile.items.map((place) => [place.key, place]));
  const index = buildIndex({ crossings, agencies, contacts: CONTACTS, codes, places });
  const found = (query) => {
    const { crossings: c, agencies: a } = searchDirectory(index, query, { limit: 50 });
    return { crossings: c.map((crossing) => crossing.key), agencies: a.map((agency) => agency.code) };
  };

  it.each(["quang ninh", "Quảng Ninh", "广宁"])("finds Quảng Ninh's crossings and offices from %s", (query) => {
    const { crossings: keys, agencies: codes } = found(query);
    expect(keys).toEqual(expect.arrayContaining(["VN-CN:mong-cai--dongxing", "VN-CN:hoanh-mo--dongzhong", "VN-CN:bac-phong-sinh--lihuo"]));
    expect(codes).toEqual(expect.arrayContaining(["VN-HQ-QN", "VN-KL-QN", "VN-BCHBP-QN"]));
    // Quảng Ninh's own offices first, before anything found by parts of the words.
    expect(codes.slice(0, 3)).toEqual(expect.arrayContaining(["VN-HQ-QN", "VN-KL-QN"]));
    expect(codes).not.toContain("LA-DOFI-LNT");
  });

  it("finds Luang Namtha's crossings and forest inspection from luang namtha", () => {
    const { crossings: keys, agencies: codes } = found("luang namtha");
    expect(keys).toEqual(expect.arrayContaining(["LA-CN:boten--mohan", "LA-CN:boten-railway--mohan-railway"]));
    expect(codes).toEqual(expect.arrayContaining(["LA-DOFI-LNT", "LA-CUSTOMS-BOTEN"]));
    expect(keys).not.toContain("VN-CN:mong-cai--dongxing");
    expect(codes).not.toContain("VN-HQ-QN");
  });
});

describe("counterparts", () => {
  const data = (links = new Map()) => ({ agencies, crossings, counterparts: links, contacts: CONTACTS });

  it("from the links: the other side's agency of a shared function, its contacts serving the crossing first, 24-hour desks first", () => {
    const links = new Map([
      ["forest:boten", { key: "forest:boten", agencies: ["CN-MPS-FDCIB", "LA-DOFI"], functions: ["forest_law_enforcement"],
        basis: "enforcement_network", crossings: ["LA-CN:boten--mohan"], note: "Through the wildlife enforcement networks" }],
      ["customs:boten", { key: "customs:boten", agencies: ["CN-GACC", "LA-CUSTOMS-BOTEN"], functions: ["customs"], basis: "facing_posts",
        crossings: ["LA-CN:boten--mohan"], note: null }],
      ["none:boten", { key: "none:boten", agencies: [], functions: ["forest_law_enforcement", "prosecution"], basis: null,
        crossings: ["LA-CN:boten--mohan"], note: "No provincial forest office faces Mohan; call DOFI." }],
      ["none:elsewhere", { key: "none:elsewhere", agencies: [], functions: ["forest_law_enforcement"], basis: null,
        crossings: ["VN-CN:mong-cai--dongxing"], note: "not here" }],
    ]);
    const found = counterparts("CN-MPS-FDCIB", "LA-CN:boten--mohan", data(links));
    expect(found.other).toBe("LA");
    expect(found.inferred).toBe(false);
    expect(found.agencies.map((a) => a.agency.code)).toEqual(["LA-DOFI"]);
    expect(found.agencies[0].bases).toEqual(["enforcement_network"]);
    expect(found.agencies[0].contacts.map((c) => c.key)).toEqual(["demo/LA-DOFI/duty", "demo/LA-DOFI/office", "demo/LA-DOFI/elsewhere"]);
    expect(found.noneKnown).toEqual([{ key: "none:boten", functions: ["forest_law_enforcement"], note: "No provincial forest office faces Mohan; call DOFI." }]);
  });

  it("without any link pulled yet, infers the other side's agencies of a shared function at the crossing", () => {
    const found = counterparts("CN-MPS-FDCIB", "LA-CN:boten--mohan", data());
    expect(found.inferred).toBe(true);
    expect(found.agencies[0].agency.code).toBe("LA-DOFI"); // the one with contacts there
    expect(new Set(found.agencies.map((a) => a.agency.country))).toEqual(new Set(["LA"]));
    expect(found.agencies[0].bases).toEqual([]);
  });

  it("says when the crossing is not on the officer's border", () => {
    expect(counterparts("VN-HQ-QN", "LA-CN:boten--mohan", data()).notOnBorder).toBe(true);
  });
});

it("finds the nearest crossing by the positions of its sides", () => {
  expect(nearestCrossing(21.53, 107.96, crossings).key).toBe("VN-CN:mong-cai--dongxing");
  expect(nearestCrossing(21.19, 101.68, crossings).key).toMatch(/^LA-CN:boten/);
  expect(nearestCrossing(0, 0, new Map())).toBeNull();
});

describe("duty hours, in the desk's own time zone", () => {
  const liaison = CONTACTS[3]; // Asia/Shanghai, Mon–Fri 08:00–12:00 and 14:30–17:30
  const at = (iso) => Date.parse(iso);

  it("reads the wall clock of a zone", () => {
    expect(wallClock(at("2026-12-07T01:30:00Z"), "Asia/Shanghai")).toMatchObject({ date: "2026-12-07", minutes: 9 * 60 + 30, dow: 0 });
    expect(wallClock(at("2026-12-06T23:30:00Z"), "Asia/Vientiane")).toMatchObject({ date: "2026-12-07", minutes: 6 * 60 + 30 });
  });

  it("is on duty inside its hours there, whatever the officer's zone", () => {
    // Monday 09:30 in Shanghai is 08:30 in Vientiane and Hanoi.
    expect(duty(liaison, at("2026-12-07T01:30:00Z"))).toEqual({ onDuty: true, opensAt: null, closedNote: null });
  });

  it("says when it opens next: after lunch, on Monday after a weekend", () => {
    expect(duty(liaison, at("2026-12-07T04:30:00Z")).opensAt).toBe(at("2026-12-07T06:30:00Z")); // 12:30 → 14:30 Shanghai
    const saturday = duty(liaison, at("2026-12-12T02:00:00Z"));
    expect(saturday.onDuty).toBe(false);
    expect(saturday.opensAt).toBe(at("2026-12-14T00:00:00Z")); // Monday 08:00 in Shanghai
    // 07:30 in Vientiane on a Monday is 08:30 in Shanghai: open.
    expect(duty(liaison, at("2026-12-07T00:30:00Z")).onDuty).toBe(true);
  });

  it("is closed on its closed dates, with their note, and opens after them", () => {
    const found = duty(liaison, at("2027-02-08T02:00:00Z")); // a Monday in Spring Festival
    expect(found).toMatchObject({ onDuty: false, closedNote: "春节" });
    expect(found.opensAt).toBe(at("2027-02-15T00:00:00Z"));
  });

  it("a 24-hour desk is always on duty", () => {
    expect(duty(CONTACTS[0], at("2026-12-13T20:00:00Z")).onDuty).toBe(true);
  });
});

it("links: tel: in E.164, wa.me and zalo.me with digits, other platforms as handles", () => {
  const found = links(desk({ phones: [{ number: "+86 140 0100 0101", type: "office" }], email: "a@example.org",
    messaging: [{ platform: "whatsapp", handle: "+85638100101" }, { platform: "zalo", handle: "+84699100101" },
      { platform: "wechat", handle: "demo_dongxing" }] }));
  expect(found.phones[0].href).toBe("tel:+8614001000101");
  expect(found.messaging.map((m) => m.href)).toEqual(["https://wa.me/85638100101", "https://zalo.me/84699100101", null]);
  expect(found.email.href).toBe("mailto:a@example.org");
});

it("vCard 3.0 with the name, agency, role, numbers, e-mail and a demo note", () => {
  const card = vcard(CONTACTS[3], "en", agencies.get("CN-HG-DX"));
  expect(card.split("\r\n")).toEqual(expect.arrayContaining(["BEGIN:VCARD", "VERSION:3.0", "FN:黄演示 (Huang Yanshi)",
    "ORG:Dongxing Customs", "TITLE:Desk", "TEL;TYPE=WORK,VOICE:+861400100101", "END:VCARD"]));
  expect(card).toMatch(/^NOTE:demo/m);
  expect(vcard(desk({ key: "k", agency: "X", role: { en: "A, B; C" } }))).toContain("FN:A\\, B\\; C");
});

it("flags contacts verified longer ago than the directory says", () => {
  const now = Date.parse("2027-06-01T00:00:00Z");
  expect(stale(desk({ verified_on: "2026-11-01" }), now, 180)).toBe(true);
  expect(stale(desk({ verified_on: "2027-05-01" }), now, 180)).toBe(false);
  expect(stale(desk({ verified_on: null }), now, 180)).toBe(true);
  expect(staleAfterDays(new Map([["_about", { stale_after_days: 90 }]]))).toBe(90);
  expect(staleAfterDays(new Map())).toBe(180);
  expect(contactsOf(new Map([["_about", { stale_after_days: 90 }], ["a", CONTACTS[0]]]))).toEqual([CONTACTS[0]]);
});

it("an office with no contact of its own is reached through its parent's", () => {
  const links = new Map([["f", { key: "f", agencies: ["CN-MPS-FDCIB", "LA-DOFI-BKX"], functions: ["forest_law_enforcement"],
    basis: "enforcement_network", crossings: ["LA-CN:boten--mohan"], note: null }]]);
  const [found] = counterparts("CN-MPS-FDCIB", "LA-CN:boten--mohan", { agencies, crossings, counterparts: links, contacts: CONTACTS }).agencies;
  expect(found.agency.code).toBe("LA-DOFI-BKX");
  expect(found.via.code).toBe("LA-DOFI");
  expect(found.contacts[0].key).toBe("demo/LA-DOFI/duty");
});

it("the home screen lists no form that starts from another screen; the directory gets its own", async () => {
  const { latestForms } = await import("../src/screens/home.js");
  const definitions = new Map([
    ["seizure.v2", { form: "seizure", version: 2 }],
    ["directory_feedback.v1", { form: "directory_feedback", version: 1, started_from: "directory" }],
  ]);
  expect([...latestForms(definitions).keys()]).toEqual(["seizure"]);
  expect([...latestForms(definitions, { startedFrom: "directory" }).keys()]).toEqual(["directory_feedback"]);
});
