// The PIN: unlocking, choosing, changing and forgetting it (vault.js holds the keys).
import { el } from "../forms.js";
import { t, tn } from "../i18n.js";
import { drafts, meta } from "../store.js";
import * as vault from "../vault.js";
import { pinInput, show, state } from "./common.js";
import { openDraft } from "./form.js";
import { home } from "./home.js";
import { settingsScreen } from "./settings.js";
import { syncStatus } from "./status.js";

export function lock() {
  state.dataKey = null;
  unlockScreen();
}

export function newPinScreen(reason, { reset = false } = {}) {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const pin = form.querySelector("#pin").value;
    const fail = (text) => Object.assign(message, { textContent: text, hidden: false });
    if (!vault.validPin(pin)) return fail(t("The PIN must be 6 to 12 digits."));
    if (pin !== form.querySelector("#pin2").value) return fail(t("The two PINs are not the same."));
    state.dataKey = await (reset ? vault.resetPin(state.db, pin) : vault.setPin(state.db, pin));
    home();
  } },
    reason ? el("p", { class: "notice warning" }, reason) : null,
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    el("button", { type: "submit" }, t("Set PIN")), message);
  show(t("Choose a new PIN"), () => newPinScreen(reason, { reset }), form, syncStatus());
}

export async function unlockScreen() {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const progress = el("p", { role: "status", class: "muted" });
  const button = el("button", { type: "submit" }, t("Unlock"));
  const screenLock = (await vault.protection(state.db)) === "screen-lock";
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const pin = form.querySelector("#pin").value;
    if (!vault.validPin(pin)) {
      // A slip of the thumb is not a guess: it must not count towards erasing the drafts.
      message.textContent = t("The PIN must be 6 to 12 digits.");
      message.hidden = false;
      return;
    }
    button.disabled = true;
    progress.textContent = t("Unlocking…");
    try {
      state.dataKey = await vault.unlock(state.db, pin);
      await afterUnlock();
    } catch (error) {
      button.disabled = false;
      progress.textContent = "";
      if (error instanceof vault.ScreenLockRefused) {
        message.textContent = t("The phone's screen lock was not confirmed. This phone's data opens with the PIN and the screen lock together.");
        message.hidden = false;
        return;
      }
      if (error instanceof vault.VaultWiped) {
        return newPinScreen(t("Too many wrong PINs: the drafts on this phone were erased. Submitted records are safe and still sync."));
      }
      if (!(error instanceof vault.WrongPin)) throw error;
      form.querySelector("#pin").value = "";
      message.textContent = tn("Wrong PIN. {n} attempt left before the drafts are erased.",
        "Wrong PIN. {n} attempts left before the drafts are erased.", error.remaining);
      message.hidden = false;
    }
  } }, ...pinInput("pin", t("PIN")),
    screenLock ? el("p", { class: "muted" }, t("After the PIN, the phone asks for its screen lock.")) : null,
    button, progress, message);
  show(t("Unlock Wildledger"), unlockScreen, form,
    el("button", { type: "button", class: "link", onclick: forgotPinScreen }, t("Forgot your PIN?")),
    syncStatus());
}

export function forgotPinScreen() {
  show(t("Forgot your PIN?"), forgotPinScreen,
    el("p", {}, t("You can choose a new PIN on this phone. The drafts and the readable copies of submitted records will be erased; records already submitted still sync.")),
    el("button", { type: "button", class: "danger", onclick: () => newPinScreen(null, { reset: true }) },
      t("Erase drafts and choose a new PIN")),
    el("button", { type: "button", class: "secondary", onclick: unlockScreen }, t("Back")));
}

export function changePinScreen() {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const fail = (text) => Object.assign(message, { textContent: text, hidden: false });
    const [old, pin, again] = ["old-pin", "pin", "pin2"].map((id) => form.querySelector(`#${id}`).value);
    if (!vault.validPin(pin)) return fail(t("The PIN must be 6 to 12 digits."));
    if (pin !== again) return fail(t("The two PINs are not the same."));
    try {
      state.dataKey = await vault.changePin(state.db, old, pin);
    } catch (error) {
      if (error instanceof vault.VaultWiped) return newPinScreen(t("Too many wrong PINs: the drafts on this phone were erased. Submitted records are safe and still sync."));
      if (error instanceof vault.ScreenLockRefused) return fail(t("The phone's screen lock was not confirmed. This phone's data opens with the PIN and the screen lock together."));
      if (!(error instanceof vault.WrongPin)) throw error;
      return fail(tn("Wrong PIN. {n} attempt left before the drafts are erased.", "Wrong PIN. {n} attempts left before the drafts are erased.", error.remaining));
    }
    state.notice = { text: t("The PIN was changed.") };
    settingsScreen();
  } },
    ...pinInput("old-pin", t("Current PIN")),
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    el("button", { type: "submit" }, t("Change the PIN")),
    el("button", { type: "button", class: "secondary", onclick: settingsScreen }, t("Cancel")), message);
  show(t("Change the PIN"), changePinScreen, form);
}

export async function afterUnlock() {
  const resume = await meta.get(state.db, "resume");
  if (resume?.draft) {
    await meta.remove(state.db, "resume");
    if ((await drafts.list(state.db)).some((draft) => draft.id === resume.draft)) return openDraft(resume.draft);
  }
  return home();
}
