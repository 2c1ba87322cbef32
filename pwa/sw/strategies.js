// Caching: the app shell is precached per version (cache first, so the app starts with
// no network at all); the API is never cached (sealed records and signed answers go
// straight to the network and IndexedDB).
const PREFIX = "wildledger-shell-";
const cacheName = (version) => PREFIX + version;

export async function install(version, files) {
  const cache = await caches.open(cacheName(version));
  // Hashed assets are immutable: the copy the page just loaded is the right one, so a
  // first visit over a slow link does not download the app twice. Anything else is
  // fetched fresh, so a new version never caches an old index.html.
  const hashed = (file) => file.startsWith("/assets/");
  await cache.addAll(files.map((file) => new Request(file, { cache: hashed(file) ? "default" : "reload" })));
}

export async function purgeOldCaches(version) {
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && name !== cacheName(version)) await caches.delete(name);
  }
}

/** A response promise for requests we answer, or null to let the browser fetch. */
export function respond(request, version) {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return null;
  if (request.mode === "navigate") return shell(version, request);
  return cacheFirst(version, request);
}

// Every page of the app is the same shell; the path only picks the screen.
async function shell(version, request) {
  const cached = await caches.match("/index.html", { cacheName: cacheName(version) });
  return cached ?? fetch(request);
}

async function cacheFirst(version, request) {
  const cached = await caches.match(request, { cacheName: cacheName(version), ignoreSearch: true });
  return cached ?? fetch(request);
}
