// Action helpers for the tests (STYLE 7): a fresh database, an enrolled device with a
// real intake key, a record opened the way the server opens it, and a spy on the
// durability each transaction asked for.
import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";
import { b64d, b64e, concat, fingerprint, fromUtf8, generateDeviceKey, publicRaw, sha256, utf8, uuid, verify } from "../src/crypto.js";
import { openDatabase } from "../src/db.js";

/** Low enough to keep the suite fast; the default stays crypto.PIN_ITERATIONS. */
export const FAST = { iterations: 1000 };

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
