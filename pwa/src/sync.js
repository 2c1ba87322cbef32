// Sync (DESIGN §3): push the outbox in batches, then bring the reference collections up
// to date. Runs in the page (app start, `online`, a timer, "Sync now") and in the service
// worker's Background Sync where the browser has it; a Web Lock keeps the two from
// running at once. It needs the device key only, never the PIN.
import { ApiError, PUSH, Unreachable, deviceClient } from "./api.js";
import { exclusive } from "./locks.js";
import * as outbox from "./outbox.js";
import { copies, meta, reference, wipeAll } from "./store.js";

export const COLLECTIONS = ["keys", "forms", "codes", "species", "places", "crossings", "agencies", "translations"];
const PULL_EVERY_MS = 30 * 60 * 1000;
export const APP_VERSION = typeof __APP_VERSION__ === "string" ? __APP_VERSION__ : "0.0.0";

export const events = new EventTarget();
const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));

export class Revoked extends Error {}

async function client(db, origin, languageTag) {
  const [device, deviceKey, serverKeys, clock] = await Promise.all(
    ["device", "deviceKey", "serverKeys", "clock"].map((key) => meta.get(db, key)));
  if (!device || !deviceKey || !serverKeys) return null;
  const clockState = clock ?? { offset_ms: 0 };
  return deviceClient({
    origin, device, deviceKey, signingKey: serverKeys.signing, clock: clockState, languageTag,
    onOffset: (offset_ms) => meta.put(db, "clock", { offset_ms }),
  });
}

async function appState() {
  const state = { version: APP_VERSION };
  try {
    const estimate = await navigator.storage?.estimate?.();
    state.storage_persistent = (await navigator.storage?.persisted?.()) ?? null;
    if (estimate) Object.assign(state, { storage_usage: estimate.usage ?? null, storage_quota: estimate.quota ?? null });
  } catch {
    // storage estimates are a courtesy to the supervisor; never a reason not to sync
  }
  return state;
}

async function push(db, request) {
  let sent = 0;
  for (;;) {
    const batch = await outbox.nextBatch(db);
    if (!batch.length) return sent;
    await outbox.markSent(db, batch.map((entry) => entry.rid), Date.now());
    emit("change");
    let answer;
    try {
      answer = await request("POST", PUSH, { records: batch.map((entry) => entry.envelope), app: await appState() });
    } catch (error) {
      // "Sent" means on its way; with no answer it is waiting again. If the server did
      // get it, the next push is answered "duplicate" with the same receipt.
      await outbox.markSent(db, batch.map((entry) => entry.rid), null);
      throw error;
    }
    await outbox.applyReceipts(db, batch, answer.data, Date.now());
    sent += batch.length;
    emit("change");
  }
}

async function pull(db, request, collection) {
  for (;;) {
    const { checkpoint = 0, history = null } = (await reference.checkpoint(db, collection)) ?? {};
    const query = `since=${checkpoint}&limit=500` + (checkpoint ? `&history=${history}` : "");
    let page;
    try {
      page = (await request("GET", `/api/v1/sync/pull/${collection}?${query}`)).data;
    } catch (error) {
      if (error instanceof ApiError && error.status === 410) {
        await reference.reset(db, collection); // our copy cannot be patched: start over
        continue;
      }
      throw error;
    }
    if (page.collection !== collection || page.since !== checkpoint) throw new Unreachable("a pull answer for something else");
    await reference.applyPage(db, page);
    if (collection === "keys") await adoptIntakeKeys(db);
    if (!page.more) return;
  }
}

// New intake keys arrive as a signed collection; the newest seals, every one still opens.
async function adoptIntakeKeys(db) {
  const keys = [...(await reference.all(db, "keys")).values()].filter((key) => key?.purpose === "intake");
  if (!keys.length) return;
  const serverKeys = await meta.get(db, "serverKeys");
  await meta.put(db, "serverKeys", { ...serverKeys, intake: keys });
}

/** One sync: push everything waiting, then pull what changed. Returns a summary. */
export function syncOnce(db, { origin = globalThis.location.origin, languageTag = () => "en", pullAll = false } = {}) {
  return exclusive("wildledger-sync", async () => {
    const request = await client(db, origin, languageTag);
    if (!request) return { state: "not_enrolled" };
    const now = Date.now();
    const status = (await meta.get(db, "sync")) ?? {};
    await meta.put(db, "sync", { ...status, last_attempt: now });
    emit("state", { running: true });
    try {
      const sent = await push(db, request);
      await copies.expire(db, Date.now()); // readable copies last a few days past their receipt
      if (pullAll || !status.last_pull || now - status.last_pull > PULL_EVERY_MS) {
        for (const collection of COLLECTIONS) await pull(db, request, collection);
        status.last_pull = Date.now();
      }
      await meta.put(db, "sync", { ...status, last_attempt: now, last_success: Date.now(), last_error: null });
      return { state: "ok", sent };
    } catch (error) {
      if (error instanceof ApiError && error.status === 403 && error.code === "device_revoked") {
        // The answer was signed by the pinned server key, so this is the server's word.
        await wipeAll(db);
        await meta.put(db, "revoked", { at: Date.now() });
        emit("revoked");
        throw new Revoked();
      }
      const code = error instanceof ApiError ? error.code || `http_${error.status}` : "unreachable";
      await meta.put(db, "sync", { ...status, last_attempt: now, last_error: code });
      return { state: "failed", code };
    } finally {
      emit("state", { running: false });
      emit("change");
    }
  });
}
