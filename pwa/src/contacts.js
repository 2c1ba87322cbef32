// The emergency contact directory on the phone (PROTOCOL.md §10, `directory`). Contacts
// are names and numbers of real officers: they are stored only sealed, yet the sync that
// fills them runs locked (the service worker's Background Sync) and never has the PIN. So
// each pulled contact is sealed to the directory key pair's public half, kept in the clear
// (meta "directoryKey"), and opened with its private half, kept under the PIN's data key
// (privateMeta "directoryKey"). A new PIN (set, reset, wiped) makes a new pair and drops the
// directory, which the next sync pulls again; keys of contacts stay in the clear.
import { b64d, b64e, directoryOpener, directorySealer, importDirectoryPrivate, newDirectoryKeyPair, randomBytes } from "./crypto.js";
import { req, tx } from "./db.js";
import { meta, privateMeta, reference } from "./store.js";

export const COLLECTION = "directory";
// Every collection kept sealed this way: contacts, and the supervisors' reviews of this
// phone's records (their comments may name people and goods; PROTOCOL.md §10).
export const SEALED = ["directory", "reviews"];
export const KEY = "directoryKey"; // meta: {id, public}; privateMeta: {id, pkcs8}
export const PULLED = "directoryPulled"; // meta: {at}, when the phone last completed a directory pull
const STRICT = { durability: "strict" };

/** A new key pair for a new data key; the directory sealed to the old one goes, to be pulled again. */
export async function createKey(db, dataKey) {
  const pair = await newDirectoryKeyPair();
  const id = b64e(randomBytes(9));
  await privateMeta.put(db, dataKey, KEY, { id, pkcs8: b64e(pair.privatePkcs8) }, STRICT);
  await tx(db, ["meta", "reference", "checkpoints"], "readwrite", (s) => {
    for (const collection of SEALED) {
      s.reference.delete(IDBKeyRange.bound([collection], [collection, []]));
      s.checkpoints.delete(collection);
    }
    s.meta.delete(PULLED);
    s.meta.put({ id, public: pair.publicRaw }, KEY);
  }, STRICT);
  return id;
}

/** After an unlock: a vault from before the directory (or whose pair was lost) gets one. */
export async function ensureKey(db, dataKey) {
  const [held, secret] = await Promise.all([meta.get(db, KEY), privateMeta.get(db, dataKey, KEY).catch(() => null)]);
  if (held && secret && held.id === secret.id) return held.id;
  return createKey(db, dataKey);
}

export class KeyChanged extends Error {}

/**
 * Applies one pulled page of a sealed collection, every item sealed to the current public
 * key. Without one (no PIN yet) returns false and writes nothing. If the PIN changed
 * meanwhile, the page is not written (KeyChanged): what it holds is pulled again under the new key.
 */
export async function applyPage(db, page, collection = COLLECTION) {
  const held = await meta.get(db, KEY);
  if (!held) return false;
  const seal = await directorySealer(held.public, collection);
  const items = await Promise.all((page.items ?? []).map(async (item) => ({ key: item.key, version: item.version,
    data: await seal(item.key, item.data) })));
  await tx(db, ["meta", "reference", "checkpoints"], "readwrite", async (s) => {
    const now = await req(s.meta.get(KEY));
    if (now?.id !== held.id) throw new KeyChanged("the directory key changed during the pull");
    for (const { key, data } of items) s.reference.put({ collection, key, data });
    for (const { key } of page.tombstones ?? []) s.reference.delete([collection, key]);
    s.checkpoints.put({ collection, checkpoint: page.checkpoint, history: page.history });
  }, STRICT);
  return true;
}

export const canPull = async (db) => (await meta.get(db, KEY)) != null;

/** Every item of a sealed collection, opened with the data key: Map key → item (for the
 * directory, the "_about" item included). */
export async function openAll(db, dataKey, collection = COLLECTION) {
  const secret = await privateMeta.get(db, dataKey, KEY).catch(() => null);
  if (!secret) return new Map();
  const open = directoryOpener(await importDirectoryPrivate(b64d(secret.pkcs8)), collection);
  const rows = await reference.all(db, collection);
  const out = new Map();
  await Promise.all([...rows].map(async ([key, sealed]) => {
    try {
      out.set(key, await open(key, sealed));
    } catch {
      // sealed to a key this phone no longer has: the next pull brings it again
    }
  }));
  return out;
}
