// The phone's side of the sync protocol (DESIGN §1, §3), without the network (sync.js
// does HTTP): seal into the outbox, hand out batches, apply receipts. An outbox entry is
// deleted only in the transaction that stores its receipt, and only if the receipt
// names this very envelope.
import { b64d, b64e, envelopeDigest, sealRecord, utf8, uuid } from "./crypto.js";
import { req, tx } from "./db.js";
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
export function enqueue(db, { document, deviceKey, device, intake, dataKey = null, now = Date.now() }) {
  return oneAtATime(async () => {
    const last = (await tx(db, "meta", "readonly", (s) => req(s.meta.get("seq")))) ?? { seq: 0, prev: null };
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

/**
 * Applies the server's answer to a push of `entries` (answer.receipts[k].i indexes
 * entries). Every status means the server holds the envelope, in the ledger or in
 * quarantine, so the entry leaves the outbox with its receipt stored in the same strict
 * transaction. Kept instead: receipts for another rid, and accepted/duplicate receipts
 * whose env_sha256 is not this envelope's digest (the server holds other bytes under
 * our rid; deleting ours would lose them). Returns {applied: [rid], kept: [rid]}.
 */
export async function applyReceipts(db, entries, answer, now = Date.now()) {
  const applied = [];
  const kept = [];
  for (const receipt of answer.receipts ?? []) {
    const entry = entries[receipt.i];
    if (!entry) continue;
    if (receipt.rid !== entry.rid) {
      console.warn("receipt %d names %s, expected %s: entry kept", receipt.i, receipt.rid, entry.rid);
      kept.push(entry.rid);
      continue;
    }
    if (receipt.status === "accepted" || receipt.status === "duplicate") {
      const { h, ct, sig } = entry.envelope;
      const digest = b64e(await envelopeDigest(b64d(h), b64d(ct), b64d(sig)));
      if (receipt.env_sha256 !== digest) {
        console.warn("receipt for %s has env_sha256 %s, not %s: entry kept", entry.rid, receipt.env_sha256, digest);
        kept.push(entry.rid);
        continue;
      }
    } else if (receipt.status === "refused") {
      // Not stored by the server (a revoked phone's record above its cap): ours is the only copy.
      kept.push(entry.rid);
      continue;
    } else if (!(receipt.status in HELD)) {
      console.warn("receipt for %s has unknown status %s: entry kept", entry.rid, receipt.status);
      kept.push(entry.rid);
      continue;
    }
    applied.push({ receipt, entry });
  }
  if (applied.length === 0) return { applied: [], kept };

  await tx(db, ["receipts", "outbox", "copies"], "readwrite", async (s) => {
    for (const { receipt, entry } of applied) {
      const { status, code = null, message = null, env_sha256 = null, log_index = null } = receipt;
      s.receipts.put({ rid: entry.rid, seq: entry.seq, status, code, message, env_sha256, log_index, received_at: now });
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
