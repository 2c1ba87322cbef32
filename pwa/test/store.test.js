import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { applyReceipts, enqueue, nextBatch, pendingCount } from "../src/outbox.js";
import { copies, drafts, meta, privateMeta, reference, stranded, wipeRevoked, wipeSecrets } from "../src/store.js";
import { setPin } from "../src/vault.js";
import { b64d, b64e, envelopeDigest, newDataKey } from "../src/crypto.js";
import { FAST, ServerLog, dump, enrolled, findString, freshDb, seizure, spyTransactions } from "./helpers.js";

const DAY = 24 * 60 * 60 * 1000;
let db, dataKey;
beforeEach(async () => {
  db = await freshDb();
  dataKey = await setPin(db, "246810", FAST);
});
afterEach(() => {
  db.close();
  vi.restoreAllMocks();
});

async function receive(entries, now) {
  const { answer, head } = await new ServerLog().answer(entries);
  return applyReceipts(db, entries, answer, now, { head });
}

describe("drafts", () => {
  it("saves, lists metadata only, opens, updates and removes", async () => {
    const { form, version, fields } = seizure();
    const id = await drafts.save(db, dataKey, { form, version, fields }, 1000);
    expect(await drafts.list(db)).toEqual([{ id, form, version, supersedes: null, created_at: 1000, updated_at: 1000 }]);
    expect(await drafts.open(db, dataKey, id)).toEqual({ id, form, version, supersedes: null, created_at: 1000, updated_at: 1000, fields });

    await drafts.save(db, dataKey, { id, form, version, fields: { ...fields, date: "2026-11-21" } }, 2000);
    expect((await drafts.open(db, dataKey, id)).fields.date).toBe("2026-11-21");
    expect((await drafts.list(db))[0]).toMatchObject({ created_at: 1000, updated_at: 2000 });

    await drafts.remove(db, id);
    expect(await drafts.list(db)).toEqual([]);
    expect(await drafts.open(db, dataKey, id)).toBeNull();
  });

  it("cannot be opened with another key, or moved to another id", async () => {
    const id = await drafts.save(db, dataKey, seizure());
    await expect(drafts.open(db, await newDataKey(), id)).rejects.toThrow();
    const row = (await dump(db)).drafts[0].value;
    await new Promise((resolve) => {
      const t = db.transaction("drafts", "readwrite");
      t.objectStore("drafts").put({ ...row, id: "elsewhere" });
      t.oncomplete = resolve;
    });
    await expect(drafts.open(db, dataKey, "elsewhere")).rejects.toThrow();
  });
});

describe("privateMeta", () => {
  it("keeps names the officer typed encrypted, and a PIN reset erases them", async () => {
    await privateMeta.put(db, dataKey, "officers", ["Lê Văn Tám", "ສົມສັກ"]);
    expect(await privateMeta.get(db, dataKey, "officers")).toEqual(["Lê Văn Tám", "ສົມສັກ"]);
    expect(findString(await dump(db), "Lê Văn Tám")).toEqual([]);
    await expect(privateMeta.get(db, await newDataKey(), "officers")).rejects.toThrow();
    await meta.put(db, "settings", { language: "lo" });
    await wipeSecrets(db);
    expect(await meta.get(db, "private:officers")).toBeUndefined();
    expect(await meta.get(db, "settings")).toEqual({ language: "lo" });
  });
});

describe("copies", () => {
  it("expire to metadata only some days after their receipt", async () => {
    const phone = await enrolled();
    const seal = (now) => enqueue(db, { document: seizure(), deviceKey: phone.deviceKey, device: phone.device, intake: phone.intake, dataKey, now });
    const old = await seal(1 * DAY);
    await receive(await nextBatch(db), 2 * DAY);
    const recent = await seal(5 * DAY);
    await receive(await nextBatch(db), 6 * DAY);
    const unsent = await seal(7 * DAY);

    expect(await copies.expire(db, 9 * DAY + 1)).toBe(1); // 7 days after 2 * DAY
    expect(await copies.open(db, dataKey, old)).toMatchObject({ rid: old, form: "seizure", seq: 1, receipt_at: 2 * DAY, readable: false, document: null });
    expect((await copies.open(db, dataKey, recent)).document).toEqual(seizure());
    expect((await copies.open(db, dataKey, unsent)).document).toEqual(seizure());

    expect(await copies.expire(db, 30 * DAY, 7)).toBe(1); // the unsent one has no receipt: kept
    expect((await copies.list(db)).map((copy) => [copy.seq, copy.readable])).toEqual([[3, true], [2, false], [1, false]]);
  });
});

describe("reference", () => {
  const page = (overrides) => ({
    collection: "species",
    items: [
      { key: "loxodonta-africana", version: 3, data: { name: { en: "African elephant" } } },
      { key: "manis-javanica", version: 4, data: { name: { en: "Sunda pangolin" } } },
    ],
    tombstones: [],
    checkpoint: 4,
    history: "a".repeat(32),
    ...overrides,
  });

  it("applies pages in one strict transaction: items, tombstones and checkpoint", async () => {
    expect(await reference.checkpoint(db, "species")).toEqual({ checkpoint: 0, history: null });
    const spy = spyTransactions();
    await reference.applyPage(db, page());
    spy.restore();
    expect(spy.log).toEqual([{ stores: ["checkpoints", "reference"], mode: "readwrite", durability: "strict" }]);

    await reference.applyPage(db, page({ items: [{ key: "pangolin-scales", version: 5, data: { unit: "KIL" } }], tombstones: [{ key: "manis-javanica", version: 6 }], checkpoint: 6 }));
    await reference.applyPage(db, { collection: "forms", items: [{ key: "seizure@1", version: 1, data: {} }], tombstones: [], checkpoint: 1, history: "b".repeat(32) });
    const species = await reference.all(db, "species");
    expect([...species.keys()].sort()).toEqual(["loxodonta-africana", "pangolin-scales"]);
    expect(species.get("loxodonta-africana")).toEqual({ name: { en: "African elephant" } });
    expect(await reference.checkpoint(db, "species")).toEqual({ checkpoint: 6, history: "a".repeat(32) });
    expect([...(await reference.all(db, "forms")).keys()]).toEqual(["seizure@1"]);
  });

  it("writes nothing, not even the checkpoint, when one item fails", async () => {
    await reference.applyPage(db, page());
    const broken = page({ items: [{ key: "ok", data: {} }, { key: undefined, data: {} }], tombstones: [{ key: "manis-javanica" }], checkpoint: 9 });
    await expect(reference.applyPage(db, broken)).rejects.toThrow();
    expect([...(await reference.all(db, "species")).keys()].sort()).toEqual(["loxodonta-africana", "manis-javanica"]);
    expect(await reference.checkpoint(db, "species")).toEqual({ checkpoint: 4, history: "a".repeat(32) });
  });

  it("starts a collection over on 410, leaving the others", async () => {
    await reference.applyPage(db, page());
    await reference.applyPage(db, { collection: "forms", items: [{ key: "seizure@1", data: {} }], checkpoint: 1, history: "b".repeat(32) });
    await reference.reset(db, "species");
    expect((await reference.all(db, "species")).size).toBe(0);
    expect(await reference.checkpoint(db, "species")).toEqual({ checkpoint: 0, history: null });
    expect((await reference.all(db, "forms")).size).toBe(1);
    expect((await reference.checkpoint(db, "forms")).checkpoint).toBe(1);
  });
});

describe("wipes", () => {
  async function fill() {
    const phone = await enrolled();
    await meta.put(db, "device", phone.device);
    await meta.put(db, "deviceKey", phone.deviceKey);
    await drafts.save(db, dataKey, seizure());
    const seal = () => enqueue(db, { document: seizure(), deviceKey: phone.deviceKey, device: phone.device, intake: phone.intake, dataKey });
    await seal();
    await receive(await nextBatch(db), Date.now());
    await seal();
    await reference.applyPage(db, { collection: "forms", items: [{ key: "seizure@1", data: {} }], checkpoint: 1, history: "b".repeat(32) });
  }

  it("wipeSecrets drops drafts, readable copies and the vault; sealed records, receipts and keys stay", async () => {
    await fill();
    await wipeSecrets(db);
    const after = await dump(db);
    expect(after.drafts).toEqual([]);
    expect(after.copies.map((row) => row.value.blob)).toEqual([null, null]);
    expect(after.meta.map((row) => row.key).sort()).toEqual(["device", "deviceKey", "pinResets", "seq"]); // the reset counted
    expect(after.outbox.length).toBe(1);
    expect(after.receipts.length).toBe(1);
    expect(after.reference.length).toBe(1);
  });

  it("wipeRevoked erases everything but the unanswered sealed envelopes, which it keeps for carrying in", async () => {
    await fill();
    const [waiting] = await nextBatch(db);
    expect(await wipeRevoked(db, 1_764_000_000_000)).toBe(1);
    const after = await dump(db);
    expect(after.meta).toEqual([{ key: "revoked", value: { at: 1_764_000_000_000, stranded: 1 } }]);
    expect(after.stranded.map((row) => row.value.envelope)).toEqual([waiting.envelope]);
    for (const [name, rows] of Object.entries(after)) if (!["meta", "stranded"].includes(name)) expect(rows, name).toEqual([]);
    expect(await pendingCount(db)).toBe(0);
    expect(await stranded.count(db)).toBe(1);
  });
});

it("stores nothing the officer typed in clear, anywhere", async () => {
  const marker = "Trần Thị Hoa 0912-555-013";
  const phone = await enrolled();
  await meta.put(db, "deviceKey", phone.deviceKey);
  await drafts.save(db, dataKey, seizure(marker));
  await enqueue(db, { document: seizure(marker), deviceKey: phone.deviceKey, device: phone.device, intake: phone.intake, dataKey });
  await enqueue(db, { document: seizure(marker), deviceKey: phone.deviceKey, device: phone.device, intake: phone.intake, dataKey });
  await receive((await nextBatch(db)).slice(0, 1), Date.now());

  const everything = await dump(db);
  expect(everything.drafts.length + everything.outbox.length + everything.copies.length + everything.receipts.length).toBe(5);
  expect(findString(everything, "Ivory in a truck")).toEqual([]);
  expect(findString(everything, marker)).toEqual([]);
  expect(findString(everything, "+84912345678")).toEqual([]);
  expect(findString(everything, "2026-11-20")).toEqual([]);
  // The search itself works: it finds what is stored in clear.
  expect(findString(everything, "seizure").length).toBeGreaterThan(0);
});
