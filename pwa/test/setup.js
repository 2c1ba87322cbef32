// Installs indexedDB, IDBKeyRange, IDBDatabase… as globals, as in a browser.
import "fake-indexeddb/auto";
import { readFile } from "node:fs/promises";

// Vite's `?url` imports name files as the dev server would serve them (/node_modules/…);
// Node's fetch cannot get those, so WebAssembly the app fetches comes from the disk.
const networkFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  if (typeof url === "string" && url.startsWith("/") && url.endsWith(".wasm")) {
    return new Response(await readFile(new URL(`..${url}`, import.meta.url)), { headers: { "Content-Type": "application/wasm" } });
  }
  return networkFetch(url, init);
};
