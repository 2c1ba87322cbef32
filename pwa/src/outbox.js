// The phone's side of the sync protocol (DESIGN §1, §3), without the network (sync.js
// does HTTP): seal into the outbox, hand out batches, apply receipts. An outbox entry is
// deleted only in the transaction that stores its receipt, and only if the receipt
// names this very envelope.
import { b64d, b64e, envelopeDigest, outerMessage, sealRecord, utf8, uuid, verify } from "./crypto.js";
import { req, tx } from "./db.js";
import { LogAnswerError, checkReceipt } from "./log.js";
import { exclusive } from "./locks.js";
import { copies } from "./store.js";

const STRICT = { durability: "strict" };
const HELD = { accepted: "accepted", duplicate: "accepted", quarantined: "quarantined", conflict: "quarantined" };

// seq must be gapless and prev must chain, so sealings run one at a time.
const oneAtATime = (fn) => exclusive("wildledger-seal", fn);

/**
 * Seals `document` ({form, version, fields, supersedes?}) and puts it in the outbox.
 * deviceKey: the CryptoKeyPair from meta; device: meta device; intake: the current
 * intake key {kid, public_key}; dataKey: the unlocked PIN key, for the local copy
 * (without it the copy is metadata only); now: device clock, ms. Returns the rid.
 */
export function enqueue(db, { document: typed, deviceKey, device, intake, dataKey = null, now = Date.now() }) {
  return oneAtATime(async () => {
    const [stored, resets] = await tx(db, "meta", "readonly", (s) => Promise.all([req(s.meta.get("seq")), req(s.meta.get("pinResets"))]));
    const last = stored ?? { seq: 0, prev: null };
    // Sealed with the record: after a PIN reset the server flags it until a supervisor confirms.
    const document = resets?.count ? { ...typed, pin_resets: resets.count } : typed;
    const rid = uuid();
    const seq = last.seq + 1;
    // Key order is part of the bytes the server stores and hashes: keep it literal.
    const header = utf8(JSON.stringify({ v: 1, rid, dev: device.id, seq, ts: now, kid: intake.kid, prev: last.prev }));
    const { ct, sig } = await sealRecord(deviceKey.privateKey ?? deviceKey, b64d(intake.public_key), header, utf8(JSON.stringify(document)));
    const next = { seq, prev: b64e(await envelopeDigest(header, ct, sig)) };
    const envelope = { h: b64e(header), ct: b64e(ct), sig: b64e(sig) };
    const entry = { rid, seq, form: document.form, envelope, bytes: JSON.stringify(envelope).length, sealed_at: now, sent_at: null };
    const copy = await copies.prepare(dataKey, { rid, seq, sealed_at: now, document });

    // All crypto is done: a transaction would have committed during those awaits.
    await tx(db, ["meta", "outbox", "copies"], "readwrite", async (s) => {
      // Another tab without Web Locks may have sealed meanwhile: refuse rather than fork the chain.
      const current = (await req(s.meta.get("seq"))) ?? { seq: 0, prev: null };
      if (current.seq !== last.seq) throw new Error(`seq moved from ${last.seq} to ${current.seq} while sealing`);
      s.outbox.add(entry);
      s.meta.put(next, "seq");
      s.copies.put(copy);
    }, STRICT);
    return rid;
  });
}

/**
 * The next entries to push, in seq order: at most maxRecords, and at most maxBytes of
 * envelopes unless the first alone is larger (it must go some time). Entries already
 * sent stay in: their answer was lost, and the server will say "duplicate".
 */
export async function nextBatch(db, { maxRecords = 25, maxBytes = 64 * 1024 } = {}) {
  const entries = await tx(db, "outbox", "readonly", (s) => req(s.outbox.index("seq").getAll(null, maxRecords)));
  const batch = [];
  let bytes = 0;
  for (const entry of entries) {
    if (batch.length > 0 && bytes + entry.bytes > maxBytes) break;
    batch.push(entry);
    bytes += entry.bytes;
  }
  return batch;
}

/** Records that these entries went out (for "My records": waiting → sent). */
export function markSent(db, rids, now = Date.now()) {
  return tx(db, "outbox", "readwrite", async (s) => {
    for (const rid of rids) {
      const entry = await req(s.outbox.get(rid));
      if (entry) s.outbox.put({ ...entry, sent_at: now });
    }
  });
}

/** Days a sealed envelope is kept after its receipt, to be sent again if the server is restored (PROTOCOL.md §9). */
export const RETAIN_DAYS = 30;
/** …and at most this many, newest kept: retention is bounded by space. */
export const RETAIN_MOST = 5000;
const DAY_MS = 24 * 60 * 60 * 1000;
const IN_SERVER = new Set(["accepted", "duplicate", "quarantined", "conflict"]);

/** Whether our own copy of an envelope is broken (then the server's "bad signature" is believable). */
async function broken(entry, devicePublic) {
  try {
    const [h, ct, sig] = [entry.envelope.h, entry.envelope.ct, entry.envelope.sig].map(b64d);
    return !devicePublic || !(await verify(devicePublic, await outerMessage(h, ct), sig));
  } catch {
    return true;
  }
}

/**
 * Applies the server's answer to a push of `entries` (answer.receipts[k].i indexes
 * entries). An entry leaves the outbox, in the strict transaction that stores its receipt,
 * only when the receipt proves the server holds this very envelope:
 * - with a log index: its inclusion proof places the leaf of our envelope's digest in the
 *   verified `head` (a failed proof throws LogAlarm, and nothing is deleted), and the
 *   status says the server keeps it; accepted and duplicate must name our digest;
 * - without one (refused before the log: a broken signature): only if our copy is broken too.
 * `alarm`: a contradiction seen earlier; then nothing is deleted at all. The envelope stays
 * on the receipt for RETAIN_DAYS, to be sent again after a restore. Returns {applied, kept}.
 */
export async function applyReceipts(db, entries, answer, now = Date.now(), { head = null, devicePublic = null, alarm = false } = {}) {
  const applied = [];
  const kept = [];
  for (const receipt of answer.receipts ?? []) {
    const entry = entries[receipt.i];
    if (!entry) continue;
    const keep = (why) => {
      if (why) console.warn("receipt for %s: %s; entry kept", entry.rid, why);
      kept.push(entry.rid);
    };
    if (receipt.rid !== entry.rid) {
      keep(`names ${receipt.rid}`);
      continue;
    }
    if (alarm || !IN_SERVER.has(receipt.status)) {
      keep(null); // refused (not stored), or the log was caught contradicting itself: ours is the only copy
      continue;
    }
    const { h, ct, sig } = entry.envelope;
    const digest = await envelopeDigest(b64d(h), b64d(ct), b64d(sig));
    if ((receipt.status === "accepted" || receipt.status === "duplicate") && receipt.env_sha256 !== b64e(digest)) {
      keep(`env_sha256 ${receipt.env_sha256} is not ours`);
      continue;
    }
    if (receipt.log_index != null) {
      if (!head) throw new LogAnswerError("a receipt with a log index but no verified head");
      await checkReceipt(head, receipt, digest);
    } else if (receipt.status !== "quarantined" || !(await broken(entry, devicePublic))) {
      keep("refused before the log, but our envelope is sound");
      continue;
    }
    applied.push({ receipt, entry });
  }
  if (applied.length === 0) return { applied: [], kept };

  await tx(db, ["receipts", "outbox", "copies"], "readwrite", async (s) => {
    for (const { receipt, entry } of applied) {
      const { status, code = null, message = null, env_sha256 = null, log_index = null, leaf = null } = receipt;
      s.receipts.put({ rid: entry.rid, seq: entry.seq, status, code, message, env_sha256, log_index, received_at: now,
        leaf, epoch: log_index == null ? null : head.epoch, retained: { ...entry, sent_at: null } });
      s.outbox.delete(entry.rid);
    }
    for (const { entry } of applied) {
      const copy = await req(s.copies.get(entry.rid));
      if (copy) s.copies.put({ ...copy, receipt_at: now });
    }
  }, STRICT);
  return { applied: applied.map(({ entry }) => entry.rid), kept };
}

/**
 * The server was restored from a dump to `restoredTo` rows (a new log epoch): every
 * retained envelope whose row lay beyond that goes back to the outbox, to be filed again,
 * once. Returns how many.
 */
export function requeue(db, { restoredTo, epoch }) {
  return tx(db, ["receipts", "outbox"], "readwrite", async (s) => {
    let count = 0;
    for (const row of await req(s.receipts.getAll())) {
      if (row.retained && row.epoch != null && row.epoch < epoch && row.log_index > restoredTo) {
        s.outbox.put(row.retained);
        s.receipts.delete(row.rid);
        count += 1;
      }
    }
    return count;
  }, STRICT);
}

/** Retained envelopes older than `days`, or beyond the newest RETAIN_MOST, are let go. */
export function expireRetained(db, now = Date.now(), days = RETAIN_DAYS, most = RETAIN_MOST) {
  return tx(db, "receipts", "readwrite", async (s) => {
    const rows = (await req(s.receipts.getAll())).filter((row) => row.retained).sort((a, b) => b.received_at - a.received_at);
    let count = 0;
    rows.forEach((row, rank) => {
      if (rank >= most || row.received_at < now - days * DAY_MS) {
        s.receipts.put({ ...row, retained: null });
        count += 1;
      }
    });
    return count;
  });
}

/**
 * "My records", newest (highest seq) first: {rid, form, seq, sealed_at, state, code,
 * message, receipt_at, supersedes}, state one of waiting | sent | accepted | quarantined.
 */
export async function statuses(db) {
  const [outbox, receipts, kept] = await tx(db, ["outbox", "receipts", "copies"], "readonly", (s) =>
    Promise.all([req(s.outbox.getAll()), req(s.receipts.getAll()), req(s.copies.getAll())]));
  const copyOf = new Map(kept.map((copy) => [copy.rid, copy]));
  const rows = [
    ...outbox.map((entry) => ({
      rid: entry.rid,
      form: entry.form,
      seq: entry.seq,
      sealed_at: entry.sealed_at,
      state: entry.sent_at == null ? "waiting" : "sent",
      code: null,
      message: null,
      receipt_at: null,
      supersedes: copyOf.get(entry.rid)?.supersedes ?? null,
    })),
    ...receipts.map((receipt) => ({
      rid: receipt.rid,
      form: copyOf.get(receipt.rid)?.form ?? null,
      seq: receipt.seq,
      sealed_at: copyOf.get(receipt.rid)?.sealed_at ?? null,
      state: HELD[receipt.status] ?? "quarantined",
      code: receipt.code,
      message: receipt.message,
      receipt_at: receipt.received_at,
      supersedes: copyOf.get(receipt.rid)?.supersedes ?? null,
    })),
  ];
  return rows.sort((a, b) => b.seq - a.seq);
}

/** How many sealed records still wait for a receipt. */
export const pendingCount = (db) => tx(db, "outbox", "readonly", (s) => req(s.outbox.count()));
