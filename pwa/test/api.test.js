// The phone trusts an answer only when the pinned server key signed it for the request it
// just made (PROTOCOL.md §5), and never goes back to an older intake key (§7). The server
// is stood in for by a fetch that signs its answers as server/crypto.py does.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, Unreachable, deviceClient } from "../src/api.js";
import { answerMessage, b64e, generateDeviceKey, publicRaw, responseMessage, sign, utf8 } from "../src/crypto.js";
import { mergeIntakeKeys } from "../src/sync.js";

afterEach(() => vi.unstubAllGlobals());

async function server() {
  const signing = await generateDeviceKey(); // any P-256 key pair will do as the server's
  const answers = []; // what the fake server answered, to replay
  return {
    signingKey: { public_key: b64e(await publicRaw(signing.publicKey)) },
    answers,
    /** An answer as the server makes it: bound to the request, and (transition) legacy-signed too. */
    async answer(request, { status = 200, body = { ok: true }, bound = true, legacy = true, forNonce } = {}) {
      const bytes = utf8(JSON.stringify(body));
      const headers = new Headers();
      const nonce = forNonce ?? request.headers["Wl-Nonce"];
      if (bound) {
        const message = await answerMessage(nonce, request.method, request.path, status, 1_764_300_000_000, bytes);
        headers.set("Wl-Answer-Signature", `kid.1764300000000.${b64e(await sign(signing.privateKey, message))}`);
      }
      if (legacy) headers.set("Wl-Server-Signature", `kid.${b64e(await sign(signing.privateKey, await responseMessage(bytes)))}`);
      return { status, headers, bytes };
    },
  };
}

/** fetch answering each request with `respond(request)` → {status, headers, bytes}. */
function stubFetch(respond) {
  const calls = [];
  vi.stubGlobal("fetch", async (url, init) => {
    const request = { method: init.method, path: new URL(url).pathname + new URL(url).search, headers: init.headers };
    calls.push(request);
    const { status, headers, bytes } = await respond(request);
    return new Response(bytes, { status, headers });
  });
  return calls;
}

async function client(srv, answers = { bound: false }) {
  const state = { ...answers, seen: 0, async seeBound() { this.bound = true; this.seen += 1; } };
  const request = deviceClient({
    origin: "https://wildledger.test", device: { id: "d" }, deviceKey: await generateDeviceKey(),
    signingKey: srv.signingKey, clock: { offset_ms: 0 }, onOffset: async () => {}, answers: state, languageTag: () => "vi",
  });
  return { request, state };
}

describe("answers bound to their request", () => {
  it("takes an answer signed for this request, and remembers that the server binds its answers", async () => {
    const srv = await server();
    stubFetch((request) => srv.answer(request, { body: { receipts: [] } }));
    const { request, state } = await client(srv);
    const answer = await request("POST", "/api/v1/sync/push", { records: [] });
    expect(answer.data).toEqual({ receipts: [] });
    expect(state.bound).toBe(true);
  });

  it("acts on a 403 only when it answers this very request", async () => {
    const srv = await server();
    const revoked = { code: "device_revoked", status: 403 };
    let captured;
    stubFetch(async (request) => (captured = await srv.answer(request, { status: 403, body: revoked })));
    const { request } = await client(srv, { bound: true });
    await expect(request("POST", "/api/v1/sync/push", {})).rejects.toBeInstanceOf(ApiError); // genuine: acted on

    stubFetch(async () => captured); // the same answer, replayed to the next request
    await expect(request("POST", "/api/v1/sync/push", {})).rejects.toBeInstanceOf(Unreachable);
  });

  it("refuses a signed 200 served with status 403, and an answer to another path", async () => {
    const srv = await server();
    stubFetch(async (request) => ({ ...(await srv.answer(request, { body: { code: "device_revoked" } })), status: 403 }));
    const { request } = await client(srv, { bound: true });
    await expect(request("POST", "/api/v1/sync/push", {})).rejects.toBeInstanceOf(Unreachable);

    stubFetch((request) => srv.answer({ ...request, path: "/api/v1/sync/pull/keys?since=0" }));
    await expect(request("POST", "/api/v1/sync/push", {})).rejects.toBeInstanceOf(Unreachable);
  });

  it("takes the legacy body-only signature for a success only, and only until it has seen a bound one", async () => {
    const srv = await server();
    stubFetch((request) => srv.answer(request, { bound: false, body: { receipts: [] } }));
    const fresh = await client(srv, { bound: false });
    expect((await fresh.request("POST", "/api/v1/sync/push", {})).data).toEqual({ receipts: [] });

    const seen = await client(srv, { bound: true });
    await expect(seen.request("POST", "/api/v1/sync/push", {})).rejects.toBeInstanceOf(Unreachable);

    stubFetch((request) => srv.answer(request, { bound: false, status: 403, body: { code: "device_revoked" } }));
    await expect(fresh.request("POST", "/api/v1/sync/push", {})).rejects.toBeInstanceOf(Unreachable);
  });

  it("refuses an answer with no signature, or signed by another key", async () => {
    const srv = await server();
    const other = await server();
    stubFetch((request) => srv.answer(request, { bound: false, legacy: false }));
    const { request } = await client(srv);
    await expect(request("GET", "/api/v1/sync/pull/forms?since=0")).rejects.toBeInstanceOf(Unreachable);
    stubFetch((request) => other.answer(request));
    await expect(request("GET", "/api/v1/sync/pull/forms?since=0")).rejects.toBeInstanceOf(Unreachable);
  });
});

describe("intake key epochs", () => {
  const key = (kid, epoch, current = false) => ({ kid, purpose: "intake", public_key: `pk-${kid}`, fingerprint: `fp-${kid}`, epoch, current });

  it("seals to the highest epoch ever seen, whatever a page flags as current", () => {
    const pinned = mergeIntakeKeys([key("one", 1, true)], [key("one", 1), key("two", 2, true)]);
    expect(pinned.find((k) => k.current).kid).toBe("two");
    // An old page (epoch 1 current) after the phone pinned epoch 2: no going back.
    const after = mergeIntakeKeys(pinned, [key("one", 1, true)]);
    expect(after.find((k) => k.current).kid).toBe("two");
    expect(after.map((k) => k.kid)).toEqual(["two", "one"]);
  });

  it("gives keys pinned before epochs existed their epoch from the collection", () => {
    const legacy = [{ kid: "one", purpose: "intake", public_key: "pk-one", fingerprint: "fp-one", current: true }];
    const merged = mergeIntakeKeys(legacy, [key("one", 1), key("two", 2, true)]);
    expect(merged).toEqual([{ ...key("two", 2), current: true }, { ...key("one", 1), current: false }]);
    // Without any epoch (an older server) the flag decides, as before.
    expect(mergeIntakeKeys(legacy, []).find((k) => k.current).kid).toBe("one");
  });
});
