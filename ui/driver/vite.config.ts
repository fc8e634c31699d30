// Vite build of the driver page. `npm run build` writes dist/, which the hub
// embeds and serves at /driver (hub-server/src/driver_page.rs), so every asset
// URL starts with /driver/. `npm run dev` serves the page with hot reload and
// proxies the API to a running hub (HUB=http://127.0.0.1:8080 by default).
// The generated API types are the console's (ui/hq/src/api/types, written by
// ts-rs from the Rust types): imported through src/api/types.ts, never copied.
import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

const hub = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.HUB ?? "http://127.0.0.1:8080";

export default defineConfig({
  base: "/driver/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": { target: hub, changeOrigin: false },
    },
  },
  test: {
    include: ["tests/**/*.test.ts"],
    environment: "node",
  },
});
