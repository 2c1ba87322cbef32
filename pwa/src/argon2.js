// Argon2id of the PIN (RFC 9106), in WebAssembly: its own module so that crypto.js stays
// importable by plain Node (scripts/interop.mjs), which cannot load a ?url import.
import setupArgon2 from "argon2id/lib/setup.js";
import argon2Plain from "argon2id/dist/no-simd.wasm?url";
import argon2Simd from "argon2id/dist/simd.wasm?url";
import { utf8 } from "./crypto.js";

/**
 * Argon2id (RFC 9106) for the PIN of a new vault: 64 MiB per guess, so that a GPU gains little
 * over a CPU, and as many passes as an unlock on a cheap phone affords (bench/pwa.py measures
 * both the unlock and the guessing rate; the README says what a 6-digit PIN resists).
 */
export const ARGON2 = Object.freeze({ name: "argon2id", m: 65_536, t: 3, p: 1 });

async function instantiate(url, imports) {
  return WebAssembly.instantiate(await (await fetch(url)).arrayBuffer(), imports);
}

/**
 * Argon2id of the PIN: 32 bytes. A fresh WebAssembly instance each time (4 kB of code),
 * so that its 64 MiB are garbage once the unlock is done. On the main thread on purpose: an
 * unlock is rare, and the bench's CPU throttling then measures it as a slow phone runs it.
 */
export async function argon2id(pin, salt, { m, t, p }) {
  const started = performance.now();
  const hash = await setupArgon2((imports) => instantiate(argon2Simd, imports), (imports) => instantiate(argon2Plain, imports));
  const derived = hash({ password: utf8(pin), salt, parallelism: p, passes: t, memorySize: m, tagLength: 32 });
  performance.measure("wildledger:kdf", { start: started }); // bench/pwa.py reports it beside the unlock
  return derived;
}
