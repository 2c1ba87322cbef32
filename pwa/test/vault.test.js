import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ARGON2, argon2id } from "../src/argon2.js";
import { derivePinKey, newDataKey, randomBytes, sign, utf8, wrapDataKey } from "../src/crypto.js";
import { applyReceipts, enqueue, nextBatch } from "../src/outbox.js";
import { copies, drafts, meta } from "../src/store.js";
import { InvalidPin, MAX_FAILURES, NoPin, VaultWiped, WrongPin, changePin, isSet, protection, resetPin, setPin, unlock } from "../src/vault.js";
import { FAST, ServerLog, dump, enrolled, freshDb, seizure, spyTransactions } from "./helpers.js";
import ARGON2_VECTORS from "../../tests/vectors/argon2-vectors.json";

let db;
beforeEach(async () => {
  db = await freshDb();
});
afterEach(() => db.close());

const PIN = "246810";

/** A phone in use: a draft, one record received, one waiting. */
async function inUse(dataKey) {
  const phone = await enrolled();
  await meta.put(db, "deviceKey", phone.deviceKey);
  const seal = () => enqueue(db, { document: seizure(), deviceKey: phone.deviceKey, device: phone.device, intake: phone.intake, dataKey });
  const draft = await drafts.save(db, dataKey, seizure());
  const received = await seal();
  const [entry] = await nextBatch(db);
  const { answer, head } = await new ServerLog().answer([entry]);
  await applyReceipts(db, [entry], answer, Date.now(), { head });
  const waiting = await seal();
  return { phone, draft, received, waiting };
}

/** Sealed records, receipts and the device key are still there and usable. */
async function expectSyncIntact({ received, waiting }) {
  const after = await dump(db);
  expect(after.outbox.map((row) => row.key)).toEqual([waiting]);
  expect(after.receipts.map((row) => row.key)).toEqual([received]);
  const deviceKey = await meta.get(db, "deviceKey");
  expect((await sign(deviceKey.privateKey, new Uint8Array([1]))).length).toBe(64);
  expect((await nextBatch(db)).map((entry) => entry.rid)).toEqual([waiting]);
}

describe("setPin and unlock", () => {
  it("unlocks with the right PIN, to the key that encrypted the drafts", async () => {
    expect(await isSet(db)).toBe(false);
    const key = await setPin(db, PIN, FAST);
    expect(key.extractable).toBe(false);
    expect(await isSet(db)).toBe(true);
    const id = await drafts.save(db, key, seizure());
    const again = await unlock(db, PIN);
    expect((await drafts.open(db, again, id)).fields).toEqual(seizure().fields);
  });

  it("refuses PINs shorter than 6 digits, or not digits", async () => {
    for (const pin of ["12345", "abcdef", "", 123456]) await expect(setPin(db, pin, FAST)).rejects.toBeInstanceOf(InvalidPin);
    expect(await isSet(db)).toBe(false);
  });

  it("keeps the salt, the Argon2id parameters and the wrapped key, never the PIN; 64 MiB per guess by default", async () => {
    await setPin(db, PIN, FAST);
    const vault = await meta.get(db, "vault");
    expect(vault).toMatchObject({ v: 2, kdf: FAST.kdf, failures: 0, prf: null });
    expect(vault.salt.length).toBe(16);
    expect(vault.wrapped.length).toBe(40); // AES-KW of a 256-bit key
    expect(JSON.stringify(await dump(db))).not.toContain(PIN);
    expect(await protection(db)).toBe("argon2id");
    expect(ARGON2).toMatchObject({ name: "argon2id", m: 65_536, p: 1 });
  });

  it("computes Argon2id as RFC 9106 defines it (tests/vectors/argon2-vectors.json, argon2-cffi's answers)", async () => {
    const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const fromHex = (text) => Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16));
    for (const { password, salt_hex, m, t, p, hash_hex } of ARGON2_VECTORS.cases) {
      expect(hex(await argon2id(password, fromHex(salt_hex), { m, t, p }))).toBe(hash_hex);
    }
  });

  it("moves a vault from before 0.3.0 (PBKDF2) to Argon2id at its next unlock, drafts still readable", async () => {
    const dataKey = await newDataKey();
    const salt = randomBytes(16);
    await meta.put(db, "vault", { salt, iterations: 1000, wrapped: await wrapDataKey(dataKey, await derivePinKey(PIN, salt, 1000)), failures: 0 });
    const id = await drafts.save(db, dataKey, seizure());
    expect(await protection(db)).toBe("pbkdf2");
    const unlocked = await unlock(db, PIN, FAST);
    expect((await drafts.open(db, unlocked, id)).fields).toEqual(seizure().fields);
    expect(await meta.get(db, "vault")).toMatchObject({ v: 2, kdf: FAST.kdf, failures: 0 });
    expect(await protection(db)).toBe("argon2id");
    expect((await drafts.open(db, await unlock(db, PIN), id)).fields).toEqual(seizure().fields);
    await expect(unlock(db, "000000")).rejects.toBeInstanceOf(WrongPin);
  });

  it("writes the vault with strict durability", async () => {
    const spy = spyTransactions();
    await setPin(db, PIN, FAST);
    await unlock(db, PIN);
    spy.restore();
    expect(spy.log.filter((t) => t.mode === "readwrite").every((t) => t.durability === "strict")).toBe(true);
  });

  it("says when no PIN is set", async () => {
    await expect(unlock(db, PIN)).rejects.toBeInstanceOf(NoPin);
  });
});

describe("wrong PINs", () => {
  it("counts down, and a right PIN resets the count", async () => {
    await setPin(db, PIN, FAST);
    await expect(unlock(db, "000000")).rejects.toMatchObject({ name: "WrongPin", remaining: MAX_FAILURES - 1 });
    await expect(unlock(db, "000001")).rejects.toMatchObject({ remaining: MAX_FAILURES - 2 });
    await unlock(db, PIN);
    expect((await meta.get(db, "vault")).failures).toBe(0);
    await expect(unlock(db, "000000")).rejects.toMatchObject({ remaining: MAX_FAILURES - 1 });
  });

  it("counts the attempt before trying it, so a killed tab gets no free guess", async () => {
    await setPin(db, PIN, FAST);
    // The tab "dies" during the slow derivation: it never returns.
    const derive = vi.spyOn(crypto.subtle, "deriveKey").mockImplementation(() => new Promise(() => {}));
    unlock(db, PIN);
    await vi.waitFor(() => expect(derive).toHaveBeenCalled());
    derive.mockRestore();
    expect((await meta.get(db, "vault")).failures).toBe(1);
    await expect(unlock(db, "000000")).rejects.toMatchObject({ remaining: MAX_FAILURES - 2 });
  });

  it(`the ${MAX_FAILURES}th wipes drafts and readable copies; sealed records, receipts and device key survive`, async () => {
    const dataKey = await setPin(db, PIN, FAST);
    const state = await inUse(dataKey);
    for (let k = 1; k < MAX_FAILURES; k += 1) {
      await expect(unlock(db, "000000")).rejects.toMatchObject({ remaining: MAX_FAILURES - k });
    }
    await expect(unlock(db, "000000")).rejects.toBeInstanceOf(VaultWiped);

    expect(await isSet(db)).toBe(false);
    expect(await drafts.list(db)).toEqual([]);
    expect((await copies.list(db)).map((copy) => copy.readable)).toEqual([false, false]);
    await expectSyncIntact(state);
    // Even the right PIN is useless now: there is nothing to unwrap.
    await expect(unlock(db, PIN)).rejects.toBeInstanceOf(NoPin);
  });

  it("wipes at once when the last counted attempt never finished", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    await drafts.save(db, dataKey, seizure());
    await meta.put(db, "vault", { ...(await meta.get(db, "vault")), failures: MAX_FAILURES });
    await expect(unlock(db, PIN)).rejects.toBeInstanceOf(VaultWiped);
    expect(await drafts.list(db)).toEqual([]);
  });
});

describe("resetPin and changePin", () => {
  it("reset (forgotten PIN) costs the drafts and readable copies only, and is counted", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    const state = await inUse(dataKey);
    const fresh = await resetPin(db, "13579111", FAST);
    expect(await meta.get(db, "pinResets")).toEqual({ count: 1 });
    expect(await drafts.list(db)).toEqual([]);
    expect((await copies.list(db)).every((copy) => !copy.readable)).toBe(true);
    await expectSyncIntact(state);
    await expect(unlock(db, PIN)).rejects.toBeInstanceOf(WrongPin);
    const id = await drafts.save(db, fresh, seizure());
    expect((await drafts.open(db, await unlock(db, "13579111"), id)).fields).toEqual(seizure().fields);
  });

  it("change keeps drafts and copies readable under the new PIN", async () => {
    const dataKey = await setPin(db, PIN, FAST);
    const state = await inUse(dataKey);
    await expect(changePin(db, "000000", "13579111", FAST)).rejects.toBeInstanceOf(WrongPin);
    await changePin(db, PIN, "13579111", FAST);
    await expect(unlock(db, PIN)).rejects.toBeInstanceOf(WrongPin);
    const key = await unlock(db, "13579111");
    expect((await drafts.open(db, key, state.draft)).fields).toEqual(seizure().fields);
    expect((await copies.open(db, key, state.waiting)).document).toEqual(seizure());
    expect((await meta.get(db, "vault")).failures).toBe(0);
  });
});
