// Numbers and money in the officer's own conventions, checked against Node's ICU.
import { describe, expect, it } from "vitest";
import { formatDecimal, formatMoney, parseDecimal, parseMoney, separators } from "../src/numbers.js";

const ALL = ["en", "vi", "lo", "zh_Hans"];
const COMMA_POINT = ["vi", "lo"];
const DOT_POINT = ["en", "zh_Hans"];
const NBSP = "\u00a0";

describe("separators", () => {
  it("come from ICU: vi and lo write 12.345,6, en and zh-Hans 12,345.6", () => {
    expect(Object.fromEntries(ALL.map((c) => [c, { ...separators(c) }]))).toEqual({
      en: { decimal: ".", group: "," },
      vi: { decimal: ",", group: "." },
      lo: { decimal: ",", group: "." },
      zh_Hans: { decimal: ".", group: "," },
    });
  });

  it("are computed once per language", () => {
    expect(separators("lo")).toBe(separators("lo"));
  });
});

describe("parseDecimal", () => {
  it.each(ALL)("reads what means the same in every language (%s)", (code) => {
    const cases = {
      "2,5": "2.5",
      "2.5": "2.5", // nobody groups "2.5"
      "25.000.000": "25000000",
      "25,000,000": "25000000",
      "1,234.5": "1234.5", // both present: the later one is the point
      "1.234,5": "1234.5",
      "1,234,567": "1234567",
      "１２．５": "12.5", // Chinese IME, full width
      "１２，５": "12.5",
      "１２。５": "12.5",
      "໑໒,໕": "12.5", // Lao digits
      "໑໒.໕": "12.5",
      "๑๒": "12", // Thai digits
      ".5": "0.5",
      ",5": "0.5",
      "0.500": "0.5", // a leading 0 group is never grouping
      "0,500": "0.5",
      "007": "7",
      "0": "0",
      "0.0": "0",
      "  42 ": "42",
      "1 234 567": "1234567",
      [`1${NBSP}234${NBSP}567`]: "1234567",
      "1\u202f234\u202f567": "1234567",
      "1'234'567": "1234567",
      "1’234.5": "1234.5",
      "1 234,5": "1234.5",
      "2,5 kg": "2.5",
      "2.5kg": "2.5",
      "1000000000000.123456789": "1000000000000.123456789",
    };
    for (const [text, canonical] of Object.entries(cases)) expect([text, parseDecimal(text, code)]).toEqual([text, canonical]);
  });

  it("reads one separator before three digits by the language", () => {
    for (const code of COMMA_POINT) {
      expect(parseDecimal("1.500", code)).toBe("1500");
      expect(parseDecimal("1,500", code)).toBe("1.5");
      expect(parseDecimal("2,50", code)).toBe("2.5");
    }
    for (const code of DOT_POINT) {
      expect(parseDecimal("1.500", code)).toBe("1.5");
      expect(parseDecimal("1,500", code)).toBe("1500");
      expect(parseDecimal("2.50", code)).toBe("2.5");
    }
  });

  it("drops a currency sign or code on either side", () => {
    expect(parseDecimal("25.000.000 ₫", "vi")).toBe("25000000");
    expect(parseDecimal("25.000.000đ", "vi")).toBe("25000000");
    expect(parseDecimal("VND 25.000.000", "vi")).toBe("25000000");
    expect(parseDecimal("₭1.500.000", "lo")).toBe("1500000");
    expect(parseDecimal("1.500.000 ກີບ", "lo")).toBe("1500000");
    expect(parseDecimal("¥12.5", "zh_Hans")).toBe("12.5");
    expect(parseDecimal("￥１２．５", "zh_Hans")).toBe("12.5");
    expect(parseDecimal("12.5元", "zh_Hans")).toBe("12.5");
    expect(parseDecimal("US$ 1,234.50", "en")).toBe("1234.5");
    expect(parseDecimal("฿300", "en")).toBe("300");
  });

  it.each(ALL)("rejects what it would have to guess (%s)", (code) => {
    for (const text of ["1.2.3", "1,2,3", "1,23,456", "abc", "", "   ", "1e5", "--1", "-1", "+5", "1.,5", "2.", "1 5",
      "12a34", "1/2", "1.234.5", "1,234,5", "₫", null, undefined, 5]) {
      expect([text, parseDecimal(text, code)]).toEqual([text, null]);
    }
  });

  it.each(ALL)("rejects a magnitude word rather than storing a millionth of it (%s)", (code) => {
    for (const text of ["25 triệu", "25tr", "2 tỷ đồng", "500 nghìn", "30k", "30K", "2,5万", "2.5万元", "3亿", "5 ລ້ານກີບ", "2 million"]) {
      expect([text, parseDecimal(text, code)]).toEqual([text, null]);
    }
    expect(parseDecimal("30 kip", code)).toBe("30"); // "k" only as a word of its own
  });
});

describe("formatDecimal", () => {
  it("writes the officer's separators", () => {
    const expected = {
      en: ["25,000,000", "2.5", "1,000,000,000,000", "0.5"],
      vi: ["25.000.000", "2,5", "1.000.000.000.000", "0,5"],
      lo: ["25.000.000", "2,5", "1.000.000.000.000", "0,5"],
      zh_Hans: ["25,000,000", "2.5", "1,000,000,000,000", "0.5"],
    };
    for (const code of ALL) expect(["25000000", "2.5", "1000000000000", "0.5"].map((n) => formatDecimal(n, code))).toEqual(expected[code]);
  });

  it("keeps every digit, beyond what a double holds", () => {
    expect(formatDecimal("1000000000000.123456789", "vi")).toBe("1.000.000.000.000,123456789");
    expect(formatDecimal("98765432109876543210", "en")).toBe("98,765,432,109,876,543,210");
    expect(formatDecimal("0.12345678901234567891", "en")).toBe("0.12345678901234567891");
  });

  it("shows something that is not canonical as it is", () => {
    expect(formatDecimal("abc", "en")).toBe("abc");
    expect(formatDecimal(null, "en")).toBe("");
  });

  it.each(ALL)("round-trips through parseDecimal (%s)", (code) => {
    for (const n of ["0", "7", "999", "1000", "1234", "1500", "12345.6", "1.5", "1.234", "0.001", "25000000", "1000000000000.25"]) {
      expect(parseDecimal(formatDecimal(n, code), code)).toBe(n);
    }
  });
});

describe("formatMoney", () => {
  it("writes VND the Vietnamese way, with ICU's no-break space", () => {
    expect(formatMoney("25000000", "VND", "vi")).toBe(`25.000.000${NBSP}₫`);
  });

  it("uses ICU's symbol per language", () => {
    const table = {
      en: ["₫25,000,000", `LAK${NBSP}25,000,000`, "CN¥25,000,000.00", "$25,000,000.00", `THB${NBSP}25,000,000.00`],
      vi: [`25.000.000${NBSP}₫`, `25.000.000${NBSP}LAK`, `25.000.000,00${NBSP}CN¥`, `25.000.000,00${NBSP}US$`, `25.000.000,00${NBSP}฿`],
      lo: ["₫25.000.000", "₭25.000.000", "CN¥25.000.000,00", "US$25.000.000,00", "฿25.000.000,00"],
      zh_Hans: ["₫25,000,000", `LAK${NBSP}25,000,000`, "¥25,000,000.00", "US$25,000,000.00", `THB${NBSP}25,000,000.00`],
    };
    for (const code of ALL) {
      expect(["VND", "LAK", "CNY", "USD", "THB"].map((cur) => formatMoney("25000000", cur, code))).toEqual(table[code]);
    }
  });

  it("never rounds away digits the officer typed", () => {
    expect(formatMoney("25000000.5", "VND", "vi")).toBe(`25.000.000,5${NBSP}₫`);
    expect(formatMoney("12.345", "USD", "en")).toBe("$12.345");
    expect(formatMoney("12", "USD", "en")).toBe("$12.00");
    expect(formatMoney("1000000000000", "LAK", "lo")).toBe("₭1.000.000.000.000");
  });

  it("falls back to a plain number without a usable currency", () => {
    expect(formatMoney("2.5", null, "vi")).toBe("2,5");
    expect(formatMoney("2.5", "", "en")).toBe("2.5");
  });

  it.each(ALL)("round-trips through parseMoney (%s)", (code) => {
    for (const currency of ["VND", "LAK", "CNY", "USD", "THB"]) {
      for (const amount of ["0", "25000000", "1234.5", "0.125", "1000000000000"]) {
        expect(parseMoney(formatMoney(amount, currency, code), code)).toEqual({ amount, currency });
      }
    }
  });
});

describe("parseMoney", () => {
  it("recognises the currency typed with the number", () => {
    const cases = [
      ["25.000.000 ₫", "vi", "25000000", "VND"],
      ["25.000.000đ", "vi", "25000000", "VND"],
      ["25.000.000 VNĐ", "vi", "25000000", "VND"],
      ["25.000.000 đồng", "vi", "25000000", "VND"],
      ["vnd 25.000.000", "vi", "25000000", "VND"],
      ["₭1.500.000", "lo", "1500000", "LAK"],
      ["1.500.000 LAK", "lo", "1500000", "LAK"],
      ["1.500.000 kip", "en", "1500000", "LAK"],
      ["1.500.000 ກີບ", "lo", "1500000", "LAK"],
      ["¥12.5", "zh_Hans", "12.5", "CNY"],
      ["12.5元", "zh_Hans", "12.5", "CNY"],
      ["RMB 300", "zh_Hans", "300", "CNY"],
      ["CN¥300", "en", "300", "CNY"],
      ["$1,234.50", "en", "1234.5", "USD"],
      ["US$ 1,234.50", "en", "1234.5", "USD"],
      ["1.234,50 USD", "vi", "1234.5", "USD"],
      ["฿300", "en", "300", "THB"],
      ["300 THB", "lo", "300", "THB"],
      ["300 ບາດ", "lo", "300", "THB"],
    ];
    for (const [text, code, amount, currency] of cases) {
      expect([text, parseMoney(text, code)]).toEqual([text, { amount, currency }]);
    }
  });

  it("gives no currency for a bare number or an unknown unit", () => {
    expect(parseMoney("2,5", "vi")).toEqual({ amount: "2.5", currency: null });
    expect(parseMoney("2,5 kg", "vi")).toEqual({ amount: "2.5", currency: null });
    expect(parseMoney("300 €", "en")).toEqual({ amount: "300", currency: null });
  });

  it("gives nothing for what is not a number", () => {
    expect(parseMoney("₫", "vi")).toEqual({ amount: null, currency: null });
    expect(parseMoney("25 triệu đồng", "vi")).toEqual({ amount: null, currency: null });
    expect(parseMoney("", "en")).toEqual({ amount: null, currency: null });
  });
});

describe("signs, for coordinates only", () => {
  it("reads one leading sign", async () => {
    const { parseSignedDecimal, parseDecimal, formatDecimal } = await import("../src/numbers.js");
    expect(parseSignedDecimal("-21,5", "vi")).toBe("-21.5");
    expect(parseSignedDecimal("−33.9", "en")).toBe("-33.9");
    expect(parseSignedDecimal("+105,25", "lo")).toBe("105.25");
    expect(parseSignedDecimal("-0", "en")).toBe("0");
    expect(parseSignedDecimal("--1", "en")).toBeNull();
    expect(parseDecimal("-2.5", "en")).toBeNull(); // a quantity keeps refusing a sign
    expect(formatDecimal("-21.5", "vi")).toBe("-21,5");
  });
});
