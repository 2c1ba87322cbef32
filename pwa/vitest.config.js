import { defineConfig } from "vitest/config";

// Node, not jsdom: the modules under test only need WebCrypto (Node 20 has it) and
// IndexedDB, which fake-indexeddb provides through the setup file.
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.test.js"],
    setupFiles: ["test/setup.js"],
  },
});
