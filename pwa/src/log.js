// The phone holds the server to its log (PROTOCOL.md §9): it keeps the newest signed tree
// head it has verified; every answer must carry a head signed by the pinned key and a
// consistency proof from the held head (or from the size a declared restore went back
// to); every receipt with a log index must prove, against that head, the leaf the phone
// recomputes from its own envelope digest. A failed proof is an alarm with its own code
// (history was rewritten); a malformed answer is only a failed sync. The Python device
// simulator does the same (server/demo/log_client.py).
import { b64d, leafInput, logEpochMessage, treeHeadMessage, verify } from "./crypto.js";
import { leafHash, verifyConsistency, verifyInclusion } from "./merkle.js";

export class LogAlarm extends Error {
  constructor(code, detail = "") {
    super(`${code}: ${detail}`);
    this.name = "LogAlarm";
    this.code = code;
  }
}

/** The answer's log part is missing or malformed: no answer, never an alarm. */
export class LogAnswerError extends Error {}

const isCount = (n) => Number.isSafeInteger(n) && n >= 0;

async function signed(signingRaw, message, signature) {
  try {
    return await verify(signingRaw, message, b64d(signature));
  } catch {
    return false;
  }
}

function parseHead(head) {
  if (!head || head.log !== "wildledger" || ![head.epoch, head.size, head.time].every(isCount) || typeof head.root !== "string") {
    throw new LogAnswerError("malformed tree head");
  }
  try {
    return b64d(head.root);
  } catch {
    throw new LogAnswerError("malformed tree head root");
  }
}

/**
 * {head, restoredTo}: the new head if `view` holds the log to `held` (the head kept, or
 * null); restoredTo is the size a declared restore went back to, below the held head's
 * (the phone sends again what it had sent after it), or null.
 */
export async function checkView(signingRaw, held, view) {
  const head = view?.head;
  const root = parseHead(head);
  const epochs = Array.isArray(view.epochs) ? view.epochs : [];
  if (!(await signed(signingRaw, treeHeadMessage(head), head.signature))) throw new LogAnswerError("tree head not signed by the pinned key");
  for (const row of epochs) {
    if (![row?.epoch, row?.previous, row?.size, row?.time].every(isCount) || !(await signed(signingRaw, logEpochMessage(row), row.signature))) {
      throw new LogAnswerError("restore declaration not signed by the pinned key");
    }
  }
  if (!held) return { head, restoredTo: null };
  if (head.epoch < held.epoch || (head.epoch === held.epoch && head.size < held.size)) {
    throw new LogAlarm("log_rewound", `held ${held.epoch}/${held.size}, now ${head.epoch}/${head.size}`);
  }
  let fromSize = held.size;
  let oldRoot = b64d(held.root);
  let restoredTo = null;
  if (head.epoch > held.epoch) {
    const chain = [held.epoch, ...epochs.map((row) => row.epoch)];
    const linked = epochs.length > 0 && epochs.every((row, k) => row.previous === chain[k]) && chain.at(-1) === head.epoch;
    if (!linked) throw new LogAlarm("log_inconsistent", "the restore declarations do not lead from the held epoch");
    const lowest = epochs.reduce((a, b) => (b.size < a.size ? b : a));
    if (lowest.size < held.size) [fromSize, oldRoot, restoredTo] = [lowest.size, b64d(lowest.root), lowest.size];
  }
  if (view.consistency_from !== fromSize || !Array.isArray(view.consistency)) {
    throw new LogAnswerError(`consistency expected from ${fromSize}, got ${view.consistency_from}`);
  }
  let proof;
  try {
    proof = view.consistency.map(b64d);
  } catch {
    throw new LogAnswerError("malformed consistency proof");
  }
  if (!(await verifyConsistency(fromSize, head.size, oldRoot, root, proof))) {
    throw new LogAlarm("log_inconsistent", `${fromSize} → ${head.size}`);
  }
  return { head, restoredTo };
}

/** The leaf hash of a ledger row, from its receipt's fields and our own envelope digest. */
export const rowLeaf = (leaf, envDigest) => leafHash(leafInput(leaf, envDigest));

/** True when the receipt's inclusion proof places our envelope's leaf in `head`; LogAlarm if not. */
export async function checkReceipt(head, receipt, envDigest) {
  const leaf = receipt.leaf;
  if (!leaf || !Array.isArray(receipt.inclusion) || !isCount(leaf.idx) || !isCount(leaf.seq) || !isCount(leaf.received_at_us)) {
    throw new LogAnswerError("a receipt without its leaf or proof");
  }
  if (leaf.idx !== receipt.log_index || leaf.rid !== receipt.rid) throw new LogAlarm("log_inclusion_failed", "the leaf names another row");
  let proof;
  try {
    proof = receipt.inclusion.map(b64d);
  } catch {
    throw new LogAnswerError("malformed inclusion proof");
  }
  if (!(await verifyInclusion(leaf.idx - 1, head.size, await rowLeaf(leaf, envDigest), proof, b64d(head.root)))) {
    throw new LogAlarm("log_inclusion_failed", `row ${leaf.idx}`);
  }
  return true;
}
