// The app: the first screen, and what moves it from one screen to another without the
// officer (a revocation, the lock after the app was hidden). Each screen lives in screens/;
// state lives in IndexedDB (store.js) except the unlocked data key, which is only ever in
// memory (screens/common.js).
import { Unreachable } from "./api.js";
import { preferredLanguage, setLanguage } from "./i18n.js";
import { meta } from "./store.js";
import { COLLECTIONS, events } from "./sync.js";
import * as vault from "./vault.js";
import { refreshLive, serverCatalog, state, sync } from "./screens/common.js";
import { enrollScreen, notEnrolledScreen, revokedScreen } from "./screens/enroll.js";
import { keepFormForUpdate } from "./screens/form.js";
import { home } from "./screens/home.js";
import { lock, newPinScreen, unlockScreen } from "./screens/pin.js";

const LOCK_AFTER_HIDDEN_MS = 5 * 60 * 1000;

export async function start(db) {
  state.db = db;
  const settings = (await meta.get(db, "settings")) ?? {};
  const code = settings.language ?? preferredLanguage();
  await setLanguage(code, await serverCatalog(code));
  events.addEventListener("revoked", () => revokedScreen());
  events.addEventListener("change", () => refreshLive());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") state.hiddenAt = Date.now();
    else if (state.dataKey && state.hiddenAt && Date.now() - state.hiddenAt > LOCK_AFTER_HIDDEN_MS) lock();
  });
  return route();
}

async function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const device = await meta.get(state.db, "device");
  if (!device && location.pathname.endsWith("/enroll") && params.get("t")) return enrollScreen(Object.fromEntries(params));
  if (!device) return (await meta.get(state.db, "revoked")) ? revokedScreen() : notEnrolledScreen();
  if (location.hash) history.replaceState(null, "", "/");
  if (!(await vault.isSet(state.db))) return newPinScreen();
  return state.dataKey ? home() : unlockScreen();
}

export { COLLECTIONS, Unreachable, keepFormForUpdate, sync };
