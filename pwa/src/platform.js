// The phone's platform authenticator (its screen lock), through WebAuthn's PRF extension:
// a secret that never leaves the phone's hardware, mixed into the key that wraps the vault
// (vault.js), so that a copied browser profile cannot be guessed offline (issue 13).
// Where the phone has no platform authenticator with PRF, the vault relies on Argon2id.
import { b64d, b64e, randomBytes } from "./crypto.js";

/** The screen lock was refused or failed: the PIN alone does not open this vault. */
export class ScreenLockRefused extends Error {}

const RP_NAME = "Wildledger";

/** Whether the phone may have a platform authenticator (PRF itself is known only once created). */
export async function available() {
  try {
    return Boolean(globalThis.PublicKeyCredential
      && (await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()));
  } catch {
    return false;
  }
}

const prfOf = (credential) => {
  const first = credential?.getClientExtensionResults?.().prf?.results?.first;
  return first ? new Uint8Array(first) : null;
};

/** The PRF output for `salt` from the credential `id` (asks for the screen lock). */
export async function evaluate({ credential, salt }) {
  let assertion;
  try {
    assertion = await navigator.credentials.get({ publicKey: {
      challenge: randomBytes(32), rpId: location.hostname, userVerification: "required",
      allowCredentials: [{ type: "public-key", id: b64d(credential), transports: ["internal"] }],
      extensions: { prf: { eval: { first: salt } } },
    } });
  } catch (error) {
    throw new ScreenLockRefused(String(error));
  }
  const secret = prfOf(assertion);
  if (!secret) throw new ScreenLockRefused("no PRF output");
  return secret;
}

/**
 * A new credential on the platform authenticator with PRF: {credential, salt, secret}, or
 * null when the phone has none (or refuses): the vault then uses the PIN alone.
 */
export async function register() {
  if (!(await available())) return null;
  const salt = randomBytes(32);
  try {
    const created = await navigator.credentials.create({ publicKey: {
      rp: { name: RP_NAME, id: location.hostname },
      user: { id: randomBytes(16), name: "wildledger-officer", displayName: RP_NAME },
      challenge: randomBytes(32),
      pubKeyCredParams: [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -257 }],
      authenticatorSelection: { authenticatorAttachment: "platform", userVerification: "required", residentKey: "discouraged" },
      extensions: { prf: { eval: { first: salt } } },
    } });
    if (!created?.getClientExtensionResults?.().prf?.enabled) return null;
    const credential = b64e(new Uint8Array(created.rawId));
    const secret = prfOf(created) ?? (await evaluate({ credential, salt }));
    return { credential, salt, secret };
  } catch {
    return null; // no platform authenticator after all, or the officer said no: PIN alone
  }
}
