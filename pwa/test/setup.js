// Installs indexedDB, IDBKeyRange, IDBDatabase… as globals, as in a browser.
import "fake-indexeddb/auto";
