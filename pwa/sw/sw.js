// The service worker only wires events; what each does lives beside it.
import { PRECACHE, VERSION } from "./precache.js";
import { install, purgeOldCaches, respond } from "./strategies.js";
import { backgroundSync } from "./background.js";

self.addEventListener("install", (event) => event.waitUntil(install(VERSION, PRECACHE)));
self.addEventListener("activate", (event) => event.waitUntil(purgeOldCaches(VERSION).then(() => self.clients.claim())));
self.addEventListener("fetch", (event) => {
  const response = respond(event.request, VERSION);
  if (response) event.respondWith(response);
});
self.addEventListener("message", (event) => {
  if (event.data?.type === "skip-waiting") self.skipWaiting();
});
self.addEventListener("sync", (event) => {
  if (event.tag === "wildledger-sync") event.waitUntil(backgroundSync());
});
