// The officer's PIN (DESIGN §2, issue 13). A random AES-GCM data key encrypts drafts and
// local copies; it is stored only wrapped (AES-KW) under a key made from the PIN by
// Argon2id (64 MiB per guess), mixed, where the phone has a platform authenticator with
// WebAuthn's PRF extension, with a secret from it (the screen lock): then a copied browser
// profile cannot be guessed offline at all. Vaults from before 0.3.0 (PBKDF2) move to
// Argon2id at their next unlock. Sealing and syncing never need the PIN. Ten wrong PINs in
// a row, or a forgotten PIN, cost what it protects (drafts, readable copies) and nothing
// else; every such reset is counted (store.wipeSecrets) and the count travels with every
// record and push, so the server flags what was sealed after it until a supervisor confirms.
//
// meta "vault" = {v: 2, kdf: {name, m, t, p}, salt, wrapped, failures, prf: null | {credential, salt}}
//             or, before 0.3.0, {salt, iterations, wrapped, failures} (PBKDF2-SHA256)
import { ARGON2, argon2id } from "./argon2.js";
import * as contacts from "./contacts.js";
import { derivePinKey, newDataKey, randomBytes, unwrapDataKey, wrapDataKey, wrappingKey } from "./crypto.js";
import { req, tx } from "./db.js";
import * as platform from "./platform.js";
import { meta, wipeSecrets } from "./store.js";

export const MAX_FAILURES = 10;
const STRICT = { durability: "strict" };

export class WrongPin extends Error {
  constructor(remaining) {
    super(`wrong PIN, ${remaining} attempts left`);
    this.name = "WrongPin";
    this.remaining = remaining;
  }
}

export class VaultWiped extends Error {
  constructor() {
    super(`${MAX_FAILURES} wrong PINs: drafts and local copies were erased`);
    this.name = "VaultWiped";
  }
}

export class InvalidPin extends Error {
  constructor() {
    super("a PIN is at least 6 digits");
    this.name = "InvalidPin";
  }
}

export class NoPin extends Error {
  constructor() {
    super("no PIN is set");
    this.name = "NoPin";
  }
}

export { ScreenLockRefused } from "./platform.js";

export const isSet = async (db) => (await meta.get(db, "vault")) != null;

/** How the vault is protected: "screen-lock" (PIN and platform authenticator), "argon2id" or "pbkdf2". */
export async function protection(db) {
  const vault = await meta.get(db, "vault");
  if (!vault) return null;
  return vault.v === 2 ? (vault.prf ? "screen-lock" : "argon2id") : "pbkdf2";
}

/** The wrapping key of a vault for this PIN (and the screen lock's secret, if it has one). */
async function keyFor(vault, pin, prfSecret) {
  if (vault.v !== 2) return derivePinKey(pin, vault.salt, vault.iterations);
  return wrappingKey(await argon2id(pin, vault.salt, vault.kdf), prfSecret, vault.salt);
}

/**
 * Wraps `dataKey` (extractable) under a new vault for `pin`. `prf`: {credential, salt,
 * secret} of the screen lock to mix in, or null. Returns the data key, not extractable.
 */
async function writeVault(db, pin, dataKey, { kdf, prf }) {
  const salt = randomBytes(16);
  const key = await wrappingKey(await argon2id(pin, salt, kdf), prf?.secret ?? null, salt);
  const wrapped = await wrapDataKey(dataKey, key);
  const vault = { v: 2, kdf: { ...kdf }, salt, wrapped, failures: 0, prf: prf ? { credential: prf.credential, salt: prf.salt } : null };
  await meta.put(db, "vault", vault, STRICT);
  return unwrapDataKey(wrapped, key);
}

/**
 * A new data key under a new PIN; returns the key, unwrapped again so that the copy in
 * memory is not extractable. Replaces any previous vault, so whatever the old key
 * encrypted becomes unreadable: use changePin to keep it. `screenLock: false` skips the
 * platform authenticator; `kdf` is for tests.
 */
export async function setPin(db, pin, { kdf = ARGON2, screenLock = true } = {}) {
  checkPin(pin);
  const prf = screenLock ? await platform.register() : null;
  const key = await writeVault(db, pin, await newDataKey(), { kdf, prf });
  await contacts.createKey(db, key); // contacts sealed to the old pair are pulled again
  return key;
}

/** The data key, or WrongPin {remaining}; the MAX_FAILURES-th wrong PIN wipes the secrets and throws VaultWiped. */
export async function unlock(db, pin, options = {}) {
  const key = await unlockVault(db, pin, options);
  await contacts.ensureKey(db, key); // a vault from before the directory gets its pair
  return key;
}

async function unlockVault(db, pin, options) {
  const { key, vault, wrapping, prfSecret } = await attempt(db, pin);
  if (vault.v === 2) return key;
  // A vault from before 0.3.0: the same data key, under Argon2id (and the screen lock) from now on.
  const dataKey = await unwrapDataKey(vault.wrapped, wrapping, { extractable: true });
  const prf = options.screenLock === false ? null : await platform.register();
  return writeVault(db, pin, dataKey, { kdf: options.kdf ?? ARGON2, prf });
}

/** Forgotten PIN: drafts and readable copies are lost; the outbox, receipts and device key are not. */
export async function resetPin(db, newPin, options) {
  checkPin(newPin);
  await wipeSecrets(db);
  return setPin(db, newPin, options);
}

/** Re-wraps the same data key under a new PIN, so drafts and copies stay readable. */
export async function changePin(db, oldPin, newPin, { kdf = ARGON2 } = {}) {
  checkPin(newPin);
  const { vault, wrapping, prfSecret } = await attempt(db, oldPin);
  const dataKey = await unwrapDataKey(vault.wrapped, wrapping, { extractable: true });
  // The same screen-lock credential and salt: its secret is the one just evaluated.
  const prf = vault.prf && prfSecret ? { ...vault.prf, secret: prfSecret } : null;
  return writeVault(db, newPin, dataKey, { kdf, prf });
}

/** The one PIN rule: 6 to 12 digits. */
export const validPin = (pin) => typeof pin === "string" && /^\d{6,12}$/.test(pin);

function checkPin(pin) {
  if (!validPin(pin)) throw new InvalidPin();
}

/** One counted PIN attempt: {key, vault, wrapping, prfSecret} on success. */
async function attempt(db, pin) {
  const existing = await meta.get(db, "vault");
  if (!existing) throw new NoPin();
  // The screen lock first: refusing it is not a PIN guess, and is not counted.
  const prfSecret = existing.v === 2 && existing.prf ? await platform.evaluate(existing.prf) : null;
  // Count the attempt before trying it, in the same transaction that reads the count:
  // killing the tab during the slow derivation must not give a free guess, and two
  // tabs guessing at once must not share one count.
  const vault = await tx(db, "meta", "readwrite", async (s) => {
    const current = await req(s.meta.get("vault"));
    if (current && current.failures < MAX_FAILURES) s.meta.put({ ...current, failures: current.failures + 1 }, "vault");
    return current;
  }, STRICT);
  if (!vault) throw new NoPin();
  if (vault.failures >= MAX_FAILURES) return wiped(db); // the last guess was counted but never finished

  const wrapping = await keyFor(vault, pin, prfSecret);
  const key = await unwrapDataKey(vault.wrapped, wrapping);
  if (key) {
    await tx(db, "meta", "readwrite", async (s) => {
      const current = await req(s.meta.get("vault"));
      if (current) s.meta.put({ ...current, failures: 0 }, "vault");
    }, STRICT);
    return { key, vault, wrapping, prfSecret };
  }
  const failures = vault.failures + 1;
  if (failures >= MAX_FAILURES) return wiped(db);
  throw new WrongPin(MAX_FAILURES - failures);
}

async function wiped(db) {
  await wipeSecrets(db);
  throw new VaultWiped();
}
