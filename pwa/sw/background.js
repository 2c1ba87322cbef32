// Background Sync, where the browser has it: the same sync the page runs.
import { openDatabase } from "../src/db.js";
import { meta } from "../src/store.js";
import { syncOnce } from "../src/sync.js";

const TAGS = { zh_Hans: "zh-Hans" };

export async function backgroundSync() {
  const db = await openDatabase();
  try {
    const language = (await meta.get(db, "settings"))?.language ?? "en";
    await syncOnce(db, { origin: self.location.origin, languageTag: () => TAGS[language] ?? language });
  } finally {
    db.close();
  }
}
