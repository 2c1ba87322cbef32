// "Export waiting records": the outbox as a file a supervisor carries in (carry.js).
import { download, waitingFile } from "../carry.js";
import { el } from "../forms.js";
import { t, tn } from "../i18n.js";
import { APP_VERSION } from "../sync.js";
import { state } from "./common.js";

/** The button and what it is for, or nothing when no record waits. */
export function exportWaitingSection(count) {
  if (!count) return [];
  const result = el("p", { class: "muted export-result", role: "status" });
  const save = async () => {
    const file = await waitingFile(state.db, { app: APP_VERSION });
    if (!file) {
      result.textContent = t("Nothing waits: every record has reached the server.");
      return;
    }
    download(file.text, file.name);
    result.textContent = tn("Saved {name} with {n} sealed record.", "Saved {name} with {n} sealed records.", file.count, { name: file.name });
  };
  return [
    el("p", {}, t("No network for a long time? Save the waiting records to a file and give it to your supervisor, on a USB stick or through any channel: it holds sealed records only, which nobody but the server can open. The records stay on this phone until it syncs.")),
    el("button", { type: "button", class: "secondary export-waiting", onclick: save },
      tn("Export {n} waiting record to a file", "Export {n} waiting records to a file", count)),
    result,
  ];
}
