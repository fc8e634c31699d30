// Vite build of the HQ console. `npm run build` writes dist/, which the hub
// embeds (hub-server/src/console.rs). `npm run dev` serves the console with
// hot reload and proxies the API and the event WebSocket to a running hub
// (HUB=http://127.0.0.1:8080 by default).
import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

const hub = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.HUB ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "/api": { target: hub, ws: true, changeOrigin: false },
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
