// The IndexedDB upgrade path (DESIGN §7): every released schema version is kept as a
// frozen fixture, test/fixtures/idb-v<N>.json, holding unsynced records. Each one is
// rebuilt exactly as that version left it, then opened with today's openDatabase():
// nothing may be lost, and the outbox must still sync. Fixtures are read, never written,
// here; make-idb-fixture.mjs writes one once per released version.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { b64d, b64e, envelopeDigest, generateDeviceKey, sign, uuid } from "../src/crypto.js";
import { DB_VERSION, openDatabase } from "../src/db.js";
import { enqueue, nextBatch, pendingCount, statuses } from "../src/outbox.js";
// Aliased: an import named `meta` next to `import.meta` trips Vite's SSR transform.
import { copies, drafts, meta as metaStore, reference } from "../src/store.js";
import { unlock } from "../src/vault.js";
import { dump } from "./helpers.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixtureVersions = readdirSync(FIXTURES)
  .map((file) => /^idb-v(\d+)\.json$/.exec(file)?.[1])
  .filter(Boolean)
  .map(Number)
  .sort((a, b) => a - b);

const decode = (value) => {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (typeof value.$bytes === "string") return b64d(value.$bytes);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
};

const load = (version) => {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, `idb-v${version}.json`), "utf8"));
  return { ...fixture, rows: decode(fixture.rows) };
};

const opened = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));

/** The fixture's schema and rows in a database at the fixture's version, built without db.js. */
function restore(name, { version, stores, rows }, extraMeta = {}) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onerror = () => reject(request.error);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const { name: storeName, keyPath, autoIncrement, indexes } of stores) {
        const store = db.createObjectStore(storeName, { keyPath, autoIncrement });
        for (const index of indexes) store.createIndex(index.name, index.keyPath, { unique: index.unique });
      }
      const transaction = request.transaction;
      for (const { name: storeName, keyPath } of stores) {
        const store = transaction.objectStore(storeName);
        for (const row of rows[storeName]) {
          if (keyPath === null) store.add(row.value, row.key);
          else store.add(row);
        }
      }
      for (const [key, value] of Object.entries(extraMeta)) transaction.objectStore("meta").add(value, key);
    };
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
  });
}

/** What a database's schema looks like, for comparing an upgraded one with a fresh one. */
function shape(db) {
  return [...db.objectStoreNames].map((name) => {
    const store = db.transaction(name).objectStore(name);
    const indexes = [...store.indexNames].map((i) => store.index(i)).map(({ name: n, keyPath, unique, multiEntry }) => ({ n, keyPath, unique, multiEntry }));
    return { name, keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes };
  });
}

const digestOf = async ({ h, ct, sig }) => b64e(await envelopeDigest(b64d(h), b64d(ct), b64d(sig)));

it(`has a frozen fixture for the current DB_VERSION (${DB_VERSION})`, () => {
  // Bumped DB_VERSION? Release it with its fixture: node test/fixtures/make-idb-fixture.mjs
  expect(fixtureVersions).toContain(DB_VERSION);
  expect(fixtureVersions.every((version) => version <= DB_VERSION)).toBe(true);
});

describe.each(fixtureVersions)("a phone on schema v%i", (version) => {
  it("upgrades to the current schema without losing a row", async () => {
    const fixture = load(version);
    const name = `upgrade-v${version}-${uuid()}`;
    // Not in the fixture (JSON cannot hold a non-extractable key): a fresh device key,
    // structured-cloned into the old database as the browser would have it.
    const deviceKey = await generateDeviceKey();
    await restore(name, fixture, { deviceKey });

    const db = await openDatabase({ name });
    opened.push(db);
    expect(db.version).toBe(DB_VERSION);
    const fresh = await openDatabase({ name: `fresh-${uuid()}` });
    opened.push(fresh);
    expect(shape(db)).toEqual(shape(fresh));

    // Every row of the fixture is still there, unchanged.
    const after = await dump(db);
    for (const { name: storeName, keyPath } of fixture.stores) {
      const kept = after[storeName].map(({ key, value }) => (keyPath === null ? { key, value } : value));
      const expected = fixture.rows[storeName];
      for (const row of expected) expect(kept, `${storeName} row`).toContainEqual(row);
    }

    // The device key still signs.
    const key = await metaStore.get(db, "deviceKey");
    expect((await sign(key.privateKey, new Uint8Array([1, 2, 3]))).length).toBe(64);

    // The outbox still syncs: every unsynced record comes out, in seq order, chained.
    const unsynced = fixture.rows.outbox.map((entry) => entry.rid);
    expect(await pendingCount(db)).toBe(unsynced.length);
    const batch = await nextBatch(db);
    expect(batch.map((entry) => entry.rid).sort()).toEqual([...unsynced].sort());
    expect(batch.map((entry) => entry.seq)).toEqual([...batch.map((entry) => entry.seq)].sort((a, b) => a - b));
    for (let k = 1; k < batch.length; k += 1) {
      const header = JSON.parse(new TextDecoder().decode(b64d(batch[k].envelope.h)));
      expect(header.prev).toBe(await digestOf(batch[k - 1].envelope));
    }
    const seq = await metaStore.get(db, "seq");
    expect(seq).toEqual({ seq: batch.at(-1).seq, prev: await digestOf(batch.at(-1).envelope) });
    expect((await statuses(db)).length).toBe(fixture.rows.outbox.length + fixture.rows.receipts.length);

    // Drafts and copies still open with the PIN written in the fixture's note.
    const pin = /PIN (\d+)/.exec(fixture.note)[1];
    const dataKey = await unlock(db, pin);
    for (const { id } of fixture.rows.drafts) expect((await drafts.open(db, dataKey, id)).fields).toBeTruthy();
    for (const { rid, blob } of fixture.rows.copies) {
      expect((await copies.open(db, dataKey, rid)).document === null).toBe(blob === null);
    }
    for (const { collection, checkpoint } of fixture.rows.checkpoints) {
      expect((await reference.checkpoint(db, collection)).checkpoint).toBe(checkpoint);
    }

    // The next record continues the device's chain.
    const device = await metaStore.get(db, "device");
    const { intake } = await metaStore.get(db, "serverKeys");
    const rid = await enqueue(db, { document: { form: "seizure", version: 1, fields: {} }, deviceKey: key, device, intake: intake[0], dataKey });
    const next = (await nextBatch(db)).find((entry) => entry.rid === rid);
    expect(next.seq).toBe(seq.seq + 1);
    expect(JSON.parse(new TextDecoder().decode(b64d(next.envelope.h))).prev).toBe(seq.prev);
  });
});
