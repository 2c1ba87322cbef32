import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { b64d, b64e, envelopeDigest, fromUtf8 } from "../src/crypto.js";
import { applyReceipts, enqueue, expireRetained, markSent, nextBatch, pendingCount, requeue, statuses } from "../src/outbox.js";
import { copies, meta } from "../src/store.js";
import { setPin } from "../src/vault.js";
import { FAST, ServerLog, enrolled, freshDb, openEnvelope, seizure, spyTransactions } from "./helpers.js";

let db, phone, dataKey;
beforeEach(async () => {
  db = await freshDb();
  phone = await enrolled();
  dataKey = await setPin(db, "246810", FAST);
});
afterEach(() => {
  db.close();
  vi.restoreAllMocks();
});

const seal = (document = seizure(), now = 1_764_000_000_000, key = dataKey) =>
  enqueue(db, { document, deviceKey: phone.deviceKey, device: phone.device, intake: phone.intake, dataKey: key, now });
const digestOf = async ({ h, ct, sig }) => b64e(await envelopeDigest(b64d(h), b64d(ct), b64d(sig)));

async function sealMany(n) {
  const rids = [];
  for (let k = 0; k < n; k += 1) rids.push(await seal(seizure(), 1_764_000_000_000 + k));
  return rids;
}

describe("enqueue", () => {
  it("writes the header's keys in protocol order, as exact compact bytes", async () => {
    const rid = await seal(seizure(), 1_764_000_123_456);
    const [entry] = await nextBatch(db);
    expect(entry.rid).toBe(rid);
    expect(fromUtf8(b64d(entry.envelope.h))).toBe(
      `{"v":1,"rid":"${rid}","dev":"${phone.device.id}","seq":1,"ts":1764000123456,"kid":"${phone.intake.kid}","prev":null}`,
    );
  });

  it("seals the compact document to the intake key, signed inside and out by the device key", async () => {
    const document = { ...seizure(), supersedes: "0b7c4f2e-5d7a-4c31-9c1e-2f8a7c0d1e22" };
    await seal(document);
    const [entry] = await nextBatch(db);
    const opened = await openEnvelope(entry.envelope, phone);
    expect(opened.contentText).toBe(JSON.stringify(document));
    expect(entry).toMatchObject({ seq: 1, form: "seizure", sent_at: null, bytes: JSON.stringify(entry.envelope).length });
  });

  it("numbers records gaplessly and chains prev to the digest of the previous envelope", async () => {
    const rids = await sealMany(4);
    const batch = await nextBatch(db);
    expect(batch.map((entry) => entry.rid)).toEqual(rids);
    expect(batch.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
    let prev = null;
    for (const entry of batch) {
      const { header } = await openEnvelope(entry.envelope, phone);
      expect(header.prev).toBe(prev);
      prev = await digestOf(entry.envelope);
    }
    expect(await meta.get(db, "seq")).toEqual({ seq: 4, prev });
  });

  it("stays gapless when many records are sealed at once", async () => {
    await Promise.all(Array.from({ length: 8 }, () => seal()));
    const seqs = (await nextBatch(db)).map((entry) => entry.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("continues the chain after earlier records were received and deleted", async () => {
    await sealMany(2);
    const first = await nextBatch(db);
    const { answer, head } = await new ServerLog().answer(first);
    await applyReceipts(db, first, answer, Date.now(), { head });
    await seal();
    const [third] = await nextBatch(db);
    expect(third.seq).toBe(3);
    expect((await openEnvelope(third.envelope, phone)).header.prev).toBe(await digestOf(first[1].envelope));
  });

  it("keeps an encrypted local copy, or metadata only without a data key", async () => {
    const withKey = await seal({ ...seizure(), supersedes: "0b7c4f2e-5d7a-4c31-9c1e-2f8a7c0d1e22" });
    const without = await seal(seizure(), 1_764_000_000_001, null);
    const copy = await copies.open(db, dataKey, withKey);
    expect(copy).toMatchObject({ form: "seizure", version: 1, seq: 1, receipt_at: null, supersedes: "0b7c4f2e-5d7a-4c31-9c1e-2f8a7c0d1e22", readable: true });
    expect(copy.document.fields).toEqual(seizure().fields);
    expect(await copies.open(db, dataKey, without)).toMatchObject({ seq: 2, readable: false, document: null });
  });

  it("writes outbox entry, seq and copy in one strict transaction, after all crypto", async () => {
    const spy = spyTransactions();
    await seal();
    spy.restore();
    const writes = spy.log.filter((t) => t.mode === "readwrite");
    expect(writes).toEqual([{ stores: ["copies", "meta", "outbox"], mode: "readwrite", durability: "strict" }]);
  });

  it("seals nothing if the write fails, and the next record reuses the seq", async () => {
    vi.spyOn(IDBObjectStore.prototype, "add").mockImplementationOnce(() => {
      throw new DOMException("disk full", "QuotaExceededError");
    });
    await expect(seal()).rejects.toThrow("disk full");
    expect(await pendingCount(db)).toBe(0);
    expect(await meta.get(db, "seq")).toBeUndefined();
    await seal();
    expect((await nextBatch(db))[0].seq).toBe(1);
  });
});

describe("nextBatch", () => {
  it("returns at most maxRecords, in seq order", async () => {
    await sealMany(5);
    expect((await nextBatch(db, { maxRecords: 3 })).map((entry) => entry.seq)).toEqual([1, 2, 3]);
  });

  it("stops before maxBytes, but always returns at least one entry", async () => {
    await sealMany(3);
    const all = await nextBatch(db);
    const two = all[0].bytes + all[1].bytes;
    expect((await nextBatch(db, { maxBytes: two })).map((entry) => entry.seq)).toEqual([1, 2]);
    expect((await nextBatch(db, { maxBytes: two - 1 })).map((entry) => entry.seq)).toEqual([1]);
    expect((await nextBatch(db, { maxBytes: 10 })).map((entry) => entry.seq)).toEqual([1]);
  });

  it("is empty when nothing waits", async () => {
    expect(await nextBatch(db)).toEqual([]);
  });
});

describe("applyReceipts", () => {
  async function pushed(n) {
    await sealMany(n);
    const entries = await nextBatch(db);
    await markSent(db, entries.map((entry) => entry.rid), 1_764_000_100_000);
    return entries;
  }

  it("stores each receipt, proven against the head, and removes its entry, for every status the server keeps", async () => {
    const entries = await pushed(4);
    const { answer, head } = await new ServerLog().answer(entries, { statuses: ["accepted", "duplicate", "quarantined", "conflict"] });
    Object.assign(answer.receipts[2], { code: "invalid_fields", message: "Some fields are not valid" });
    Object.assign(answer.receipts[3], { code: "rid_conflict", message: "Conflict" });
    const result = await applyReceipts(db, entries, answer, 1_764_000_300_000, { head });
    expect(result).toEqual({ applied: entries.map((entry) => entry.rid), kept: [] });
    expect(await pendingCount(db)).toBe(0);

    const list = await statuses(db);
    expect(list.map((row) => [row.seq, row.state, row.code])).toEqual([
      [4, "quarantined", "rid_conflict"],
      [3, "quarantined", "invalid_fields"],
      [2, "accepted", null],
      [1, "accepted", null],
    ]);
    expect(list[3]).toMatchObject({ rid: entries[0].rid, form: "seizure", sealed_at: 1_764_000_000_000, receipt_at: 1_764_000_300_000 });
    expect((await copies.list(db)).every((copy) => copy.receipt_at === 1_764_000_300_000)).toBe(true);
  });

  it("keeps the envelope on its receipt, to send again after a restore", async () => {
    const entries = await pushed(3);
    const log = new ServerLog();
    const { answer, head } = await log.answer(entries);
    await applyReceipts(db, entries, answer, 1_764_000_300_000, { head });
    const kept = await requeue(db, { restoredTo: 1, epoch: 5 }); // the server lost rows 2 and 3
    expect(kept).toBe(2);
    expect((await nextBatch(db)).map((entry) => [entry.rid, entry.envelope])).toEqual(entries.slice(1).map((e) => [e.rid, e.envelope]));
    expect((await statuses(db)).map((row) => row.state)).toEqual(["waiting", "waiting", "accepted"]);
    expect(await expireRetained(db, 1_764_000_300_000 + 31 * 24 * 3600 * 1000)).toBe(1);
    expect(await requeue(db, { restoredTo: 0, epoch: 9 })).toBe(0); // let go: nothing left to send again
  });

  it("keeps an entry whose inclusion proof fails, and raises the alarm", async () => {
    const entries = await pushed(2);
    const { answer, head } = await new ServerLog().answer(entries);
    answer.receipts[1].leaf = { ...answer.receipts[1].leaf, clock_offset_ms: 3_600_000 }; // not the row we sent
    await expect(applyReceipts(db, entries, answer, Date.now(), { head })).rejects.toMatchObject({ code: "log_inclusion_failed" });
    expect(await pendingCount(db)).toBe(2);
  });

  it("deletes nothing once the log was caught contradicting itself", async () => {
    const entries = await pushed(2);
    const { answer, head } = await new ServerLog().answer(entries);
    expect(await applyReceipts(db, entries, answer, Date.now(), { head, alarm: true })).toEqual({ applied: [], kept: entries.map((e) => e.rid) });
    expect(await pendingCount(db)).toBe(2);
  });

  it("believes a refusal before the log only when our own envelope is broken", async () => {
    const entries = await pushed(2);
    const devicePublic = phone.devicePublic;
    const sound = { i: 0, rid: entries[0].rid, status: "quarantined", code: "bad_signature", log_index: null };
    entries[1].envelope = { ...entries[1].envelope, sig: b64e(new Uint8Array(64)) }; // broken on the phone
    const broken = { i: 1, rid: entries[1].rid, status: "quarantined", code: "bad_signature", log_index: null };
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const result = await applyReceipts(db, entries, { receipts: [sound, broken] }, Date.now(), { devicePublic });
    expect(result).toEqual({ applied: [entries[1].rid], kept: [entries[0].rid] });
  });

  it("keeps a refused entry: the server did not store it", async () => {
    const entries = await pushed(1);
    const refused = { i: 0, rid: entries[0].rid, status: "refused", code: "revoked_seq_beyond_cap", env_sha256: await digestOf(entries[0].envelope), log_index: null };
    expect(await applyReceipts(db, entries, { receipts: [refused] })).toEqual({ applied: [], kept: [entries[0].rid] });
  });

  it("keeps an entry whose accepted or duplicate receipt names other bytes", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const entries = await pushed(2);
    const { answer, head } = await new ServerLog().answer(entries, { statuses: ["accepted", "duplicate"] });
    answer.receipts[0].env_sha256 = b64e(new Uint8Array(32));
    answer.receipts[1].env_sha256 = null;
    const result = await applyReceipts(db, entries, answer, Date.now(), { head });
    expect(result).toEqual({ applied: [], kept: entries.map((entry) => entry.rid) });
    expect(await pendingCount(db)).toBe(2);
    expect((await statuses(db)).map((row) => row.state)).toEqual(["sent", "sent"]);
    expect((await copies.list(db)).every((copy) => copy.receipt_at === null)).toBe(true);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it("keeps an entry whose receipt names another rid, and applies the rest", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const entries = await pushed(2);
    const { answer, head } = await new ServerLog().answer(entries);
    answer.receipts[0].rid = entries[1].rid;
    const result = await applyReceipts(db, entries, answer, Date.now(), { head });
    expect(result).toEqual({ applied: [entries[1].rid], kept: [entries[0].rid] });
    expect((await nextBatch(db)).map((entry) => entry.rid)).toEqual([entries[0].rid]);
    expect(warn).toHaveBeenCalledOnce();
  });

  it("stores receipts and deletes entries in one strict transaction", async () => {
    const entries = await pushed(2);
    const { answer, head } = await new ServerLog().answer(entries);
    const spy = spyTransactions();
    await applyReceipts(db, entries, answer, Date.now(), { head });
    spy.restore();
    expect(spy.log.filter((t) => t.mode === "readwrite")).toEqual([
      { stores: ["copies", "outbox", "receipts"], mode: "readwrite", durability: "strict" },
    ]);
  });
});

describe("statuses", () => {
  it("tells waiting from sent, newest first", async () => {
    const [first, second] = await sealMany(2);
    await markSent(db, [first], 1_764_000_100_000);
    expect(await statuses(db)).toEqual([
      { rid: second, form: "seizure", seq: 2, sealed_at: 1_764_000_000_001, state: "waiting", code: null, message: null, receipt_at: null, supersedes: null },
      { rid: first, form: "seizure", seq: 1, sealed_at: 1_764_000_000_000, state: "sent", code: null, message: null, receipt_at: null, supersedes: null },
    ]);
    expect(await pendingCount(db)).toBe(2);
  });
});
