// One piece of work of a kind at a time: a Web Lock across tabs and the service worker
// where the browser has them, and a promise chain within this realm in any case.
const chains = new Map();

export function exclusive(name, work) {
  const locks = globalThis.navigator?.locks;
  const run = () => (locks ? locks.request(name, work) : work());
  const result = (chains.get(name) ?? Promise.resolve()).then(run, run);
  chains.set(name, result.catch(() => {}));
  return result;
}
