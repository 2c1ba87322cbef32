// Sync (DESIGN §3): push the outbox in batches, then bring the reference collections up
// to date. Runs in the page (app start, `online`, a timer, "Sync now") and in the service
// worker's Background Sync where the browser has it; a Web Lock keeps the two from
// running at once. It needs the device key only, never the PIN.
import { ApiError, PUSH, Unreachable, deviceClient } from "./api.js";
import { exclusive } from "./locks.js";
import * as outbox from "./outbox.js";
import { b64d, publicRaw } from "./crypto.js";
import { LogAlarm, LogAnswerError, checkView } from "./log.js";
import * as contacts from "./contacts.js";
import { copies, meta, pinResets, reference, wipeRevoked } from "./store.js";

export const COLLECTIONS = ["keys", "forms", "codes", "species", "places", "crossings", "agencies", "directory", "counterparts", "translations", "reviews"];
// Collections a server from before them does not have (404 unknown_collection): pulled once it does.
const OPTIONAL = new Set(["directory", "counterparts", "reviews"]);
const PULL_EVERY_MS = 30 * 60 * 1000;
export const APP_VERSION = typeof __APP_VERSION__ === "string" ? __APP_VERSION__ : "0.0.0";

export const events = new EventTarget();
const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));

export class Revoked extends Error {}

const STRICT = { durability: "strict" };

/** What checking the log needs: the pinned signing key, and our own public key (raw). */
async function logKeys(db) {
  const [serverKeys, deviceKey] = await Promise.all([meta.get(db, "serverKeys"), meta.get(db, "deviceKey")]);
  return { signingRaw: b64d(serverKeys.signing.public_key), devicePublic: await publicRaw(deviceKey.publicKey) };
}

async function client(db, origin, languageTag) {
  const [device, deviceKey, serverKeys, clock, answers] = await Promise.all(
    ["device", "deviceKey", "serverKeys", "clock", "answers"].map((key) => meta.get(db, key)));
  if (!device || !deviceKey || !serverKeys) return null;
  const clockState = clock ?? { offset_ms: 0 };
  const answersState = {
    bound: answers?.bound === true,
    async seeBound() {
      this.bound = true;
      await meta.put(db, "answers", { bound: true }, { durability: "strict" });
    },
  };
  return deviceClient({
    origin, device, deviceKey, signingKey: serverKeys.signing, clock: clockState, answers: answersState, languageTag,
    onOffset: (offset_ms) => meta.put(db, "clock", { offset_ms }),
  });
}

async function appState(db) {
  const state = { version: APP_VERSION };
  try {
    const estimate = await navigator.storage?.estimate?.();
    state.storage_persistent = (await navigator.storage?.persisted?.()) ?? null;
    if (estimate) Object.assign(state, { storage_usage: estimate.usage ?? null, storage_quota: estimate.quota ?? null });
  } catch {
    // storage estimates are a courtesy to the supervisor; never a reason not to sync
  }
  const alarm = await meta.get(db, "logAlarm");
  if (alarm) state.log_alarm = alarm.code; // the supervisor must hear of it
  state.pin_resets = await pinResets(db);
  return state;
}

const heldLog = (head) => (head ? { epoch: head.epoch, size: head.size } : undefined);

/**
 * Holds the answer's log part to the head this phone keeps (PROTOCOL.md §9) and keeps the
 * new head. After a declared restore, what the server lost goes back to the outbox.
 * Throws LogAlarm (history rewritten) or LogAnswerError (no proper answer).
 */
async function adoptLog(db, view, signingRaw) {
  const held = await meta.get(db, "logHead");
  const { head, restoredTo } = await checkView(signingRaw, held, view);
  let resent = 0;
  if (restoredTo !== null) {
    resent = await outbox.requeue(db, { restoredTo, epoch: head.epoch });
    await meta.put(db, "logRestored", { at: Date.now(), epoch: head.epoch, size: restoredTo, resent }, STRICT);
  }
  await meta.put(db, "logHead", head, STRICT);
  return { head, resent };
}

async function push(db, request, keys) {
  let sent = 0;
  for (;;) {
    const batch = await outbox.nextBatch(db);
    if (!batch.length) return sent;
    await outbox.markSent(db, batch.map((entry) => entry.rid), Date.now());
    emit("change");
    const held = heldLog(await meta.get(db, "logHead"));
    let answer;
    try {
      answer = await request("POST", PUSH, { records: batch.map((entry) => entry.envelope), app: await appState(db), log: held });
    } catch (error) {
      // "Sent" means on its way; with no answer it is waiting again. If the server did
      // get it, the next push is answered "duplicate" with the same receipt.
      await outbox.markSent(db, batch.map((entry) => entry.rid), null);
      // Revoked: the answer carries a receipt for each envelope the server now holds
      // (quarantined, in the log), so those may leave the outbox before the phone wipes itself.
      if (error instanceof ApiError && error.code === "device_revoked" && Array.isArray(error.problem.receipts)) {
        try {
          await applyAnswer(db, batch, error.problem, keys);
        } catch (proofError) {
          console.warn("revocation receipts not proven; the envelopes are kept", proofError);
        }
      }
      throw error;
    }
    const { applied } = await applyAnswer(db, batch, answer.data, keys);
    sent += batch.length;
    emit("change");
    if (applied.length === 0) return sent; // nothing provably held: try again at the next sync, never in a loop
  }
}

async function applyAnswer(db, batch, data, { signingRaw, devicePublic }) {
  const { head } = await adoptLog(db, data.log, signingRaw);
  const alarm = (await meta.get(db, "logAlarm")) != null;
  return outbox.applyReceipts(db, batch, data, Date.now(), { head, devicePublic, alarm });
}

/** With nothing to push, a sync still asks for the head and a proof from the one held.
 * Returns how many envelopes a declared restore sent back to the outbox. */
async function checkLog(db, request, { signingRaw }) {
  const held = await meta.get(db, "logHead");
  const query = held ? `?epoch=${held.epoch}&size=${held.size}` : "";
  return (await adoptLog(db, (await request("GET", `/api/v1/sync/log${query}`)).data, signingRaw)).resent;
}

async function pull(db, request, collection) {
  // Contacts and reviews are sealed to the directory key as they arrive; before a PIN there is none.
  const sealed = contacts.SEALED.includes(collection);
  if (sealed && !(await contacts.canPull(db))) return;
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
      if (error instanceof ApiError && error.code === "unknown_collection" && OPTIONAL.has(collection)) return;
      throw error;
    }
    if (page.collection !== collection || page.since !== checkpoint) throw new Unreachable("a pull answer for something else");
    if (sealed) {
      try {
        if (!(await contacts.applyPage(db, page, collection))) return;
      } catch (error) {
        if (error instanceof contacts.KeyChanged) return; // a new PIN meanwhile: the next sync pulls it all again
        throw error;
      }
      if (!page.more && collection === contacts.COLLECTION) await meta.put(db, contacts.PULLED, { at: Date.now() });
    } else {
      await reference.applyPage(db, page);
    }
    if (collection === "keys") await adoptIntakeKeys(db);
    if (!page.more) return;
  }
}

// New intake keys arrive as a signed collection; the newest seals, every one still opens.
async function adoptIntakeKeys(db) {
  const pulled = [...(await reference.all(db, "keys")).values()].filter((key) => key?.purpose === "intake");
  if (!pulled.length) return;
  const serverKeys = await meta.get(db, "serverKeys");
  await meta.put(db, "serverKeys", { ...serverKeys, intake: mergeIntakeKeys(serverKeys.intake, pulled) }, { durability: "strict" });
}

/**
 * The pinned intake keys with those just pulled, newest epoch first; the current one (which
 * seals) is the highest epoch this phone has ever seen. Nothing an answer says, and no
 * start-over after a 410, takes the phone back to an older key (PROTOCOL.md §2, §10).
 */
export function mergeIntakeKeys(pinned = [], pulled = []) {
  const byKid = new Map();
  for (const { current: _current, ...key } of [...pinned, ...pulled]) byKid.set(key.kid, { ...byKid.get(key.kid), ...key });
  const epoch = (key) => key.epoch ?? 0;
  const keys = [...byKid.values()].sort((a, b) => epoch(b) - epoch(a));
  const newest = epoch(keys[0]);
  // Before epochs existed the server flagged the current key; among equals, that flag decides.
  const flagged = [...pulled, ...pinned].find((key) => key.current && epoch(byKid.get(key.kid)) === newest);
  const current = flagged?.kid ?? keys[0].kid;
  return keys.map((key) => ({ ...key, current: key.kid === current }));
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
    const keys = await logKeys(db);
    try {
      let sent = await push(db, request, keys);
      if (sent === 0 && (await checkLog(db, request, keys)) > 0) sent = await push(db, request, keys);
      await copies.expire(db, Date.now()); // readable copies last a few days past their receipt
      if (!(await meta.get(db, "logAlarm"))) await outbox.expireRetained(db, Date.now());
      if (pullAll || !status.last_pull || now - status.last_pull > PULL_EVERY_MS) {
        for (const collection of COLLECTIONS) await pull(db, request, collection);
        status.last_pull = Date.now();
      }
      await meta.put(db, "sync", { ...status, last_attempt: now, last_success: Date.now(), last_error: null });
      return { state: "ok", sent };
    } catch (error) {
      if (error instanceof ApiError && error.status === 403 && error.code === "device_revoked") {
        // The server's word on the request we just sent (the answer signature is bound to
        // it): erase what the PIN and the device key protect; keep the sealed envelopes
        // the server has no receipt for, to be carried in (PROTOCOL.md §8).
        await wipeRevoked(db, Date.now());
        emit("revoked");
        throw new Revoked();
      }
      if (error instanceof LogAlarm) {
        // The server's own signed answers contradict what it showed this phone before:
        // from now on nothing is deleted here, and the officer is told (PROTOCOL.md §9).
        if (!(await meta.get(db, "logAlarm"))) {
          await meta.put(db, "logAlarm", { code: error.code, detail: error.message, at: Date.now() }, STRICT);
        }
        emit("alarm");
      }
      const code = error instanceof ApiError ? error.code || `http_${error.status}`
        : error instanceof LogAlarm ? error.code : error instanceof LogAnswerError ? "log_answer_invalid" : "unreachable";
      await meta.put(db, "sync", { ...status, last_attempt: now, last_error: code });
      return { state: "failed", code };
    } finally {
      emit("state", { running: false });
      emit("change");
    }
  });
}
