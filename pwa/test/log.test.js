// The phone holds the server to its log (src/log.js, PROTOCOL.md §9): each way history can
// be rewritten gives its own alarm; a malformed or unsigned answer never does.
import { beforeEach, describe, expect, it } from "vitest";
import { b64e, generateDeviceKey, publicRaw, utf8 } from "../src/crypto.js";
import { LogAlarm, LogAnswerError, checkView } from "../src/log.js";
import { ServerLog } from "./helpers.js";

let server, signer, signingRaw;
const envelope = (n) => ({
  h: b64e(utf8(JSON.stringify({ v: 1, rid: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, dev: "d", seq: n, ts: 0, kid: "k", prev: null }))),
  ct: b64e(utf8(`ct ${n}`)), sig: b64e(new Uint8Array(64)),
});

beforeEach(async () => {
  server = new ServerLog();
  signer = await generateDeviceKey();
  signingRaw = await publicRaw(signer.publicKey);
  for (let n = 1; n <= 5; n += 1) await server.append(envelope(n));
});

const heldAt = async (size, epoch = 0) => ({ ...(await server.head(epoch, size)) });

describe("checkView", () => {
  it("takes the first head as it is, and every later one with a consistency proof", async () => {
    const first = await checkView(signingRaw, null, await server.view(signer));
    expect(first).toMatchObject({ head: { size: 5 }, restoredTo: null });
    for (let n = 6; n <= 11; n += 1) await server.append(envelope(n));
    const next = await checkView(signingRaw, first.head, await server.view(signer, { from: 5 }));
    expect(next.head.size).toBe(11);
    expect((await checkView(signingRaw, next.head, await server.view(signer, { from: 11 }))).head.size).toBe(11);
  });

  it("raises log_rewound for a shorter log in the same epoch, or an older epoch", async () => {
    const held = await heldAt(5);
    server.rows.pop(); // the tail cut, the head rewound
    await expect(checkView(signingRaw, held, await server.view(signer))).rejects.toMatchObject({ code: "log_rewound" });
    await expect(checkView(signingRaw, { ...held, epoch: 7 }, await server.view(signer, { epoch: 3 }))).rejects.toMatchObject({ code: "log_rewound" });
  });

  it("raises log_inconsistent for a rewritten leaf, whether the size is the same or grew", async () => {
    const held = await heldAt(5);
    await server.rewrite(2, envelope(99));
    await expect(checkView(signingRaw, held, await server.view(signer, { from: 5 }))).rejects.toMatchObject({ code: "log_inconsistent" });
    await server.append(envelope(6));
    await expect(checkView(signingRaw, held, await server.view(signer, { from: 5 }))).rejects.toBeInstanceOf(LogAlarm);
  });

  it("tells a declared restore from a rewrite, and says what to send again", async () => {
    const held = await heldAt(5);
    server.rows.splice(3); // the dump had 3 rows
    const restored = { epoch: 1_800_000_000_000, previous: 0, size: 3, root: (await server.head()).root, time: 1_800_000_000_000, kid: "test" };
    await server.append(envelope(7)); // and the log went on
    const view = await server.view(signer, { epoch: restored.epoch, from: 3, epochs: [restored] });
    expect(await checkView(signingRaw, held, view)).toMatchObject({ restoredTo: 3, head: { epoch: restored.epoch, size: 4 } });
    const forged = await server.view(signer, { epoch: restored.epoch, from: 3, epochs: [{ ...restored, previous: 5 }] });
    await expect(checkView(signingRaw, held, forged)).rejects.toMatchObject({ code: "log_inconsistent" });
  });

  it("takes an unsigned, wrongly signed or malformed answer as no answer, never an alarm", async () => {
    const held = await heldAt(5);
    const view = await server.view(signer, { from: 5 });
    const other = await publicRaw((await generateDeviceKey()).publicKey);
    for (const [key, bad] of [[other, view], [signingRaw, { ...view, head: { ...view.head, signature: undefined } }],
      [signingRaw, { ...view, consistency: undefined }], [signingRaw, { ...view, consistency_from: 4 }], [signingRaw, {}],
      [signingRaw, { ...view, head: { ...view.head, size: "5" } }]]) {
      await expect(checkView(key, held, bad)).rejects.toBeInstanceOf(LogAnswerError);
    }
  });
});
