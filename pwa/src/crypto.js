// Every cryptographic operation of the phone; nothing else touches WebCrypto or HPKE.
// The server's twin is server/crypto.py: the constants, envelope layout and signed
// messages below must stay byte-compatible with it (tests/pwa/test_crypto_interop.py).
//
// Envelope, as the server opens it:
//   header  exact UTF-8 JSON bytes {v, rid, dev, seq, ts, kid, prev}
//   ct      HPKE(intake key, info = INFO‖SHA256(header), inner_sig ‖ content)
//           inner_sig = Sign(device, INNER ‖ SHA256(header) ‖ SHA256(content))
//   sig     Sign(device, OUTER ‖ SHA256(header) ‖ SHA256(ct))
// WebCrypto signs ECDSA as raw r‖s (64 bytes), the form the server expects.
import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const label = (text) => encoder.encode(`wildledger/v1/${text}\0`);
const OUTER = label("outer");
const INNER = label("inner");
const INFO = label("record");
const REQUEST = label("request");
const ENROLL = label("enroll");
const RESPONSE = label("response"); // v1 answers: the body alone (PROTOCOL.md §5, legacy)
const ANSWER = encoder.encode("wildledger/v2/answer\0");
const LEAF = label("leaf");
const TREE_HEAD = label("tree-head");
const LOG_EPOCH = label("log-epoch");

const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" };
export const PIN_ITERATIONS = 600_000; // OWASP 2023 for PBKDF2-SHA256: vaults before 0.3.0, migrated at unlock

let suite;
function hpke() {
  suite ??= new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
  return suite;
}

// -- encodings ------------------------------------------------------------------------

export const utf8 = (text) => encoder.encode(text);
export const fromUtf8 = (bytes) => decoder.decode(bytes);

export function b64e(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function b64d(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export const sha256 = async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes));
export const randomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));
export const uuid = () => globalThis.crypto.randomUUID();

// -- keys and signatures ------------------------------------------------------------------

/** The device key: the private half can sign but never leave the browser. */
export const generateDeviceKey = () => subtle.generateKey(ECDSA, false, ["sign", "verify"]);

export const publicRaw = async (publicKey) => new Uint8Array(await subtle.exportKey("raw", publicKey));

export const fingerprint = async (raw) => b64e(await sha256(raw));

export const sign = async (privateKey, message) =>
  new Uint8Array(await subtle.sign(ECDSA_SHA256, privateKey, message));

export async function verify(raw, message, signature) {
  if (signature.length !== 64) return false;
  try {
    const key = await subtle.importKey("raw", raw, ECDSA, false, ["verify"]);
    return await subtle.verify(ECDSA_SHA256, key, signature, message);
  } catch {
    return false;
  }
}

// -- sealed records ---------------------------------------------------------------------

/** What the outer signature covers: OUTER ‖ H(header) ‖ H(ct). */
export const outerMessage = async (header, ct) => concat(OUTER, await sha256(header), await sha256(ct));

export async function sealRecord(devicePrivateKey, intakePublicRaw, header, content) {
  const headerHash = await sha256(header);
  const inner = await sign(devicePrivateKey, concat(INNER, headerHash, await sha256(content)));
  const recipientPublicKey = await hpke().kem.deserializePublicKey(intakePublicRaw);
  const { enc, ct } = await hpke().seal(
    { recipientPublicKey, info: concat(INFO, headerHash) },
    concat(inner, content),
  );
  const sealed = concat(new Uint8Array(enc), new Uint8Array(ct));
  const sig = await sign(devicePrivateKey, await outerMessage(header, sealed));
  return { ct: sealed, sig };
}

/** Length-prefixed, so no two different envelopes share a digest (as the server). */
export function envelopeDigest(header, ct, sig) {
  const parts = [];
  for (const part of [header, ct, sig]) {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, part.length);
    parts.push(length, part);
  }
  return sha256(concat(...parts));
}

// -- requests -----------------------------------------------------------------------------

export async function requestMessage(method, path, timestampMs, offsetMs, nonce, body) {
  const fields = [method.toUpperCase(), path, String(timestampMs), String(offsetMs), nonce, hex(await sha256(body))];
  return concat(REQUEST, utf8(fields.join("\n")));
}

export const enrollMessage = (token) => concat(ENROLL, utf8(token));

export const responseMessage = async (body) => concat(RESPONSE, await sha256(body));

/** What an answer's Wl-Answer-Signature covers: the request it answers, its status, the server's time, its body. */
export async function answerMessage(nonce, method, path, status, timeMs, body) {
  const fields = [nonce, method.toUpperCase(), path, String(status), String(timeMs), hex(await sha256(body))];
  return concat(ANSWER, utf8(fields.join("\n")));
}

/** Legacy `Wl-Server-Signature: kid.signature` over the body alone, checked against the pinned key. */
export async function verifyResponse(signingKeyRaw, headerValue, body) {
  const signature = (headerValue || "").split(".")[1];
  if (!signature) return false;
  try {
    return await verify(signingKeyRaw, await responseMessage(body), b64d(signature));
  } catch {
    return false;
  }
}

/**
 * `Wl-Answer-Signature: kid.time.signature`: true only if the pinned key signed this very
 * answer to the request we made (our nonce, method and path) with this status and body.
 */
export async function verifyAnswer(signingKeyRaw, headerValue, { nonce, method, path, status, body }) {
  const parts = (headerValue || "").split(".");
  if (parts.length !== 3 || !/^\d{1,16}$/.test(parts[1])) return false;
  try {
    return await verify(signingKeyRaw, await answerMessage(nonce, method, path, status, parts[1], body), b64d(parts[2]));
  } catch {
    return false;
  }
}

// -- the transparency log (PROTOCOL.md §9) ----------------------------------------------------

/** A ledger row as a leaf: every column but the envelope bytes, which its digest stands for. */
export function leafInput({ idx, rid, device_id: deviceId, seq, received_at_us: receivedAtUs, clock_offset_ms: offset, status }, envDigest) {
  const fields = [String(idx), rid, deviceId, String(seq), b64e(envDigest), String(receivedAtUs), offset == null ? "" : String(offset), status];
  return concat(LEAF, utf8(fields.join("\n")));
}

export const treeHeadMessage = ({ epoch, size, root, time }) => concat(TREE_HEAD, utf8(`${epoch}\n${size}\n${root}\n${time}`));

export const logEpochMessage = ({ epoch, previous, size, root, time }) =>
  concat(LOG_EPOCH, utf8(`${epoch}\n${previous}\n${size}\n${root}\n${time}`));

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// -- the PIN-wrapped data key (drafts and local copies) ----------------------------------------

/** An AES-KW wrapping key from secret bytes: Argon2id of the PIN, mixed with the platform
 * authenticator's PRF output where the phone has one (HKDF-SHA256, RFC 5869). */
export async function wrappingKey(pinSecret, prfSecret, salt) {
  const ikm = prfSecret ? concat(pinSecret, prfSecret) : pinSecret;
  const material = await subtle.importKey("raw", ikm, "HKDF", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt, info: utf8(prfSecret ? "wildledger/v2/vault+prf" : "wildledger/v2/vault") },
    material, { name: "AES-KW", length: 256 }, false, ["wrapKey", "unwrapKey"]);
}

export async function derivePinKey(pin, salt, iterations = PIN_ITERATIONS) {
  const material = await subtle.importKey("raw", utf8(pin), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-KW", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

// Extractable only so that it can be wrapped; the unwrapped copy used day to day is not.
export const newDataKey = () => subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);

export const wrapDataKey = async (dataKey, pinKey) => new Uint8Array(await subtle.wrapKey("raw", dataKey, pinKey, "AES-KW"));

/** null when the PIN is wrong: AES-KW's integrity check fails. */
export async function unwrapDataKey(wrapped, pinKey, { extractable = false } = {}) {
  try {
    return await subtle.unwrapKey("raw", wrapped, pinKey, "AES-KW", "AES-GCM", extractable, ["encrypt", "decrypt"]);
  } catch {
    return null;
  }
}

export async function encryptJSON(dataKey, value, aad) {
  const iv = randomBytes(12);
  const ct = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(aad) }, dataKey, utf8(JSON.stringify(value)));
  return concat(iv, new Uint8Array(ct));
}

export async function decryptJSON(dataKey, blob, aad) {
  const plain = await subtle.decrypt(
    { name: "AES-GCM", iv: blob.subarray(0, 12), additionalData: utf8(aad) },
    dataKey,
    blob.subarray(12),
  );
  return JSON.parse(fromUtf8(new Uint8Array(plain)));
}

// -- the directory key pair (contacts, sealed by a sync that never has the PIN) ------------
// Sync runs locked, so it cannot use the data key: it seals each pulled contact to an ECDH
// P-256 public key kept in the clear, whose private half is kept under the data key. One
// ephemeral key per page, HKDF-SHA256 to an AES-GCM key, a fresh IV per item, the aad
// binding the sealed data to its collection and key.
const ECDH = { name: "ECDH", namedCurve: "P-256" };
const DIRECTORY_INFO = utf8("wildledger/v1/directory");

/** A new directory key pair: {publicRaw, privatePkcs8} (the private half to be encrypted at once). */
export async function newDirectoryKeyPair() {
  const pair = await subtle.generateKey(ECDH, true, ["deriveBits"]);
  return { publicRaw: await publicRaw(pair.publicKey), privatePkcs8: new Uint8Array(await subtle.exportKey("pkcs8", pair.privateKey)) };
}

export const importDirectoryPrivate = (pkcs8) => subtle.importKey("pkcs8", pkcs8, ECDH, false, ["deriveBits"]);

async function directoryAesKey(privateKey, otherPublicRaw, ephemeralRaw) {
  const other = await subtle.importKey("raw", otherPublicRaw, ECDH, false, []);
  const shared = await subtle.deriveBits({ name: "ECDH", public: other }, privateKey, 256);
  const material = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  return subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: ephemeralRaw, info: DIRECTORY_INFO },
    material, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

const directoryAad = (collection, key) => utf8(`${collection}:${key}`);

/**
 * A sealer for one page: seal(key, value) → {epk, ct} (ct = iv ‖ AES-GCM), openable only
 * with the private half of `recipientRaw`.
 */
export async function directorySealer(recipientRaw, collection) {
  const ephemeral = await subtle.generateKey(ECDH, false, ["deriveBits"]);
  const epk = await publicRaw(ephemeral.publicKey);
  const key = await directoryAesKey(ephemeral.privateKey, recipientRaw, epk);
  return async (itemKey, value) => {
    const iv = randomBytes(12);
    const ct = await subtle.encrypt({ name: "AES-GCM", iv, additionalData: directoryAad(collection, itemKey) }, key, utf8(JSON.stringify(value)));
    return { epk, ct: concat(iv, new Uint8Array(ct)) };
  };
}

/** An opener for items sealed by directorySealer: open(key, {epk, ct}) → value (throws if it is not ours). */
export function directoryOpener(privateKey, collection) {
  const keys = new Map(); // one derivation per page's ephemeral key
  return async (itemKey, sealed) => {
    const id = b64e(sealed.epk);
    if (!keys.has(id)) keys.set(id, directoryAesKey(privateKey, sealed.epk, sealed.epk));
    const plain = await subtle.decrypt({ name: "AES-GCM", iv: sealed.ct.subarray(0, 12), additionalData: directoryAad(collection, itemKey) },
      await keys.get(id), sealed.ct.subarray(12));
    return JSON.parse(fromUtf8(new Uint8Array(plain)));
  };
}
