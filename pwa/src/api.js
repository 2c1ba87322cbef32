// The device API over fetch: enrollment, and requests signed by the device key (DESIGN §2).
// Every answer must carry a valid signature by the server key pinned at enrollment; an
// unsigned or wrongly signed answer is treated like no answer at all.
import * as crypto from "./crypto.js";

export const PUSH = "/api/v1/sync/push";
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

async function exchange(origin, method, path, body, headers) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(origin + path, {
      method, headers, body: body.length ? body : undefined, signal: controller.signal, cache: "no-store",
    });
    return { status: response.status, signature: response.headers.get("Wl-Server-Signature"),
             body: new Uint8Array(await response.arrayBuffer()) };
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
 * Enroll with the one-time token from the QR code. The server keys it returns are
 * pinned only if they match the fingerprints the QR code carried (ik, sk).
 */
export async function enroll(origin, { t: token, ik, sk }, deviceKey, languageTag) {
  const publicKey = await crypto.publicRaw(deviceKey.publicKey);
  const proof = await crypto.sign(deviceKey.privateKey, crypto.enrollMessage(token));
  const body = crypto.utf8(JSON.stringify({ token, public_key: crypto.b64e(publicKey), proof: crypto.b64e(proof) }));
  const answer = await exchange(origin, "POST", "/api/v1/enroll", body,
    { "Content-Type": "application/json", "Accept-Language": languageTag });
  const data = parse(answer.body);
  if (answer.status !== 201) throw new ApiError(answer.status, data);
  const intake = data.intake_keys?.[0];
  const signing = data.signing_key;
  if (!intake || !signing || intake.fingerprint !== ik || signing.fingerprint !== sk) throw new ApiError(0, { code: "server_key_mismatch" });
  for (const key of [intake, signing]) {
    if ((await crypto.fingerprint(crypto.b64d(key.public_key))) !== key.fingerprint) throw new ApiError(0, { code: "server_key_mismatch" });
  }
  if (!(await crypto.verifyResponse(crypto.b64d(signing.public_key), answer.signature, answer.body))) {
    throw new ApiError(0, { code: "server_key_mismatch" });
  }
  return data;
}

/**
 * A signer for one enrolled device. `clock` holds the offset learned from the server
 * ({offset_ms}); `onOffset` persists a new one. A `401 clock_skew` answer is re-signed
 * once with the measured offset, so a phone whose clock is days wrong still syncs.
 */
export function deviceClient({ origin, device, deviceKey, signingKey, clock, onOffset, languageTag }) {
  const signingRaw = crypto.b64d(signingKey.public_key);

  async function signedHeaders(method, path, body) {
    const offset = clock.offset_ms || 0;
    const timestamp = Date.now() + offset;
    const nonce = crypto.b64e(crypto.randomBytes(18));
    const message = await crypto.requestMessage(method, path, timestamp, offset, nonce, body);
    const signature = await crypto.sign(deviceKey.privateKey, message);
    return {
      "Content-Type": "application/json", "Accept-Language": languageTag(),
      "Wl-Device": device.id, "Wl-Timestamp": String(timestamp), "Wl-Clock-Offset": String(offset),
      "Wl-Nonce": nonce, "Wl-Signature": crypto.b64e(signature),
    };
  }

  async function once(method, path, body) {
    const answer = await exchange(origin, method, path, body, await signedHeaders(method, path, body));
    // A 5xx from a proxy in between is not signed and not the server's word.
    if (answer.status >= 500) throw new Unreachable(`HTTP ${answer.status}`);
    if (!(await crypto.verifyResponse(signingRaw, answer.signature, answer.body))) {
      throw new Unreachable(`unsigned answer, HTTP ${answer.status}`);
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
