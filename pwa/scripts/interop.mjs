// Seals and signs with pwa/src/crypto.js what the server's interop test asks for, so the
// test can open and verify it with server/crypto.py (tests/pwa/test_crypto_interop.py).
import * as c from "../src/crypto.js";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
}));
const device = await c.generateDeviceKey();
const header = c.utf8(input.header);
const { ct, sig } = await c.sealRecord(device.privateKey, c.b64d(input.intake_public), header, c.utf8(input.content));
const r = input.request;
const requestSignature = await c.sign(device.privateKey,
  await c.requestMessage(r.method, r.path, r.ts, r.offset, r.nonce, c.utf8(r.body)));
const output = {
  device_public: c.b64e(await c.publicRaw(device.publicKey)),
  device_fingerprint: await c.fingerprint(await c.publicRaw(device.publicKey)),
  ct: c.b64e(ct), sig: c.b64e(sig),
  digest: c.b64e(await c.envelopeDigest(header, ct, sig)),
  request_signature: c.b64e(requestSignature),
  enroll_proof: c.b64e(await c.sign(device.privateKey, c.enrollMessage(input.token))),
  response_ok: await c.verifyResponse(c.b64d(input.response.key), input.response.header, c.utf8(input.response.body)),
  response_tampered: await c.verifyResponse(c.b64d(input.response.key), input.response.header, c.utf8(input.response.body + " ")),
};
process.stdout.write(JSON.stringify(output));
