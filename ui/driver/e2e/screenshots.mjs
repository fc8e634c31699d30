// The driver page's picture for docs/screenshots/driver-page.png, taken by
// `cargo xtask screenshots` on the demo chain after the console's: head office
// dispatches a delivery to a driver (e2e/scenario.mjs, over REST), and the
// driver, on a phone-sized Chromium, logs in, starts it, marks the first stop
// with the button and drives towards the second at city speed until the hub's
// ETA shows; then the tracking screen is shot.
//
// Environment: HUB_URL, ADMIN_PASSWORD, CHROMIUM, PROFILE_DIR, OUT_DIR.

import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { launchPhone, until } from "./browser.mjs";
import { adminClient, route, setUpDelivery } from "./scenario.mjs";

const env = process.env;
const HUB = (env.HUB_URL ?? "").replace(/\/$/, "");
const OUT = env.OUT_DIR ?? "";
if (!HUB || !env.ADMIN_PASSWORD || !env.PROFILE_DIR || !OUT) {
  console.error("screenshots.mjs: HUB_URL, ADMIN_PASSWORD, PROFILE_DIR and OUT_DIR must be set (cargo xtask screenshots)");
  process.exit(2);
}
const DRIVER_PASSWORD = "driver-demo-password";
/** One fix a second, ~12 m apart (43 km/h), starting ~1.2 km before the store. */
const STEP_DEG = 0.000135;
const FIXES = 12;

function log(msg) {
  console.log(`[driver screenshots ${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

mkdirSync(OUT, { recursive: true });
const api = await adminClient(HUB, env.ADMIN_PASSWORD);
const delivery = await setUpDelivery(api, { driverPassword: DRIVER_PASSWORD });
const end = route(24).at(-1);
const start = { lat: end.lat + 0.0004, lon: end.lon - 0.0135 };
const context = await launchPhone(env.CHROMIUM ?? "/usr/bin/chromium", env.PROFILE_DIR, HUB, start);
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  const attr = (id, name) => page.getByTestId(id).first().getAttribute(name);
  await page.goto(`${HUB}/driver`);
  await page.getByTestId("login-username").fill(delivery.driver);
  await page.getByTestId("login-password").fill(DRIVER_PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.locator(`[data-testid="shipment-card"][data-shipment="${delivery.shipment}"] [data-testid="start-button"]`).click();
  await page.getByTestId("track-screen").waitFor();
  await page.getByTestId("arrive-button").click();
  await page.getByTestId("confirm-yes").click();
  await until("stop 2 next", async () => (await attr("next-stop", "data-store")) === delivery.second.code);
  log("driving");
  for (let i = 1; i <= FIXES; i++) {
    await context.setGeolocation({ latitude: start.lat, longitude: start.lon + STEP_DEG * i, accuracy: 6 });
    await page.waitForTimeout(1000);
  }
  await until("the hub's ETA", async () => (await attr("next-stop-eta", "data-source")) === "hub", 30_000, 500).catch(() =>
    log("no ETA from the hub yet; the page's own is shown"),
  );
  await until("every position sent", async () => Number(await attr("buffer", "data-count")) === 0);
  await page.screenshot({ path: join(OUT, "driver-page.png") });
  log(`wrote ${join(OUT, "driver-page.png")}`);
} finally {
  await context.close();
}
