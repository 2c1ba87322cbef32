// The device API over fetch: enrollment, and requests signed by the device key
// (PROTOCOL.md §3–§5). Every answer must be signed by the server key pinned at enrollment,
// over the request it answers (our nonce, method and path), its status and its body; an
// answer that does not check is treated like no answer at all, so no captured answer can
// be replayed to make this phone wipe itself, start over or forget a key.
import * as crypto from "./crypto.js";

export const PUSH = "/api/v1/sync/push";
export const ENROLL = "/api/v1/enroll";
const TIMEOUT_MS = 120_000; // a 64 KiB batch over Slow 3G takes a few seconds, a bad link longer

export class ApiError extends Error {
  constructor(status, problem = {}) {
    super(problem.code || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || null;
    this.problem = problem;
  }
}

/** Network down, server unreachable, or an answer we cannot trust: try again later. */
export class Unreachable extends Error {}

const newNonce = () => crypto.b64e(crypto.randomBytes(18));

async function exchange(origin, method, path, body, headers) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(origin + path, {
      method, headers, body: body.length ? body : undefined, signal: controller.signal, cache: "no-store",
    });
    return {
      status: response.status,
      answerSignature: response.headers.get("Wl-Answer-Signature"),
      legacySignature: response.headers.get("Wl-Server-Signature"),
      body: new Uint8Array(await response.arrayBuffer()),
    };
  } catch (error) {
    throw new Unreachable(String(error));
  } finally {
    clearTimeout(timer);
  }
}

const parse = (bytes) => {
  try {
    return JSON.parse(crypto.fromUtf8(bytes));
  } catch {
    return {};
  }
};

/**
 * Is this the server's answer to the request we just made? The bound signature when the
 * answer has one (and from then on always). Before this phone has seen one — an app just
 * updated, its server not yet — the v1 body-only signature is taken for a success only:
 * acting on a refusal (wipe, start over) always needs the bound signature.
 */
async function trusted(signingRaw, answer, request, answers) {
  if (answer.answerSignature) {
    const ok = await crypto.verifyAnswer(signingRaw, answer.answerSignature, { ...request, status: answer.status, body: answer.body });
    if (ok && !answers.bound) await answers.seeBound();
    return ok;
  }
  return !answers.bound && answer.status >= 200 && answer.status < 300
    && crypto.verifyResponse(signingRaw, answer.legacySignature, answer.body);
}

/**
 * Enroll with the one-time token from the QR code. The server keys it returns are
 * pinned only if they match the fingerprints the QR code carried (ik, sk), and only if
 * that signing key signed this answer to this request.
 */
export async function enroll(origin, { t: token, ik, sk }, deviceKey, languageTag) {
  const publicKey = await crypto.publicRaw(deviceKey.publicKey);
  const proof = await crypto.sign(deviceKey.privateKey, crypto.enrollMessage(token));
  const body = crypto.utf8(JSON.stringify({ token, public_key: crypto.b64e(publicKey), proof: crypto.b64e(proof) }));
  const nonce = newNonce();
  const answer = await exchange(origin, "POST", ENROLL, body,
    { "Content-Type": "application/json", "Accept-Language": languageTag, "Wl-Nonce": nonce });
  const data = parse(answer.body);
  if (answer.status !== 201) throw new ApiError(answer.status, data);
  const intake = data.intake_keys?.[0];
  const signing = data.signing_key;
  if (!intake || !signing || intake.fingerprint !== ik || signing.fingerprint !== sk) throw new ApiError(0, { code: "server_key_mismatch" });
  for (const key of [intake, signing]) {
    if ((await crypto.fingerprint(crypto.b64d(key.public_key))) !== key.fingerprint) throw new ApiError(0, { code: "server_key_mismatch" });
  }
  const request = { nonce, method: "POST", path: ENROLL, status: answer.status, body: answer.body };
  if (!(await crypto.verifyAnswer(crypto.b64d(signing.public_key), answer.answerSignature, request))) {
    throw new ApiError(0, { code: "server_key_mismatch" });
  }
  return data;
}

/**
 * A signer for one enrolled device. `clock` holds the offset learned from the server
 * ({offset_ms}); `onOffset` persists a new one. `answers` ({bound, seeBound()}) says
 * whether this phone has seen a bound answer signature. A `401 clock_skew` answer is
 * re-signed once with the measured offset, so a phone whose clock is days wrong still syncs.
 */
export function deviceClient({ origin, device, deviceKey, signingKey, clock, onOffset, answers, languageTag }) {
  const signingRaw = crypto.b64d(signingKey.public_key);

  async function signedHeaders(method, path, body, nonce) {
    const offset = clock.offset_ms || 0;
    const timestamp = Date.now() + offset;
    const message = await crypto.requestMessage(method, path, timestamp, offset, nonce, body);
    const signature = await crypto.sign(deviceKey.privateKey, message);
    return {
      "Content-Type": "application/json", "Accept-Language": languageTag(),
      "Wl-Device": device.id, "Wl-Timestamp": String(timestamp), "Wl-Clock-Offset": String(offset),
      "Wl-Nonce": nonce, "Wl-Signature": crypto.b64e(signature),
    };
  }

  async function once(method, path, body) {
    const nonce = newNonce();
    const answer = await exchange(origin, method, path, body, await signedHeaders(method, path, body, nonce));
    if (!(await trusted(signingRaw, answer, { nonce, method, path }, answers))) {
      // A proxy's 5xx, a replayed or forged answer: not the server's word on this request.
      throw new Unreachable(`no trustworthy answer, HTTP ${answer.status}`);
    }
    return { status: answer.status, data: parse(answer.body) };
  }

  return async function request(method, path, value = null) {
    const body = value === null ? new Uint8Array() : crypto.utf8(JSON.stringify(value));
    let answer = await once(method, path, body);
    if (answer.status === 401 && answer.data.code === "clock_skew" && Number.isFinite(answer.data.server_time)) {
      clock.offset_ms = answer.data.server_time - Date.now();
      await onOffset(clock.offset_ms);
      answer = await once(method, path, body);
    }
    if (answer.status >= 400) throw new ApiError(answer.status, answer.data);
    return answer;
  };
}
