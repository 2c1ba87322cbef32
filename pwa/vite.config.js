import { readFileSync } from "node:fs";
import { defineConfig } from "vite";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url)));

// @hpke/common ships /* @__PURE__ */ comments where Rollup cannot use them; harmless.
export const quiet = (warning, warn) => warning.code !== "INVALID_ANNOTATION" && warn(warning);

export default defineConfig({
  define: { __APP_VERSION__: JSON.stringify(version) },
  build: {
    outDir: "dist", emptyOutDir: true, target: "es2022", manifest: true, assetsInlineLimit: 0,
    rollupOptions: { onwarn: quiet },
  },
});
