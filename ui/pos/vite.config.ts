// Vite build of the POS till screens. `npm run build` writes dist/, which the
// Tauri 2 desktop app (pos-agent/desktop, frontendDist ../../ui/pos/dist)
// embeds. Relative asset paths so the bundle works from the tauri:// origin.
// `npm run dev` runs the screens in a browser against the dev-only mock
// backend (src/api/mock.ts) when Tauri is absent.
import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

export default defineConfig({
  base: "./",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    target: "es2021",
  },
  server: { port: 5174, strictPort: false },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
