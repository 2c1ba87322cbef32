// Filled in by scripts/build-sw.mjs from the files of the build: every file the app
// needs to start offline, and a version that changes whenever one of them does.
export const PRECACHE = typeof __PRECACHE__ === "undefined" ? [] : __PRECACHE__;
export const VERSION = typeof __SHELL_VERSION__ === "undefined" ? "dev" : __SHELL_VERSION__;
