// Boot: open the database, show the first screen, then wire the sync triggers and the
// service worker. Sync never waits for the PIN.
import { keepTypedWork, start, sync } from "./app.js";
import { openDatabase } from "./db.js";
import { t } from "./i18n.js";

const SYNC_EVERY_MS = 5 * 60 * 1000;

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  setInterval(() => registration.update().catch(() => {}), SYNC_EVERY_MS); // offline: try later
  // Updates are offered, never forced: a waiting worker takes over only when the
  // officer chooses to reload, so nothing half-typed is lost.
  let requested = false;
  let waiting = null;
  const bar = document.getElementById("update");
  const render = () => {
    if (!waiting) return;
    bar.replaceChildren(
      Object.assign(document.createElement("span"), { textContent: t("A new version of the app is ready.") }),
      Object.assign(document.createElement("button"), { type: "button", textContent: t("Reload to update"),
        onclick: async () => {
          requested = true;
          await keepTypedWork(); // the form being typed reopens after the reload
          waiting.postMessage({ type: "skip-waiting" });
        } }));
    bar.hidden = false;
  };
  const offer = (worker) => {
    waiting = worker;
    render();
  };
  addEventListener("wl:language", render);
  if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && navigator.serviceWorker.controller) offer(worker);
    });
  });
  // The first worker claims this page without a reload; only an update the officer
  // asked for reloads it.
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (requested) location.reload();
  });
}

const db = await openDatabase();
await start(db);
sync();
addEventListener("online", () => sync());
setInterval(() => sync(), SYNC_EVERY_MS);
registerWorker().catch((error) => console.error("service worker", error));
