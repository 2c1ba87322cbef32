import { describe, expect, it } from "vitest";
import { formatDate, localToday, parseDate } from "../src/dates.js";

describe("dates in the officer's order", () => {
  it("shows day first in Vietnamese, Lao and English, year first in Chinese", () => {
    expect(formatDate("2026-11-03", "vi")).toBe("03/11/2026");
    expect(formatDate("2026-11-03", "lo")).toBe("03/11/2026");
    expect(formatDate("2026-11-03", "en")).toBe("03/11/2026");
    expect(formatDate("2026-11-03", "zh_Hans")).toBe("2026年11月03日");
  });

  it.each([
    ["3/11/2026", "vi", "2026-11-03"], ["03.11.2026", "lo", "2026-11-03"], ["3-11-2026", "en", "2026-11-03"],
    ["03112026", "vi", "2026-11-03"], ["2026-11-03", "vi", "2026-11-03"], ["2026年11月3日", "zh_Hans", "2026-11-03"],
    ["2026/11/3", "zh_Hans", "2026-11-03"], ["20261103", "zh_Hans", "2026-11-03"], ["２０２６－１１－０３", "zh_Hans", "2026-11-03"],
  ])("reads %s in %s as %s", (typed, code, wanted) => {
    expect(parseDate(typed, code)).toBe(wanted);
  });

  it.each([["31/11/2026", "vi"], ["29/02/2026", "vi"], ["11/30", "vi"], ["3/11/2026", "zh_Hans"], ["tomorrow", "en"], ["", "vi"]])(
    "refuses %s in %s rather than guess", (typed, code) => {
      expect(parseDate(typed, code)).toBeNull();
    });

  it("round-trips whatever it shows", () => {
    for (const code of ["vi", "lo", "en", "zh_Hans"]) expect(parseDate(formatDate("2026-01-31", code), code)).toBe("2026-01-31");
    expect(localToday(new Date(2026, 10, 30, 23, 59))).toBe("2026-11-30");
  });
});
