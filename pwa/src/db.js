// The phone's IndexedDB: schema, upgrades and two promise helpers; nothing else.
// store.js gives the stores their meaning, outbox.js the sync policy (STYLE 10:
// Workbox's QueueDb → QueueStore → Queue, except that we never delete a store).
//
// Every released DB_VERSION has a frozen fixture, test/fixtures/idb-v<N>.json, and
// test/upgrade.test.js opens each one with the current code: bump the version, add an
// `if (oldVersion < N)` block, and add that version's fixture.

export const DB_NAME = "wildledger";
export const DB_VERSION = 2;

/** Stores of v1 (what each one holds is described in store.js). */
function upgradeToV1(db) {
  db.createObjectStore("meta"); // out-of-line keys: device, deviceKey, seq, vault, …
  db.createObjectStore("drafts", { keyPath: "id" });
  // Unique: two envelopes with one seq would break the device's chain (DESIGN §3), so a
  // bug that tried it fails its transaction instead of sealing.
  db.createObjectStore("outbox", { keyPath: "rid" }).createIndex("seq", "seq", { unique: true });
  db.createObjectStore("receipts", { keyPath: "rid" });
  db.createObjectStore("copies", { keyPath: "rid" });
  db.createObjectStore("reference", { keyPath: ["collection", "key"] }).createIndex("collection", "collection");
  db.createObjectStore("checkpoints", { keyPath: "collection" });
}

/** v2: sealed envelopes of a revoked enrollment, kept for a supervisor to carry in. */
function upgradeToV2(db) {
  db.createObjectStore("stranded", { keyPath: "rid" });
}

// Additive only (DESIGN §7): a block per version, each creating what that version added.
// Never delete or recreate a store here: the outbox may hold records sealed offline
// under an older app that exist nowhere else.
function upgrade(db, oldVersion) {
  if (oldVersion < 1) upgradeToV1(db);
  if (oldVersion < 2) upgradeToV2(db);
}

/**
 * Opens (and upgrades) the database. `onBlocked` runs when another tab still holds an
 * older version open; `onVersionChange` after this connection closed itself for a newer
 * app version in another tab (the UI should offer a reload).
 */
export function openDatabase({ name = DB_NAME, onBlocked, onVersionChange } = {}) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, DB_VERSION);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    // The upgrade waits until the other tab closes its connection; ours does on
    // versionchange (below), so this only lasts while an old tab misbehaves.
    request.onblocked = () => onBlocked?.();
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      // Close at once, or the new version's upgrade in another tab waits forever.
      db.onversionchange = () => {
        db.close();
        onVersionChange?.();
      };
      resolve(db);
    };
  });
}

/** The result of one IDBRequest. */
export function req(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Runs fn({storeName: IDBObjectStore}, transaction) in one transaction and resolves with
 * fn's result once the transaction has committed; rejects if it aborts, and aborts it if
 * fn throws or rejects. fn may await req(...) of its own stores, but nothing else: a
 * transaction commits as soon as it has no pending request, so do crypto before.
 *
 * Durability defaults to "relaxed" (what Chrome ≥ 121 does anyway); pass "strict" for
 * sealed records, receipts and checkpoints (DESIGN §7), which must survive a power cut
 * right after the promise resolves.
 */
export function tx(db, stores, mode, fn, { durability = "relaxed" } = {}) {
  const names = typeof stores === "string" ? [stores] : stores;
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(names, mode, { durability });
    const map = Object.fromEntries(names.map((name) => [name, transaction.objectStore(name)]));
    const fail = (error) => {
      try {
        transaction.abort();
      } catch {
        // already finished or aborting
      }
      reject(error);
    };
    let result;
    try {
      result = Promise.resolve(fn(map, transaction));
    } catch (error) {
      fail(error);
      return;
    }
    result.catch(fail);
    transaction.oncomplete = () => result.then(resolve, reject);
    // Listen to abort, not error: a request error that fn handled does not abort.
    transaction.onabort = () => reject(transaction.error ?? new DOMException("Transaction aborted", "AbortError"));
  });
}
