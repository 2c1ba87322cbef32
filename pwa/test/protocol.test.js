// PROTOCOL.md's test vectors, checked with the app's crypto (tests/test_protocol_vectors.py
// checks the same file with the server's). Every field is checked: editing any one of them
// by one character makes the check fail, here and in the server's suite.
import { readFileSync } from "node:fs";
import { Aes128Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from "@hpke/core";
import { describe, expect, it } from "vitest";
import {
  answerMessage, b64d, b64e, concat, enrollMessage, envelopeDigest, fingerprint, fromUtf8, leafInput, logEpochMessage,
  requestMessage, responseMessage, sha256, treeHeadMessage, utf8, verify, verifyAnswer, verifyResponse,
} from "../src/crypto.js";
import { checkReceipt, checkView, rowLeaf } from "../src/log.js";
import { nodeHash } from "../src/merkle.js";

const VECTORS = JSON.parse(readFileSync(new URL("../../tests/vectors/protocol-vectors.json", import.meta.url), "utf8"));
const LOG = JSON.parse(readFileSync(new URL("../../tests/vectors/log-vectors.json", import.meta.url), "utf8"));
const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const fromHex = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
const label = (text) => utf8(`wildledger/v1/${text}\0`);

/** A list of disagreements, and check(name, fn) that adds one unless fn gives true. */
function checker() {
  const found = [];
  const check = async (name, fn) => {
    try {
      if ((await fn()) !== true) found.push(name);
    } catch (error) {
      found.push(`${name}: ${error}`);
    }
  };
  return [found, check];
}

/** The private half matches the public one: a signature made with the scalar verifies with the public key. */
async function privateMatchesPublic({ private_scalar: d, public: pub }) {
  const raw = b64d(pub);
  const jwk = { kty: "EC", crv: "P-256", d, x: b64e(raw.subarray(1, 33)), y: b64e(raw.subarray(33)), ext: true };
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
  const message = utf8("wildledger vectors");
  return verify(raw, message, new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, message)));
}

async function opens(env, intakeScalar, devicePublic) {
  const header = b64d(env.h);
  const ct = b64d(env.ct);
  const headerHash = await sha256(header);
  const recipientKey = await suite.kem.importKey("raw", b64d(intakeScalar), false);
  const plain = new Uint8Array(await suite.open({ recipientKey, enc: ct.subarray(0, 65), info: concat(label("record"), headerHash) }, ct.subarray(65)));
  const content = plain.subarray(64);
  const innerOk = await verify(devicePublic, concat(label("inner"), headerHash, await sha256(content)), plain.subarray(0, 64));
  return innerOk && fromUtf8(content) === env.content;
}

/** Every way the vectors disagree with pwa/src/crypto.js. */
async function failures(v) {
  const [found, check] = checker();
  for (const [name, key] of Object.entries(v.keys)) {
    await check(`${name} private`, () => privateMatchesPublic(key));
    await check(`${name} fingerprint`, async () => (await fingerprint(b64d(key.public))) === key.fingerprint);
    await check(`${name} kid`, async () => (await fingerprint(b64d(key.public))).slice(0, 16) === key.kid);
  }
  for (const item of v.base64url) {
    await check(`b64u ${item.hex}`, () => b64e(fromHex(item.hex)) === item.b64u && hex(b64d(item.b64u)) === item.hex);
  }

  const devicePublic = b64d(v.keys.device.public);
  let prev = null;
  for (const [n, env] of v.envelopes.entries()) {
    const [header, ct, sig] = [env.h, env.ct, env.sig].map(b64d);
    // Key order is part of the bytes: JSON.stringify keeps insertion order, as the app seals.
    await check(`envelope ${n} header bytes`, () => JSON.stringify(env.header_fields) === env.header && fromUtf8(header) === env.header);
    await check(`envelope ${n} header hash`, async () => hex(await sha256(header)) === env.header_sha256_hex);
    await check(`envelope ${n} kid`, () => env.header_fields.kid === v.keys.intake.kid);
    await check(`envelope ${n} prev`, () => env.header_fields.prev === prev);
    await check(`envelope ${n} digest`, async () => b64e(await envelopeDigest(header, ct, sig)) === env.digest);
    await check(`envelope ${n} outer signature`, async () => verify(devicePublic, concat(label("outer"), await sha256(header), await sha256(ct)), sig));
    await check(`envelope ${n} opens`, () => opens(env, v.keys.intake.private_scalar, devicePublic));
    prev = env.digest;
  }

  const r = v.request;
  const body = utf8(r.body);
  const message = await requestMessage(r.method, r.path, r.timestamp_ms, r.offset_ms, r.nonce, body);
  await check("request body hash", async () => hex(await sha256(body)) === r.body_sha256_hex);
  await check("request message", () => hex(message) === r.message_hex);
  await check("request headers", () => r.headers["Wl-Timestamp"] === String(r.timestamp_ms) && r.headers["Wl-Clock-Offset"] === String(r.offset_ms)
    && r.headers["Wl-Nonce"] === r.nonce && r.headers["Wl-Device"] === v.envelopes[0].header_fields.dev);
  await check("request body", () => JSON.stringify(JSON.parse(r.body).records.map((e) => e.h)) === JSON.stringify(v.envelopes.map((e) => e.h)));
  await check("request signature", () => verify(devicePublic, message, b64d(r.headers["Wl-Signature"])));

  const e = v.enroll;
  await check("enroll message", () => hex(enrollMessage(e.token)) === e.message_hex);
  await check("enroll proof", () => verify(b64d(e.public_key), enrollMessage(e.token), b64d(e.proof)));

  const signingPublic = b64d(v.keys.signing.public);
  for (const [n, a] of v.answers.entries()) {
    const answerBody = utf8(a.body);
    const [kid, time] = a.header_value.split(".");
    await check(`answer ${n} message`, async () => hex(await answerMessage(a.nonce, a.method, a.path, a.status, a.time_ms, answerBody)) === a.message_hex);
    await check(`answer ${n} header`, () => kid === v.keys.signing.kid && time === String(a.time_ms));
    await check(`answer ${n} signature`, () => verifyAnswer(signingPublic, a.header_value, { nonce: a.nonce, method: a.method, path: a.path, status: a.status, body: answerBody }));
  }

  const legacy = v.legacy_answer;
  await check("legacy message", async () => hex(await responseMessage(utf8(legacy.body))) === legacy.message_hex);
  await check("legacy signature", async () => legacy.header_value.split(".")[0] === v.keys.signing.kid
    && verifyResponse(signingPublic, legacy.header_value, utf8(legacy.body)));
  return found;
}

async function rootOf(hashes) {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(await rootOf(hashes.slice(0, k)), await rootOf(hashes.slice(k)));
}

/** Every way the log vectors disagree with pwa/src/crypto.js, merkle.js and log.js. */
async function logFailures(v) {
  const [found, check] = checker();
  const signingRaw = b64d(VECTORS.keys.signing.public);
  const hashes = [];
  for (const [n, item] of v.rows.entries()) {
    let digest;
    try {
      digest = await envelopeDigest(...["h", "ct", "sig"].map((k) => b64d(item.envelope[k])));
    } catch (error) {
      found.push(`row ${n}: ${error}`);
      continue;
    }
    await check(`row ${n} digest`, () => b64e(digest) === item.env_sha256);
    await check(`row ${n} leaf input`, () => hex(leafInput(item.row, digest)) === item.leaf_input_hex);
    await check(`row ${n} leaf hash`, async () => b64e(await rowLeaf(item.row, digest)) === item.leaf_hash);
    await check(`row ${n} index`, () => item.row.idx === n + 1);
    hashes.push(await rowLeaf(item.row, digest));
  }
  for (const [name, head] of Object.entries(v.heads)) {
    await check(`${name} message`, () => hex(treeHeadMessage(head)) === head.message_hex);
    await check(`${name} root`, async () => b64e(await rootOf(hashes.slice(0, head.size))) === head.root);
    await check(`${name} signature`, () => head.kid === VECTORS.keys.signing.kid && head.log === "wildledger"
      && verify(signingRaw, treeHeadMessage(head), b64d(head.signature)));
  }
  const { held, receipt, log } = v.answer;
  const older = v.heads.older;
  const { message_hex: _hex, ...newest } = v.heads.newest;
  const row = v.rows[receipt.log_index - 1];
  await check("answer head", () => JSON.stringify(log.head) === JSON.stringify(newest));
  await check("answer held", () => held.epoch === older.epoch && held.size === older.size && log.consistency_from === older.size && log.epochs.length === 0);
  await check("receipt", () => JSON.stringify(receipt.leaf) === JSON.stringify(row.row) && receipt.rid === row.row.rid
    && receipt.env_sha256 === row.env_sha256 && receipt.status === row.row.status && receipt.i === 0 && receipt.code === "rid_conflict");
  // What the phone does with the answer: the view against the head it held, then the receipt.
  await check("answer verifies", async () => {
    const { head } = await checkView(signingRaw, { ...older }, log);
    return checkReceipt(head, receipt, b64d(row.env_sha256));
  });
  const r = v.restored;
  await check("restored message", () => hex(logEpochMessage(r)) === r.message_hex && r.root === older.root
    && r.size === older.size && r.kid === VECTORS.keys.signing.kid);
  await check("restored signature", () => verify(signingRaw, logEpochMessage(r), b64d(r.signature)));
  return found;
}

/** Paths of every string and number in the vectors, but the prose. */
function leaves(node, path = []) {
  if (Array.isArray(node)) return node.flatMap((value, index) => leaves(value, [...path, index]));
  if (node && typeof node === "object") {
    return Object.entries(node).filter(([key]) => key !== "about").flatMap(([key, value]) => leaves(value, [...path, key]));
  }
  return typeof node === "string" || typeof node === "number" ? [path] : [];
}

const SWAP = { 0: "1", 9: "8", a: "b", f: "e", A: "B", z: "y", "-": "_", _: "-" };

/** The vectors with one character (or a number by one) changed at `path`, in the same alphabet. */
function editOneCharacter(vectors, path) {
  const edited = structuredClone(vectors);
  const parent = path.slice(0, -1).reduce((node, key) => node[key], edited);
  const last = path.at(-1);
  const value = parent[last];
  if (typeof value === "number") parent[last] = value + 1;
  else if (value === "") parent[last] = "x";
  else parent[last] = (SWAP[value[0]] ?? (value[0] === "A" ? "B" : "A")) + value.slice(1);
  return edited;
}

describe("protocol vectors", () => {
  it("the app agrees with every vector", async () => {
    expect(await failures(VECTORS)).toEqual([]);
  });

  it.each(leaves(VECTORS).map((path) => [path.join("/"), path]))("a vector edited at %s fails", async (_name, path) => {
    expect((await failures(editOneCharacter(VECTORS, path))).length).toBeGreaterThan(0);
  });

  it("the app agrees with every log vector", async () => {
    expect(await logFailures(LOG)).toEqual([]);
  });

  it.each(leaves(LOG).map((path) => [path.join("/"), path]))("a log vector edited at log/%s fails", async (_name, path) => {
    expect((await logFailures(editOneCharacter(LOG, path))).length).toBeGreaterThan(0);
  });
});
