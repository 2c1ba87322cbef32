import { afterEach, describe, expect, it, vi } from "vitest";
import { uuid } from "../src/crypto.js";
import { DB_NAME, DB_VERSION, openDatabase, req, tx } from "../src/db.js";
import { spyTransactions } from "./helpers.js";

const opened = [];
const open = async (options) => {
  const db = await openDatabase(options);
  opened.push(db);
  return db;
};
afterEach(() => {
  vi.restoreAllMocks();
  opened.splice(0).forEach((db) => db.close());
});

describe("openDatabase", () => {
  it("creates every store of the schema, under the app's name by default", async () => {
    const db = await open();
    expect(db.name).toBe(DB_NAME);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(["checkpoints", "copies", "drafts", "meta", "outbox", "receipts", "reference", "stranded"]);
    const t = db.transaction(["outbox", "reference"]);
    expect(t.objectStore("outbox").index("seq").unique).toBe(true);
    expect(t.objectStore("reference").keyPath).toEqual(["collection", "key"]);
    expect(t.objectStore("reference").index("collection").keyPath).toBe("collection");
  });

  it("closes itself when a newer version opens elsewhere, so that upgrade is not blocked", async () => {
    const name = `test-${uuid()}`;
    const onVersionChange = vi.fn();
    await open({ name, onVersionChange });
    const blocked = vi.fn();
    const newer = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name, DB_VERSION + 1);
      request.onblocked = blocked;
      request.onerror = () => reject(request.error);
      request.onsuccess = () => resolve(request.result);
    });
    newer.close();
    expect(onVersionChange).toHaveBeenCalledOnce();
    expect(blocked).not.toHaveBeenCalled();
  });

  it("reports when an old connection that does not close blocks the upgrade", async () => {
    const name = `test-${uuid()}`;
    const stubborn = await new Promise((resolve) => {
      const request = indexedDB.open(name, 1);
      request.onsuccess = () => resolve(request.result); // no versionchange handler
    });
    // Pretend the app now opening is one schema version ahead.
    const onBlocked = vi.fn();
    const original = indexedDB.open.bind(indexedDB);
    vi.spyOn(indexedDB, "open").mockImplementation((n) => original(n, 2));
    const pending = openDatabase({ name, onBlocked });
    await vi.waitFor(() => expect(onBlocked).toHaveBeenCalled());
    stubborn.close();
    opened.push(await pending);
  });
});

describe("tx", () => {
  it("resolves with fn's result after the commit, relaxed by default", async () => {
    const db = await open({ name: `test-${uuid()}` });
    const spy = spyTransactions();
    const value = await tx(db, "meta", "readwrite", async (s) => {
      s.meta.put({ language: "lo" }, "settings");
      return req(s.meta.get("settings"));
    });
    await tx(db, ["meta"], "readwrite", (s) => void s.meta.put(1, "x"), { durability: "strict" });
    spy.restore();
    expect(value).toEqual({ language: "lo" });
    expect(spy.log.map((t) => t.durability)).toEqual(["relaxed", "strict"]);
  });

  it("rolls everything back when fn throws, or rejects after a request", async () => {
    const db = await open({ name: `test-${uuid()}` });
    await expect(tx(db, ["meta", "drafts"], "readwrite", (s) => {
      s.meta.put(1, "a");
      throw new Error("boom");
    })).rejects.toThrow("boom");
    await expect(tx(db, ["meta", "drafts"], "readwrite", async (s) => {
      s.meta.put(1, "a");
      await req(s.meta.get("a"));
      throw new Error("later");
    })).rejects.toThrow("later");
    expect(await tx(db, "meta", "readonly", (s) => req(s.meta.count()))).toBe(0);
  });

  it("rejects when a request fails and the transaction aborts", async () => {
    const db = await open({ name: `test-${uuid()}` });
    await tx(db, "drafts", "readwrite", (s) => void s.drafts.add({ id: "d1" }));
    await expect(tx(db, "drafts", "readwrite", (s) => {
      s.drafts.add({ id: "d2" });
      s.drafts.add({ id: "d1" }); // ConstraintError
    })).rejects.toMatchObject({ name: "ConstraintError" });
    expect(await tx(db, "drafts", "readonly", (s) => req(s.drafts.getAllKeys()))).toEqual(["d1"]);
  });
});
