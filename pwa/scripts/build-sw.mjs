// Builds dist/sw.js after the app: the precache list is every file of the build (but
// the worker itself and Vite's manifest), and the shell version is a hash of their
// contents, so any change to the app yields a new worker, which the app offers.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "vite";
import { quiet } from "../vite.config.js";

const dist = new URL("../dist/", import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url)));

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(dist)
  .map((path) => "/" + relative(dist, path))
  .filter((file) => file !== "/sw.js" && !file.startsWith("/.vite/"))
  .sort();
const hash = createHash("sha256");
for (const file of files) hash.update(file).update(readFileSync(join(dist, file)));
const shellVersion = `${version}-${hash.digest("hex").slice(0, 12)}`;

await build({
  configFile: false,
  logLevel: "warn",
  define: {
    __PRECACHE__: JSON.stringify(files.map((file) => (file === "/index.html" ? "/index.html" : file))),
    __SHELL_VERSION__: JSON.stringify(shellVersion),
    __APP_VERSION__: JSON.stringify(version),
  },
  build: {
    outDir: dist, emptyOutDir: false, target: "es2022", minify: true, copyPublicDir: false, rollupOptions: { onwarn: quiet },
    lib: { entry: new URL("../sw/sw.js", import.meta.url).pathname, formats: ["iife"], name: "wildledgerWorker", fileName: () => "sw.js" },
  },
});
console.log(`sw.js: ${files.length} files precached, shell ${shellVersion}`);
