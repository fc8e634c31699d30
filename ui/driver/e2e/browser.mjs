// How the driver page's browser scripts start Debian's Chromium: headless,
// with the flags this machine's closed network needs (no background
// networking, no component updates or sync), a fresh profile, and a phone:
// 390×844 CSS pixels at 2× (an iPhone-sized screen), touch, Korean, Seoul
// time, and the geolocation and screen wake lock permissions granted to the
// hub's origin.
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

/** The phone every script emulates. */
export const PHONE = { width: 390, height: 844 };

/** Launch `executablePath` as a phone with a persistent profile in `profileDir`, located at `start`. */
export async function launchPhone(executablePath, profileDir, origin, start) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "ko-KR",
    timezoneId: "Asia/Seoul",
    geolocation: { latitude: start.lat, longitude: start.lon, accuracy: 8 },
  });
  // Phones grant the screen wake lock to a visible page; headless Chromium
  // refuses it unless told, and playwright has no name for it: both
  // permissions go through the DevTools protocol, for this context. The
  // session stays attached: Chromium drops its overrides when it detaches.
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  const { targetInfo } = await cdp.send("Target.getTargetInfo");
  await cdp.send("Browser.grantPermissions", {
    permissions: ["geolocation", "wakeLockScreen"],
    origin,
    browserContextId: targetInfo.browserContextId,
  });
  return context;
}

/** Poll `fn` until it returns something truthy (its errors are kept for the message). */
export async function until(what, fn, timeoutMs = 20_000, everyMs = 200) {
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
