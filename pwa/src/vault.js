// The officer's PIN (DESIGN §2). A random AES-GCM data key encrypts drafts and local
// copies; it is stored only wrapped (AES-KW) under PBKDF2-SHA256(PIN). Sealing and
// syncing never need it. Ten wrong PINs in a row, or a forgotten PIN, cost what it
// protects (drafts, readable copies) and nothing else.
import { PIN_ITERATIONS, derivePinKey, newDataKey, randomBytes, unwrapDataKey, wrapDataKey } from "./crypto.js";
import { req, tx } from "./db.js";
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

export const isSet = async (db) => (await meta.get(db, "vault")) != null;

/**
 * A new data key under a new PIN; returns the key, unwrapped again so that the copy in
 * memory is not extractable. Replaces any previous vault, so whatever the old key
 * encrypted becomes unreadable: use changePin to keep it. `iterations` is for tests.
 */
export async function setPin(db, pin, { iterations = PIN_ITERATIONS } = {}) {
  checkPin(pin);
  const salt = randomBytes(16);
  const pinKey = await derivePinKey(pin, salt, iterations);
  const wrapped = await wrapDataKey(await newDataKey(), pinKey);
  await meta.put(db, "vault", { salt, iterations, wrapped, failures: 0 }, STRICT);
  return unwrapDataKey(wrapped, pinKey);
}

/** The data key, or WrongPin {remaining}; the MAX_FAILURES-th wrong PIN wipes the secrets and throws VaultWiped. */
export async function unlock(db, pin) {
  const { key } = await attempt(db, pin);
  return key;
}

/** Forgotten PIN: drafts and readable copies are lost; the outbox, receipts and device key are not. */
export async function resetPin(db, newPin, options) {
  checkPin(newPin);
  await wipeSecrets(db);
  return setPin(db, newPin, options);
}

/** Re-wraps the same data key under a new PIN, so drafts and copies stay readable. */
export async function changePin(db, oldPin, newPin, { iterations = PIN_ITERATIONS } = {}) {
  checkPin(newPin);
  const { vault, pinKey } = await attempt(db, oldPin);
  const dataKey = await unwrapDataKey(vault.wrapped, pinKey, { extractable: true });
  const salt = randomBytes(16);
  const newKey = await derivePinKey(newPin, salt, iterations);
  const wrapped = await wrapDataKey(dataKey, newKey);
  await meta.put(db, "vault", { salt, iterations, wrapped, failures: 0 }, STRICT);
  return unwrapDataKey(wrapped, newKey);
}

/** The one PIN rule: 6 to 12 digits. */
export const validPin = (pin) => typeof pin === "string" && /^\d{6,12}$/.test(pin);

function checkPin(pin) {
  if (!validPin(pin)) throw new InvalidPin();
}

/** One counted PIN attempt: {key, vault, pinKey} on success. */
async function attempt(db, pin) {
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

  const pinKey = await derivePinKey(pin, vault.salt, vault.iterations);
  const key = await unwrapDataKey(vault.wrapped, pinKey);
  if (key) {
    await tx(db, "meta", "readwrite", async (s) => {
      const current = await req(s.meta.get("vault"));
      if (current) s.meta.put({ ...current, failures: 0 }, "vault");
    }, STRICT);
    return { key, vault, pinKey };
  }
  const failures = vault.failures + 1;
  if (failures >= MAX_FAILURES) return wiped(db);
  throw new WrongPin(MAX_FAILURES - failures);
}

async function wiped(db) {
  await wipeSecrets(db);
  throw new VaultWiped();
}
