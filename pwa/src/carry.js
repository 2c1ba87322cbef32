// Carried-in sync (PROTOCOL.md §14): a phone that cannot reach the server writes its waiting
// outbox to a file, to be carried to a supervisor on a USB stick or sent through any channel.
// The file holds sealed envelopes only, encrypted to the server: nothing in it can be read on
// the way. Exporting deletes nothing: the records leave the outbox only when the phone's own
// push later gets their receipts (the server answers "duplicate" once the file was taken).
import { b64d, b64e, sha256, utf8 } from "./crypto.js";
import { req, tx } from "./db.js";

export const FORMAT = "wildledger-outbox";
export const VERSION = 1;
export const EXTENSION = ".wlout";

/** The file's bytes as text: head line, one line per envelope in seq order, end line. */
export async function outboxFile(envelopes, { dev, exportedAt, app }) {
  const head = JSON.stringify({ format: FORMAT, v: VERSION, dev, count: envelopes.length, exported_at: exportedAt, app });
  const lines = envelopes.map(({ h, ct, sig }) => JSON.stringify({ h, ct, sig }));
  const end = JSON.stringify({ end: envelopes.length, head_sha256: b64e(await sha256(utf8(head))) });
  return [head, ...lines, end].join("\n") + "\n";
}

/** The device id a sealed envelope names in its header (readable: headers are not encrypted). */
const deviceOf = (envelope) => JSON.parse(new TextDecoder().decode(b64d(envelope.h))).dev;

/**
 * What waits for the server, as a file: the outbox, or after a revocation the stranded
 * envelopes. Null when nothing waits. {text, count, name}.
 */
export async function waitingFile(db, { app, now = Date.now() } = {}) {
  const [outbox, stranded] = await tx(db, ["outbox", "stranded"], "readonly", (s) =>
    Promise.all([req(s.outbox.getAll()), req(s.stranded.getAll())]));
  const entries = (outbox.length ? outbox : stranded).sort((a, b) => a.seq - b.seq);
  if (!entries.length) return null;
  const dev = deviceOf(entries[0].envelope);
  const text = await outboxFile(entries.map((entry) => entry.envelope), { dev, exportedAt: now, app });
  const stamp = new Date(now).toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  return { text, count: entries.length, name: `wildledger-outbox-${dev.slice(0, 8)}-${stamp}${EXTENSION}` };
}

/** Saves `text` as a download (the Downloads folder on Android). */
export function download(text, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
