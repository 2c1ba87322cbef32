// What the stores of db.js mean, one object per concept. Everything the officer typed
// is AES-GCM encrypted under the PIN-unlocked data key before it reaches IndexedDB
// (DESIGN §2): drafts and local copies keep only ids, form names, numbers and times
// in the clear. The aad binds each blob to its row, so blobs cannot be swapped.
//
//   meta         device, deviceKey, serverKeys, seq, clock, vault, settings, sync, resume,
//                answers, logHead, logAlarm, logRestored, pinResets, revoked,
//                directoryKey, directoryPulled (contacts.js), private:<name> (encrypted, privateMeta)
//   drafts       {id, form, version, supersedes, created_at, updated_at, blob}
//   outbox       {rid, seq, form, envelope:{h,ct,sig}, bytes, sealed_at, sent_at}   (outbox.js)
//   receipts     {rid, seq, status, code, message, env_sha256, log_index, received_at}
//   copies       {rid, form, version, seq, sealed_at, receipt_at, supersedes, blob}
//   reference    {collection, key, data}; `directory` and `reviews` data sealed ({epk, ct}, contacts.js)
//   checkpoints  {collection, checkpoint, history}
//   stranded     outbox entries of a revoked enrollment: sealed, never answered (v2)
import { decryptJSON, encryptJSON, uuid } from "./crypto.js";
import { summaryOf } from "./summary.js";
import { req, tx } from "./db.js";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Days a readable copy outlives its receipt (DESIGN §2). */
export const COPY_DAYS = 7;
const STRICT = { durability: "strict" };

export const meta = {
  get: (db, key) => tx(db, "meta", "readonly", (s) => req(s.meta.get(key))),
  put: (db, key, value, options) => tx(db, "meta", "readwrite", (s) => void s.meta.put(value, key), options),
  remove: (db, key) => tx(db, "meta", "readwrite", (s) => void s.meta.delete(key)),
};

const PRIVATE = "private:";
const privateAad = (name) => `meta:${name}`;

/** Small values the officer typed that outlive a form (the names of the officers using this phone), under the PIN key. */
export const privateMeta = {
  async get(db, dataKey, name) {
    const blob = await meta.get(db, PRIVATE + name);
    return blob ? decryptJSON(dataKey, blob, privateAad(name)) : null;
  },
  async put(db, dataKey, name, value, options) {
    await meta.put(db, PRIVATE + name, await encryptJSON(dataKey, value, privateAad(name)), options);
  },
};

const draftAad = (id) => `draft:${id}`;
const draftMeta = ({ blob, ...rest }) => rest;

export const drafts = {
  /** Encrypts and saves; returns the id (a new one when none is given). */
  async save(db, dataKey, { id = uuid(), form, version, fields, supersedes = null }, now = Date.now()) {
    const blob = await encryptJSON(dataKey, fields, draftAad(id));
    await tx(db, "drafts", "readwrite", async (s) => {
      const old = await req(s.drafts.get(id));
      s.drafts.put({ id, form, version, supersedes, created_at: old?.created_at ?? now, updated_at: now, blob });
    });
    return id;
  },

  /** Metadata only, most recently edited first; opening one needs the PIN. */
  async list(db) {
    const rows = await tx(db, "drafts", "readonly", (s) => req(s.drafts.getAll()));
    return rows.map(draftMeta).sort((a, b) => b.updated_at - a.updated_at);
  },

  /** {id, form, version, created_at, updated_at, fields}, or null if there is none. */
  async open(db, dataKey, id) {
    const row = await tx(db, "drafts", "readonly", (s) => req(s.drafts.get(id)));
    if (!row) return null;
    return { ...draftMeta(row), fields: await decryptJSON(dataKey, row.blob, draftAad(id)) };
  },

  remove: (db, id) => tx(db, "drafts", "readwrite", (s) => void s.drafts.delete(id)),
};

const copyAad = (rid) => `copy:${rid}`;
const summaryAad = (rid) => `summary:${rid}`;
const copyMeta = ({ blob, summary: _summary, ...rest }) => ({ ...rest, readable: blob != null });

export const copies = {
  /**
   * The row for a just-sealed record, built before the sealing transaction opens
   * (outbox.enqueue writes it there). Without a data key it is metadata only.
   */
  async prepare(dataKey, { rid, seq, sealed_at, document }) {
    const blob = dataKey ? await encryptJSON(dataKey, document, copyAad(rid)) : null;
    const summary = dataKey ? await encryptJSON(dataKey, summaryOf(document.fields), summaryAad(rid)) : null;
    return {
      rid,
      form: document.form,
      version: document.version,
      seq,
      sealed_at,
      receipt_at: null,
      supersedes: document.supersedes ?? null,
      blob,
      summary,
    };
  },

  /**
   * rid → the record's summary (summary.js), kept after the readable copy expires. Copies
   * from before summaries existed get theirs from the copy while it is still readable.
   */
  async summaries(db, dataKey) {
    const rows = await tx(db, "copies", "readonly", (s) => req(s.copies.getAll()));
    const found = new Map();
    for (const row of rows) {
      try {
        if (row.summary) found.set(row.rid, await decryptJSON(dataKey, row.summary, summaryAad(row.rid)));
        else if (row.blob) {
          const summary = summaryOf((await decryptJSON(dataKey, row.blob, copyAad(row.rid))).fields);
          found.set(row.rid, summary);
          const sealed = await encryptJSON(dataKey, summary, summaryAad(row.rid));
          await tx(db, "copies", "readwrite", async (s) => {
            const current = await req(s.copies.get(row.rid));
            if (current && !current.summary) s.copies.put({ ...current, summary: sealed });
          });
        }
      } catch {
        // under another key (before a PIN reset): nothing to show, and nothing lost
      }
    }
    return found;
  },

  /** Metadata of every copy, newest first; `readable` says whether the record is still there. */
  async list(db) {
    const rows = await tx(db, "copies", "readonly", (s) => req(s.copies.getAll()));
    return rows.map(copyMeta).sort((a, b) => b.seq - a.seq);
  },

  /** Metadata plus `document` (null once expired), or null if there is no such copy. */
  async open(db, dataKey, rid) {
    const row = await tx(db, "copies", "readonly", (s) => req(s.copies.get(rid)));
    if (!row) return null;
    const document = row.blob ? await decryptJSON(dataKey, row.blob, copyAad(rid)) : null;
    return { ...copyMeta(row), document };
  },

  /**
   * Copies received more than `days` ago become metadata only (DESIGN §2): the store
   * has the record, the phone need not keep what the officer typed. Returns how many.
   */
  expire(db, now = Date.now(), days = COPY_DAYS) {
    const before = now - days * DAY_MS;
    return tx(db, "copies", "readwrite", (s) => nullBlobs(s.copies, (row) => row.receipt_at != null && row.receipt_at < before));
  },
};

/** Sets blob = null (and `also`) on every row that `which` selects; resolves with the count. */
function nullBlobs(store, which, also = {}) {
  return new Promise((resolve, reject) => {
    let count = 0;
    const cursor = store.openCursor();
    cursor.onerror = () => reject(cursor.error);
    cursor.onsuccess = () => {
      const at = cursor.result;
      if (!at) return resolve(count);
      if ((at.value.blob != null || Object.keys(also).some((key) => at.value[key] != null)) && which(at.value)) {
        at.update({ ...at.value, blob: null, ...also });
        count += 1;
      }
      at.continue();
    };
  });
}

export const reference = {
  /**
   * One pulled page (DESIGN §3): items, tombstones and the new checkpoint in one strict
   * transaction, so a crash can never leave a checkpoint ahead of its data.
   */
  applyPage(db, { collection, items = [], tombstones = [], checkpoint, history }) {
    return tx(db, ["reference", "checkpoints"], "readwrite", (s) => {
      for (const { key, data } of items) s.reference.put({ collection, key, data });
      for (const { key } of tombstones) s.reference.delete([collection, key]);
      s.checkpoints.put({ collection, checkpoint, history });
    }, STRICT);
  },

  /** Map key → data of one collection. */
  async all(db, collection) {
    const rows = await tx(db, "reference", "readonly", (s) => req(s.reference.index("collection").getAll(collection)));
    return new Map(rows.map((row) => [row.key, row.data]));
  },

  /** {checkpoint, history} to send as `since`/`history`; {checkpoint: 0, history: null} before the first pull. */
  async checkpoint(db, collection) {
    const row = await tx(db, "checkpoints", "readonly", (s) => req(s.checkpoints.get(collection)));
    return row ? { checkpoint: row.checkpoint, history: row.history } : { checkpoint: 0, history: null };
  },

  /**
   * The server answered 410 (its history changed): drop the collection and its
   * checkpoint together, so the next pull starts from 0 and no row of the old history
   * survives without a tombstone to remove it.
   */
  reset(db, collection) {
    return tx(db, ["reference", "checkpoints"], "readwrite", (s) => {
      s.reference.delete(IDBKeyRange.bound([collection], [collection, []]));
      s.checkpoints.delete(collection);
    }, STRICT);
  },
};

/**
 * The device was revoked (a bound 403 device_revoked, PROTOCOL.md §8): the device key,
 * drafts, readable copies, receipts and reference data go. Sealed envelopes the server
 * gave no receipt for move to `stranded`: they are encrypted to the server and reveal
 * nothing, and a supervisor can still carry them in. Resolves with how many were kept.
 */
export function wipeRevoked(db, now = Date.now()) {
  const names = [...db.objectStoreNames];
  return tx(db, names, "readwrite", async (s) => {
    const waiting = await req(s.outbox.getAll());
    for (const name of names) if (name !== "stranded") s[name].clear();
    for (const entry of waiting) s.stranded.put({ ...entry, sent_at: null });
    const stranded = await req(s.stranded.count());
    s.meta.put({ at: now, stranded }, "revoked");
    return stranded;
  }, STRICT);
}

/** Sealed envelopes kept from a revoked enrollment (see wipeRevoked). */
export const stranded = {
  count: (db) => tx(db, "stranded", "readonly", (s) => req(s.stranded.count())),
  all: (db) => tx(db, "stranded", "readonly", (s) => req(s.stranded.getAll())),
};

/** How many times this phone's PIN protection was reset or wiped (sent with every record and push). */
export const pinResets = async (db) => (await meta.get(db, "pinResets"))?.count ?? 0;

/**
 * Forgotten PIN or too many wrong ones: everything the PIN protects goes (drafts, the
 * readable part of copies, the wrapped key); sealed records, receipts and the device
 * key stay, so what was sealed still syncs. Counted: whoever holds the phone can now set a
 * PIN and seal in the officer's name, so the server flags it until a supervisor confirms.
 */
export function wipeSecrets(db) {
  return tx(db, ["drafts", "copies", "meta", "reference", "checkpoints"], "readwrite", async (s) => {
    s.drafts.clear();
    s.meta.delete("vault");
    // The directory was sealed to a key whose private half the data key kept: pull it again.
    s.meta.delete("directoryKey");
    s.meta.delete("directoryPulled");
    for (const collection of ["directory", "reviews"]) { // contacts.SEALED (contacts.js imports this module)
      s.reference.delete(IDBKeyRange.bound([collection], [collection, []]));
      s.checkpoints.delete(collection);
    }
    const resets = await req(s.meta.get("pinResets"));
    s.meta.put({ count: (resets?.count ?? 0) + 1 }, "pinResets");
    s.meta.delete(IDBKeyRange.bound(PRIVATE, `${PRIVATE}\uffff`));
    await nullBlobs(s.copies, () => true, { summary: null });
  }, STRICT);
}
