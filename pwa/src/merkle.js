// RFC 9162 Merkle tree verification for the phone: leaf and node hashes, inclusion and
// consistency proofs (§2.1.3.2, §2.1.4.2, word for word). The server builds the proofs
// (server/sync/merkle.py); both are held to the same independent vectors
// (tests/vectors/merkle-vectors.json). Leaves count from 0; hashes are Uint8Arrays.
import { concat, sha256 } from "./crypto.js";

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export const leafHash = (data) => sha256(concat(LEAF, data));
export const nodeHash = (left, right) => sha256(concat(NODE, left, right));

export function equalBytes(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}

const isPerfect = (n) => n > 0 && (n & (n - 1)) === 0;

// Sizes and indexes stay below 2^53; shifts by division keep them exact past 2^31.
const half = (n) => Math.floor(n / 2);
const odd = (n) => n % 2 === 1;

/** Does `proof` place the leaf hash `leaf` at `index` in the tree of `size` leaves with this root? */
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) while (fn !== 0 && !odd(fn)) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = await nodeHash(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equalBytes(r, root);
}

/** Is the tree of `next` leaves (nextRoot) an extension of the tree of `old` leaves (oldRoot)? */
export async function verifyConsistency(old, next, oldRoot, nextRoot, proof) {
  if (!Number.isSafeInteger(old) || !Number.isSafeInteger(next) || old < 0 || next < old) return false;
  if (old === next) return proof.length === 0 && equalBytes(oldRoot, nextRoot);
  if (old === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = isPerfect(old) ? [oldRoot, ...proof] : [...proof];
  let fn = old - 1;
  let sn = next - 1;
  while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) while (fn !== 0 && !odd(fn)) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = await nodeHash(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, nextRoot);
}
