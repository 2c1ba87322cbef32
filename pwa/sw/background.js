// Background Sync, where the browser has it: the same sync the page runs.
import { openDatabase } from "../src/db.js";
import { tagOf } from "../src/languages.js";
import { meta } from "../src/store.js";
import { syncOnce } from "../src/sync.js";

export async function backgroundSync() {
  const db = await openDatabase();
  try {
    const tag = tagOf((await meta.get(db, "settings"))?.language);
    await syncOnce(db, { origin: self.location.origin, languageTag: () => tag });
  } finally {
    db.close();
  }
}
