import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as contacts from "../src/contacts.js";
import { meta, privateMeta, reference, wipeSecrets } from "../src/store.js";
import { changePin, resetPin, setPin, unlock } from "../src/vault.js";
import { FAST, dump, findString, freshDb } from "./helpers.js";

const PIN = "246810";
const NAME = "黄演示";
const LATIN = "Huang Yanshi";
const NUMBER = "+861400100102";
const contact = (over = {}) => ({ key: "demo/CN-HG-DX/liaison", agency: "CN-HG-DX", kind: "focal_point",
  role: { en: "Cross-border liaison officer (demo)", vi: "Cán bộ liên lạc", lo: "ເຈົ້າໜ້າທີ່ປະສານງານ", zh_Hans: "跨境联络员（演示）" },
  name: NAME, name_latin: LATIN, phones: [{ number: NUMBER, type: "mobile" }], messaging: [{ platform: "wechat", handle: "demo_huang_yanshi" }],
  email: "huang@example.org", hours: { always: true }, time_zone: "Asia/Shanghai", ...over });
const page = (items, { checkpoint = 7, tombstones = [] } = {}) => ({ collection: "directory", history: "h".repeat(32), since: 0, checkpoint,
  more: false, items: items.map((data, i) => ({ key: data.key, version: i + 1, data })), tombstones });

let db;
beforeEach(async () => {
  db = await freshDb();
});
afterEach(() => db.close());

describe("the directory key pair", () => {
  it("is made with the PIN: the public half in the clear, the private half under the data key", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    const held = await meta.get(db, contacts.KEY);
    expect(held.public).toHaveLength(65);
    expect((await privateMeta.get(db, dataKey, contacts.KEY)).id).toBe(held.id);
    expect(findString(await dump(db), "pkcs8")).toEqual([]); // stored under the data key only
  });

  it("a vault from before the directory gets one at its next unlock; an unlock otherwise keeps it", async () => {
    await setPin(db, PIN, FAST);
    await meta.remove(db, contacts.KEY);
    await unlock(db, PIN);
    const held = await meta.get(db, contacts.KEY);
    expect(held).not.toBeNull();
    await unlock(db, PIN);
    expect((await meta.get(db, contacts.KEY)).id).toBe(held.id);
  });
});

describe("contacts pulled by a locked sync", () => {
  it("are not pulled before there is a PIN", async () => {
    expect(await contacts.canPull(db)).toBe(false);
    expect(await contacts.applyPage(db, page([contact()]))).toBe(false);
    expect((await dump(db)).reference).toEqual([]);
  });

  it("are sealed before they are stored: no name, number, handle, e-mail or role in the clear; the key and checkpoint are", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    expect(await contacts.applyPage(db, page([contact(), { key: "_about", stale_after_days: 90 }]))).toBe(true);
    const stored = await dump(db);
    for (const secret of [NAME, LATIN, NUMBER, "8614001", "demo_huang_yanshi", "huang@example.org", "Cross-border liaison", "跨境联络员"]) {
      expect(findString(stored, secret), secret).toEqual([]);
    }
    expect(await reference.checkpoint(db, "directory")).toEqual({ checkpoint: 7, history: "h".repeat(32) });
    const opened = await contacts.openAll(db, dataKey);
    expect(opened.get("demo/CN-HG-DX/liaison")).toEqual(contact());
    expect(opened.get("_about")).toEqual({ key: "_about", stale_after_days: 90 });
  });

  it("a tombstone removes a contact", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    await contacts.applyPage(db, page([contact(), contact({ key: "demo/other" })]));
    await contacts.applyPage(db, page([], { checkpoint: 9, tombstones: [{ key: "demo/other", version: 9 }] }));
    expect([...(await contacts.openAll(db, dataKey)).keys()]).toEqual(["demo/CN-HG-DX/liaison"]);
  });

  it("cannot be moved to another key: the aad binds each one to its key", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    await contacts.applyPage(db, page([contact(), contact({ key: "demo/other", name: "Other" })]));
    const rows = await reference.all(db, "directory");
    await reference.applyPage(db, { collection: "directory", items: [{ key: "demo/other", data: rows.get("demo/CN-HG-DX/liaison") }], checkpoint: 8, history: "h" });
    expect([...(await contacts.openAll(db, dataKey)).keys()]).toEqual(["demo/CN-HG-DX/liaison"]);
  });

  it("survive a PIN change; a PIN reset or wipe drops them and their checkpoint, to be pulled again under the new key", async () => {
    await setPin(db, PIN, FAST);
    await contacts.applyPage(db, page([contact()]));
    const changed = await changePin(db, PIN, "135790", FAST);
    expect((await contacts.openAll(db, changed)).size).toBe(1);

    const before = (await meta.get(db, contacts.KEY)).id;
    const reset = await resetPin(db, "112233", FAST);
    expect((await meta.get(db, contacts.KEY)).id).not.toBe(before);
    expect((await reference.all(db, "directory")).size).toBe(0);
    expect(await reference.checkpoint(db, "directory")).toEqual({ checkpoint: 0, history: null });
    await contacts.applyPage(db, page([contact()]));
    expect((await contacts.openAll(db, reset)).size).toBe(1);

    await wipeSecrets(db);
    expect(await contacts.canPull(db)).toBe(false);
    expect((await reference.all(db, "directory")).size).toBe(0);
  });

  it("a page sealed to a key replaced meanwhile is not written", async () => {
    await setPin(db, PIN, FAST);
    const held = await meta.get(db, contacts.KEY);
    const racing = contacts.applyPage(db, page([contact()]));
    await meta.put(db, contacts.KEY, { ...held, id: "another" }); // a new PIN while the page was being sealed
    await expect(racing).rejects.toBeInstanceOf(contacts.KeyChanged);
    expect((await reference.all(db, "directory")).size).toBe(0);
  });
});

describe("supervisors' reviews of this phone's records", () => {
  const RID = "0b6f3c1e-8d2a-4f4b-9c3e-2a1d5e6f7a8b";
  const review = { rid: RID, state: "has_issues", comment: "Suspect Trần Văn Demo: check the plate", by: "Demo supervisor", at: "2026-11-30T08:00:00Z" };
  const reviews = { ...page([]), collection: "reviews", items: [{ key: RID, version: 3, data: review }] };

  it("are sealed like contacts, opened with the data key, and dropped with the PIN", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    expect(await contacts.applyPage(db, reviews, "reviews")).toBe(true);
    expect(findString(await dump(db), "Trần Văn Demo")).toEqual([]);
    expect((await contacts.openAll(db, dataKey, "reviews")).get(RID)).toEqual(review);
    expect((await contacts.openAll(db, dataKey)).has(RID)).toBe(false); // another collection's seal
    await wipeSecrets(db);
    expect((await reference.checkpoint(db, "reviews")).checkpoint).toBe(0); // pulled again whole
    expect((await dump(db)).reference.filter((row) => row.collection === "reviews")).toEqual([]);
  });
});
