// Before the phone is enrolled, enrolling it, and after it was revoked.
import * as crypto from "../crypto.js";
import { ApiError, enroll } from "../api.js";
import { el } from "../forms.js";
import { languageTag, t, tn } from "../i18n.js";
import { meta, stranded } from "../store.js";
import * as vault from "../vault.js";
import { BRAND, go, pinInput, show, state, sync } from "./common.js";
import { exportWaitingSection } from "./carry.js";
import { askPersistence } from "./status.js";

export function notEnrolledScreen() {
  show(BRAND, notEnrolledScreen,
    el("p", {}, t("This phone is not enrolled yet.")),
    el("p", {}, t("Scan the enrollment QR code your supervisor shows you with the phone's camera.")));
}

export async function revokedScreen() {
  state.dataKey = null;
  const kept = await stranded.count(state.db);
  show(t("This phone was revoked"), revokedScreen,
    el("p", {}, kept ? t("Your supervisor revoked this phone. Everything the app kept on it has been erased, except the sealed records below.")
      : t("Your supervisor revoked this phone. Everything the app kept on it has been erased.")),
    kept ? el("p", { class: "notice warning", role: "alert" },
      tn("{n} sealed record never reached the server. It is encrypted and reveals nothing. Give this phone to your supervisor so that it can be carried in.",
        "{n} sealed records never reached the server. They are encrypted and reveal nothing. Give this phone to your supervisor so that they can be carried in.", kept)) : null,
    ...exportWaitingSection(kept),
    el("p", {}, t("To use Wildledger again, ask your supervisor for a new enrollment QR code.")));
}

// What a whole enrollment link holds (server/devices/service.enrollment_url): a token and two
// key fingerprints (base64url SHA-256). A QR code scanned half-way or a link cut in a chat
// message fails here, before a PIN is chosen for nothing.
const TOKEN = /^[A-Za-z0-9_-]{16,}$/;
const FINGERPRINT = /^[A-Za-z0-9_-]{43}$/;
export const completeEnrollmentLink = (params) =>
  TOKEN.test(params.t ?? "") && FINGERPRINT.test(params.ik ?? "") && FINGERPRINT.test(params.sk ?? "");
// What the server says of a token it cannot use, said in the officer's language.
const LINK_UNUSABLE = new Set(["enroll_token_unknown", "enroll_token_expired", "invalid_request"]);
const linkUnusable = () => t("This QR code is incomplete or has expired; ask your supervisor for a new one.");

export function damagedLinkScreen() {
  show(t("Enroll this phone"), damagedLinkScreen, el("p", { class: "error", role: "alert" }, linkUnusable()));
}

export function enrollScreen(params) {
  const message = el("p", { class: "error", role: "alert", hidden: true });
  const progress = el("p", { role: "status" });
  const button = el("button", { type: "submit" }, t("Enroll this phone"));
  const form = el("form", { novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    message.hidden = true;
    const pin = form.querySelector("#pin").value;
    if (!vault.validPin(pin)) return fail(t("The PIN must be 6 to 12 digits."));
    if (pin !== form.querySelector("#pin2").value) return fail(t("The two PINs are not the same."));
    button.disabled = true;
    try {
      progress.textContent = t("Enrolling…");
      const deviceKey = await crypto.generateDeviceKey();
      const answer = await enroll(location.origin, params, deviceKey, languageTag());
      await meta.put(state.db, "deviceKey", deviceKey);
      await meta.put(state.db, "serverKeys", { signing: answer.signing_key, intake: answer.intake_keys.map((k, i) => ({ ...k, current: i === 0 })) });
      await meta.put(state.db, "clock", { offset_ms: answer.server_time - Date.now() });
      await meta.put(state.db, "device", { id: answer.device_id, agency: answer.agency, officer_name: answer.officer_name, enrolled_at: Date.now() });
      await meta.put(state.db, "revoked", null);
      progress.textContent = t("Setting the PIN…");
      state.dataKey = await vault.setPin(state.db, pin);
      await askPersistence();
      progress.textContent = t("Downloading forms and reference data…");
      history.replaceState(null, "", "/");
      const result = await sync({ pullAll: true });
      state.notice = result?.state === "ok"
        ? { text: t("This phone is enrolled and ready.") }
        : { text: t("This phone is enrolled. Forms will download at the next sync."), kind: "warning" };
      go("home", {}, { replace: true });
    } catch (error) {
      button.disabled = false;
      progress.textContent = "";
      if (error instanceof ApiError && error.code === "server_key_mismatch") {
        fail(t("The server's keys do not match the QR code. Do not enroll on this network; tell your supervisor."));
      } else if (error instanceof ApiError && LINK_UNUSABLE.has(error.code)) {
        fail(linkUnusable());
      } else if (error instanceof ApiError) {
        fail(error.problem.message || error.code);
      } else {
        fail(t("Cannot reach the server. Check the connection and try again."));
      }
    }
  } },
    el("p", {}, t("Choose a PIN of at least 6 digits. You will need it to open the app.")),
    ...pinInput("pin", t("New PIN"), "new-password"),
    ...pinInput("pin2", t("New PIN again"), "new-password"),
    button, progress, message);
  const fail = (text) => {
    message.textContent = text;
    message.hidden = false;
  };
  show(t("Enroll this phone"), () => enrollScreen(params), form);
}
