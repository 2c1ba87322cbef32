// The app: the first screen, the screens by name (each lives in screens/), and what moves
// the app without the officer: a revocation, the back gesture, the lock after the app was
// hidden. State lives in IndexedDB (store.js) except the unlocked data key, which is only
// ever in memory (screens/common.js).
import { Unreachable } from "./api.js";
import { preferredLanguage, setLanguage } from "./i18n.js";
import { meta } from "./store.js";
import { COLLECTIONS, events } from "./sync.js";
import * as vault from "./vault.js";
import { refreshLive, registerScreens, serverCatalog, showCurrent, state, sync } from "./screens/common.js";
import { completeEnrollmentLink, damagedLinkScreen, enrollScreen, notEnrolledScreen, revokedScreen } from "./screens/enroll.js";
import { formScreen, reviewScreen } from "./screens/form.js";
import { contactScreen, directoryScreen, phrasebookScreen } from "./screens/directory.js";
import { home } from "./screens/home.js";
import { changePinScreen, lock, newPinScreen, unlockScreen } from "./screens/pin.js";
import { recordScreen, recordsScreen } from "./screens/records.js";
import { settingsScreen } from "./screens/settings.js";

const LOCK_AFTER_HIDDEN_MS = 5 * 60 * 1000;

registerScreens({ home, records: recordsScreen, record: recordScreen, settings: settingsScreen, "change-pin": changePinScreen,
  form: formScreen, review: reviewScreen, unlock: unlockScreen, directory: directoryScreen, contact: contactScreen, phrasebook: phrasebookScreen });

export async function start(db) {
  state.db = db;
  const settings = (await meta.get(db, "settings")) ?? {};
  const code = settings.language ?? preferredLanguage();
  await setLanguage(code, await serverCatalog(code));
  events.addEventListener("revoked", () => revokedScreen());
  events.addEventListener("change", () => refreshLive());
  addEventListener("popstate", () => {
    if (state.dataKey) showCurrent();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      state.hiddenAt = Date.now();
      state.flush?.(); // Android may kill a hidden tab without another word
    } else if (state.dataKey && state.hiddenAt && Date.now() - state.hiddenAt > LOCK_AFTER_HIDDEN_MS) {
      lock();
    }
  });
  addEventListener("pagehide", () => state.flush?.());
  for (const change of ["online", "offline"]) addEventListener(change, () => refreshLive()); // the connection line
  document.addEventListener("freeze", () => state.flush?.()); // Chrome on Android freezes hidden tabs
  return route();
}

async function route() {
  const params = new URLSearchParams(location.hash.slice(1));
  const device = await meta.get(state.db, "device");
  if (!device && location.pathname.endsWith("/enroll")) {
    const link = Object.fromEntries(params);
    return completeEnrollmentLink(link) ? enrollScreen(link) : damagedLinkScreen();
  }
  if (!device) return (await meta.get(state.db, "revoked")) ? revokedScreen() : notEnrolledScreen();
  if (location.hash || location.pathname !== "/") history.replaceState(history.state, "", "/");
  if (!(await vault.isSet(state.db))) return newPinScreen();
  return unlockScreen();
}

/** Before an update's reload: the open form saved now; it reopens after the PIN. */
export const keepTypedWork = () => state.flush?.();

export { COLLECTIONS, Unreachable, sync };
