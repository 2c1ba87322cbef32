// The PIN: unlocking, choosing, changing and forgetting it (vault.js holds the keys).
import { el } from "../forms.js";
import { formatDateTime, t, tn } from "../i18n.js";
import { copies, drafts, reference } from "../store.js";
import * as vault from "../vault.js";
import { back, formTitles, pinInput, show, showCurrent, state } from "./common.js";
import { warmDirectory } from "./directory.js";
import { syncStatus } from "./status.js";

/** Locks the app; the open form is saved first, and comes back after the PIN. */
export async function lock() {
  await state.flush?.();
  history.replaceState({ ...history.state, scroll: window.scrollY }, "");
  state.dataKey = null;
  state.directory = null; // the opened contacts go with the key
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
    showCurrent();
  } },
    reason ? el("p", { class: "notice warning" }, reason) : null,
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    el("button", { type: "submit" }, t("Set PIN")), message);
  show(t("Choose a new PIN"), () => newPinScreen(reason, { reset }), form, syncStatus());
}

// Warn which drafts are at stake once this few wrong PINs are left before they are erased.
const WARN_AT_REMAINING = 3;

/** What a PIN reset would erase, to say before the officer confirms (metadata: no PIN needed). */
async function atRisk() {
  const [draftList, copyList, forms] = await Promise.all([drafts.list(state.db), copies.list(state.db), reference.all(state.db, "forms")]);
  return { drafts: draftList, readable: copyList.filter((copy) => copy.readable).length, titleOf: formTitles(forms) };
}

function atRiskNotice({ drafts: draftList, readable, titleOf }) {
  if (!draftList.length && !readable) return el("p", {}, t("There are no drafts on this phone, and no readable copies to lose."));
  return el("div", { class: "notice warning at-risk" },
    draftList.length ? el("p", {}, tn("This draft will be erased:", "These {n} drafts will be erased:", draftList.length)) : null,
    draftList.length ? el("ul", {}, ...draftList.map((draft) => el("li", {},
      t("{form}, saved {time}", { form: titleOf(draft.form), time: formatDateTime(draft.updated_at) })))) : null,
    readable ? el("p", {}, tn("The readable copy of {n} submitted record will be erased; the record itself stays and syncs.",
      "The readable copies of {n} submitted records will be erased; the records themselves stay and sync.", readable)) : null);
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
      stake.replaceChildren(error.remaining <= WARN_AT_REMAINING ? atRiskNotice(await atRisk()) : "");
    }
  } }, ...pinInput("pin", t("PIN")),
    screenLock ? el("p", { class: "muted" }, t("After the PIN, the phone asks for its screen lock.")) : null,
    button, progress, message);
  const stake = el("div", {});
  show(t("Unlock Wildledger"), unlockScreen, form, stake,
    el("button", { type: "button", class: "link", onclick: forgotPinScreen }, t("Forgot your PIN?")),
    syncStatus());
}

export async function forgotPinScreen() {
  show(t("Forgot your PIN?"), forgotPinScreen,
    el("p", {}, t("You can choose a new PIN on this phone. The drafts and the readable copies of submitted records will be erased; records already submitted still sync.")),
    atRiskNotice(await atRisk()),
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
    back();
  } },
    ...pinInput("old-pin", t("Current PIN")),
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    el("button", { type: "submit" }, t("Change the PIN")),
    el("button", { type: "button", class: "secondary", onclick: () => back() }, t("Cancel")), message);
  show(t("Change the PIN"), changePinScreen, form);
}

/** Back to where the officer was: the screen of the current history entry, or the open form. */
export const afterUnlock = () => {
  warmDirectory(); // contacts opened now, so that the first search is instant
  return showCurrent();
};
