// How the console's browser scripts start Debian's Chromium: headless, with
// the flags this machine's closed network needs (no background networking,
// no component updates or sync), a fresh profile, and the console's desktop
// size in Seoul time. Shared by console.e2e.mjs and screenshots.mjs.
import { chromium } from "playwright-core";

/** Chromium flags for a headless run that never reaches for the network. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launch `executablePath` with a persistent profile in `profileDir`. */
export function launchConsoleBrowser(executablePath, profileDir) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    locale: "en-US",
    timezoneId: "Asia/Seoul",
  });
}

/** Poll `fn` until it returns something truthy (its errors are kept for the message). */
export async function until(what, fn, timeoutMs = 20_000, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
}
