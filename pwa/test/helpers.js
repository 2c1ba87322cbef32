// Action helpers for the tests (STYLE 7): a fresh database, an enrolled device with a
// real intake key, a record opened the way the server opens it, and a spy on the
// durability each transaction asked for.
import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";
import { b64d, b64e, concat, envelopeDigest, fingerprint, fromUtf8, generateDeviceKey, logEpochMessage, publicRaw, sha256,
  sign as signWith, treeHeadMessage, utf8, uuid, verify } from "../src/crypto.js";
import { openDatabase } from "../src/db.js";
import { rowLeaf } from "../src/log.js";
import { nodeHash } from "../src/merkle.js";

/** Low enough to keep the suite fast (the default stays argon2.ARGON2); no screen lock in Node. */
export const FAST = { kdf: { name: "argon2id", m: 1024, t: 1, p: 1 }, screenLock: false };

const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

export const freshDb = () => openDatabase({ name: `test-${uuid()}` });

/** What enrollment leaves behind: device, its key pair, the pinned intake key (and, for the test, its private half). */
export async function enrolled() {
  const deviceKey = await generateDeviceKey();
  const intakePair = await suite.kem.generateKeyPair();
  const intakeRaw = new Uint8Array(await suite.kem.serializePublicKey(intakePair.publicKey));
  const intakeFingerprint = await fingerprint(intakeRaw);
  return {
    device: { id: uuid(), agency: { code: "VN-EP", country: "VN", names: { en: "Environmental Police" } }, officer_name: "Lan", enrolled_at: 1_700_000_000_000 },
    deviceKey,
    devicePublic: await publicRaw(deviceKey.publicKey),
    intake: { kid: intakeFingerprint.slice(0, 16), public_key: b64e(intakeRaw), fingerprint: intakeFingerprint, current: true },
    intakePrivate: intakePair.privateKey,
  };
}

const label = (text) => utf8(`wildledger/v1/${text}\0`);

/** Checks an envelope as server/crypto.py does and returns {header, document}. */
export async function openEnvelope(env, { devicePublic, intakePrivate }) {
  const header = b64d(env.h);
  const ct = b64d(env.ct);
  const headerHash = await sha256(header);
  if (!(await verify(devicePublic, concat(label("outer"), headerHash, await sha256(ct)), b64d(env.sig)))) {
    throw new Error("outer signature invalid");
  }
  const plain = new Uint8Array(await suite.open({ recipientKey: intakePrivate, enc: ct.subarray(0, 65), info: concat(label("record"), headerHash) }, ct.subarray(65)));
  const content = plain.subarray(64);
  if (!(await verify(devicePublic, concat(label("inner"), headerHash, await sha256(content)), plain.subarray(0, 64)))) {
    throw new Error("inner signature invalid");
  }
  return { headerText: fromUtf8(header), header: JSON.parse(fromUtf8(header)), contentText: fromUtf8(content) };
}

/** Records {stores, mode, durability} of every transaction opened while it runs. */
export function spyTransactions() {
  const log = [];
  const original = IDBDatabase.prototype.transaction;
  // Patched by hand, not with vi.spyOn, so that the fixture script can import this file.
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    log.push({ stores: [stores].flat().sort(), mode: mode ?? "readonly", durability: options?.durability ?? "default" });
    return original.call(this, stores, mode, options);
  };
  return { log, restore: () => (IDBDatabase.prototype.transaction = original) };
}

/** Every key and value of every store. */
export async function dump(db) {
  const out = {};
  for (const name of db.objectStoreNames) {
    out[name] = await new Promise((resolve, reject) => {
      const rows = [];
      const cursor = db.transaction(name).objectStore(name).openCursor();
      cursor.onerror = () => reject(cursor.error);
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return resolve(rows);
        rows.push({ key: at.key, value: at.value });
        at.continue();
      };
    });
  }
  return out;
}

/** Paths (store/…) where `needle` appears in a string, an object key, or bytes read as UTF-8 or Latin-1. */
export function findString(tree, needle, path = "") {
  const hits = [];
  const walk = (value, at) => {
    if (typeof value === "string") {
      if (value.includes(needle)) hits.push(at);
    } else if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      const bytes = new Uint8Array(value.buffer ?? value, value.byteOffset ?? 0, value.byteLength);
      const asUtf8 = new TextDecoder().decode(bytes);
      const asLatin1 = Array.from(bytes, (byte) => String.fromCharCode(byte)).join("");
      if (asUtf8.includes(needle) || asLatin1.includes(needle)) hits.push(at);
    } else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key.includes(needle)) hits.push(`${at}/${key}`);
        walk(inner, `${at}/${key}`);
      }
    }
  };
  walk(tree, path);
  return hits;
}

/** A seizure as the form renderer hands it over; `marker` is the string nothing may store in clear. */
export const seizure = (marker = "Nguyễn Văn Bí-7741") => ({
  form: "seizure",
  version: 1,
  fields: { date: "2026-11-20", narrative: `Ivory in a truck, driver ${marker}`, suspects: [{ name: marker, phone: "+84912345678" }] },
});

// -- a server's log in miniature ----------------------------------------------------------

async function mth(hashes) {
  if (hashes.length === 0) return sha256(new Uint8Array());
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(await mth(hashes.slice(0, k)), await mth(hashes.slice(k)));
}

/** RFC 6962 PATH(m, D[n]): the audit path of leaf m among `hashes`. */
async function auditPath(m, hashes) {
  if (hashes.length <= 1) return [];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return m < k ? [...(await auditPath(m, hashes.slice(0, k))), await mth(hashes.slice(k))]
    : [...(await auditPath(m - k, hashes.slice(k))), await mth(hashes.slice(0, k))];
}

/** RFC 6962 PROOF(m, D[n]) over `hashes`. */
export async function consistencyPath(m, hashes) {
  if (m === 0 || m === hashes.length) return [];
  const sub = async (k, d, complete) => {
    if (k === d.length) return complete ? [] : [await mth(d)];
    let half = 1;
    while (half * 2 < d.length) half *= 2;
    return k <= half ? [...(await sub(k, d.slice(0, half), complete)), await mth(d.slice(half))]
      : [...(await sub(k - half, d.slice(half), false)), await mth(d.slice(0, half))];
  };
  return sub(m, hashes, true);
}

/**
 * The server's transparency log in miniature, so that receipts prove themselves as the
 * server's do (PROTOCOL.md §9): appends envelopes as rows, then answers with each receipt's
 * leaf and inclusion path against its head (unsigned: applyReceipts trusts a verified head).
 */
export class ServerLog {
  constructor() {
    this.rows = [];
  }

  async append(envelope, status = "received") {
    const header = JSON.parse(fromUtf8(b64d(envelope.h)));
    const digest = await envelopeDigest(b64d(envelope.h), b64d(envelope.ct), b64d(envelope.sig));
    const leaf = { idx: this.rows.length + 1, rid: header.rid, device_id: header.dev, seq: header.seq,
      received_at_us: 1_764_000_000_000_000 + this.rows.length, clock_offset_ms: -42, status };
    this.rows.push({ leaf, hash: await rowLeaf(leaf, digest), digest });
    return this.rows.length;
  }

  async head(epoch = 0, size = this.rows.length) {
    return { log: "wildledger", epoch, size, root: b64e(await mth(this.rows.slice(0, size).map((r) => r.hash))), time: 1_764_000_400_000 };
  }

  /** The answer's log part as the server gives it, signed with `signer` (a key pair), from a held size. */
  async view(signer, { epoch = 0, from = null, epochs = [] } = {}) {
    const head = await this.head(epoch);
    const sign = async (message) => b64e(await signWith(signer.privateKey, message));
    head.kid = "test";
    head.signature = await sign(treeHeadMessage(head));
    for (const row of epochs) row.signature = await sign(logEpochMessage(row));
    const consistency = from === null ? null : (await consistencyPath(from, this.rows.map((r) => r.hash))).map(b64e);
    return { head, epochs, consistency_from: from, consistency };
  }

  /** What an insider with database access does: row `idx` now holds another envelope. */
  async rewrite(idx, envelope) {
    const digest = await envelopeDigest(b64d(envelope.h), b64d(envelope.ct), b64d(envelope.sig));
    const leaf = { ...this.rows[idx - 1].leaf };
    this.rows[idx - 1] = { leaf, hash: await rowLeaf(leaf, digest), digest };
  }

  /** {answer, head}: receipts for `entries` (each appended unless `indexes` names its row), proven against the head. */
  async answer(entries, { statuses = [], indexes = [] } = {}) {
    const rows = [];
    for (const [i, entry] of entries.entries()) rows.push(indexes[i] ?? (await this.append(entry.envelope)));
    const head = await this.head();
    const receipts = await Promise.all(entries.map(async (entry, i) => {
      const row = this.rows[rows[i] - 1];
      return { i, rid: entry.rid, status: statuses[i] ?? "accepted", code: null, message: null, env_sha256: b64e(row.digest),
        log_index: rows[i], leaf: row.leaf, inclusion: (await auditPath(rows[i] - 1, this.rows.map((r) => r.hash))).map(b64e) };
    }));
    return { answer: { receipts, missing: [], server_time: 1_764_000_400_000 }, head };
  }
}
