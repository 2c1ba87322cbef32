import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outboxFile, waitingFile } from "../src/carry.js";
import { req, tx } from "../src/db.js";
import { freshDb } from "./helpers.js";

const vectors = JSON.parse(readFileSync(new URL("../../tests/vectors/outbox-vectors.json", import.meta.url), "utf8"));

let db;
beforeEach(async () => {
  db = await freshDb();
});
afterEach(() => db.close());

describe("the carried-in outbox file (PROTOCOL.md §14)", () => {
  it("is written byte for byte as the frozen vector", async () => {
    const text = await outboxFile(vectors.envelopes, { dev: vectors.dev, exportedAt: vectors.exported_at, app: vectors.app });
    expect(text).toBe(vectors.file);
  });

  it("holds what waits in the outbox, in seq order, and deletes nothing", async () => {
    const entries = vectors.envelopes.map((envelope, i) => ({ rid: `r${i}`, seq: i + 1, form: "seizure", envelope, sealed_at: 1, sent_at: null }));
    await tx(db, "outbox", "readwrite", (s) => { for (const entry of [...entries].reverse()) s.outbox.put(entry); });
    const file = await waitingFile(db, { app: vectors.app, now: vectors.exported_at });
    expect(file.text).toBe(vectors.file);
    expect(file.count).toBe(2);
    expect(file.name).toMatch(/^wildledger-outbox-5f0c2d7e-\d{8}-\d{4}\.wlout$/);
    expect(await tx(db, "outbox", "readonly", (s) => req(s.outbox.count()))).toBe(2);
  });

  it("after a revocation holds the stranded envelopes; with nothing waiting there is no file", async () => {
    expect(await waitingFile(db, { app: "0.5.0" })).toBeNull();
    await tx(db, "stranded", "readwrite", (s) => s.stranded.put({ rid: "r0", seq: 1, envelope: vectors.envelopes[0] }));
    const file = await waitingFile(db, { app: "0.5.0", now: vectors.exported_at });
    expect(file.count).toBe(1);
    expect(file.text.split("\n")[1]).toBe(vectors.file.split("\n")[1]);
  });
});
