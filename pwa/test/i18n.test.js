// The app's strings: catalogs compiled from translations/<lang>/LC_MESSAGES/pwa.po.
import { afterEach, describe, expect, it } from "vitest";
import { language, preferredLanguage, setLanguage, t, tn, ts } from "../src/i18n.js";

afterEach(() => setLanguage("en"));

describe("i18n", () => {
  it("falls back to the English source and fills placeholders", async () => {
    await setLanguage("en");
    expect(t("Saved {time}", { time: "9:00" })).toBe("Saved 9:00");
    expect(tn("{n} record waiting to sync", "{n} records waiting to sync", 1)).toBe("1 record waiting to sync");
    expect(tn("{n} record waiting to sync", "{n} records waiting to sync", 3)).toBe("3 records waiting to sync");
  });

  it("translates from the compiled catalogs, with one plural form in vi, lo and zh_Hans", async () => {
    for (const code of ["vi", "lo", "zh_Hans"]) {
      await setLanguage(code);
      expect(language()).toBe(code);
      expect(t("Sync now")).not.toBe("Sync now");
      const one = tn("{n} record waiting to sync", "{n} records waiting to sync", 1);
      const many = tn("{n} record waiting to sync", "{n} records waiting to sync", 7);
      expect(one).toContain("1");
      expect(many).toBe(one.replace("1", "7"));
    }
  });

  it("takes form labels and server messages from the pulled server catalog", async () => {
    await setLanguage("vi", { Seizure: "Vụ thu giữ" });
    expect(ts("Seizure")).toBe("Vụ thu giữ");
    expect(ts("Unknown label")).toBe("Unknown label");
  });

  it("picks the phone's language from the browser's preferences", () => {
    expect(preferredLanguage(["zh-CN", "en"])).toBe("zh_Hans");
    expect(preferredLanguage(["lo-LA"])).toBe("lo");
    expect(preferredLanguage(["vi"])).toBe("vi");
    expect(preferredLanguage(["fr-FR", "th"])).toBe("en");
  });
});
