// The phone's RFC 9162 verification against vectors from two independent implementations
// (transparency-dev/merkle's testdata and pymerkle): tests/vectors/merkle-vectors.json,
// which tests/test_merkle.py holds the server to as well.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { b64d, b64e, utf8 } from "../src/crypto.js";
import { leafHash, nodeHash, verifyConsistency, verifyInclusion } from "../src/merkle.js";

const V = JSON.parse(readFileSync(new URL("../../tests/vectors/merkle-vectors.json", import.meta.url), "utf8"));
const inclusion = [...V.transparency_dev.inclusion, ...V.large_tree.inclusion];
const consistency = [...V.transparency_dev.consistency, ...V.large_tree.consistency];
const fromHex = (text) => Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
const name = (v) => `${v.desc ?? "pymerkle"} ${[v.leafIdx, v.treeSize, v.size1, v.size2].filter((x) => x !== undefined).join("/")}`;

async function rootOf(hashes) {
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return nodeHash(await rootOf(hashes.slice(0, k)), await rootOf(hashes.slice(k)));
}

const checkInclusion = (v, proof = v.proof.map(b64d)) =>
  verifyInclusion(v.leafIdx, v.treeSize, b64d(v.leafHash), proof, b64d(v.root));
const checkConsistency = (v, proof = v.proof.map(b64d)) =>
  verifyConsistency(v.size1, v.size2, b64d(v.root1), b64d(v.root2), proof);

describe("merkle vectors", () => {
  it("hashes the reference leaves to the reference roots of sizes 1–8", async () => {
    const leaves = await Promise.all(V.reference_tree.leaves_hex.map((hex) => leafHash(fromHex(hex))));
    for (let size = 1; size <= 8; size += 1) expect(b64e(await rootOf(leaves.slice(0, size)))).toBe(V.reference_tree.roots[size]);
  });

  it("hashes the large tree's leaves to its root", async () => {
    const leaves = await Promise.all(Array.from({ length: 777 }, (_, i) => leafHash(utf8(`wildledger-merkle-vector-${i}`))));
    expect(b64e(await rootOf(leaves))).toBe(V.large_tree.roots["777"]);
  });

  it.each(inclusion.map((v) => [name(v), v]))("inclusion %s", async (_name, v) => {
    expect(await checkInclusion(v)).toBe(!v.wantErr);
  });

  it.each(consistency.map((v) => [name(v), v]))("consistency %s", async (_name, v) => {
    expect(await checkConsistency(v)).toBe(!v.wantErr);
  });

  it("refuses every proof with one bit flipped", async () => {
    for (const v of [...inclusion, ...consistency].filter((x) => !x.wantErr && x.proof.length)) {
      for (let k = 0; k < v.proof.length; k += 1) {
        const proof = v.proof.map(b64d);
        proof[k] = Uint8Array.from(proof[k], (byte, i) => (i === 0 ? byte ^ 1 : byte));
        expect(await ("leafIdx" in v ? checkInclusion(v, proof) : checkConsistency(v, proof)), name(v)).toBe(false);
      }
    }
  });
});
