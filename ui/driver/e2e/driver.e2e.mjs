// Browser end-to-end test of the driver page (issue 5, "Drive"), on a phone-
// sized Chromium against a real hub: head office's side is set up over REST
// (e2e/scenario.mjs); then the driver
//   - is refused with a wrong password, and as a non-driver (admin) account,
//   - switches the language (remembered across a reload) and back,
//   - logs in, sees today's shipment, taps Start,
//   - marks stop 1 as arrived with the button (cancelling the confirmation once),
//   - drives towards stop 2 with emulated positions (`context.setGeolocation`),
//     going offline for part of the route (`context.setOffline`): the page keeps
//     measuring, shows the buffered count, and sends it all when back online,
//   - sees stop 2 arrive by the hub's geofence, and finishes.
// The page must show every position it was given (checked point by point),
// and must end with nothing buffered. What the hub stored (every point, in
// order, no duplicates) and the geofence arrival are checked afterwards by
// tests/tests/driver_page.rs from the file this script writes:
//   $WORK_DIR/route.json = {shipment, driver, first, second, points:[{lat, lon}], offline:[from, to]}
//
// Environment (set by tests/tests/driver_page.rs): HUB_URL, ADMIN_PASSWORD,
// WORK_DIR, SCREENSHOT_DIR, CHROMIUM.

import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";

import { launchPhone, until } from "./browser.mjs";
import { adminClient, route, setUpDelivery } from "./scenario.mjs";

const env = process.env;
const HUB = need("HUB_URL").replace(/\/$/, "");
const ADMIN_PASSWORD = need("ADMIN_PASSWORD");
const WORK = need("WORK_DIR");
const SHOTS = resolve(env.SCREENSHOT_DIR ?? join(WORK, "screenshots"));
const BROWSER = env.CHROMIUM ?? "/usr/bin/chromium";
const DRIVER_PASSWORD = "driver-e2e-password";
/** The route's points; positions OFFLINE[0] ..= OFFLINE[1] are measured while offline. */
const POINTS = route(24);
const OFFLINE = [8, 15];

function need(name) {
  const v = env[name];
  if (!v) {
    console.error(`driver.e2e: ${name} is not set (run through tests/tests/driver_page.rs)`);
    process.exit(2);
  }
  return v;
}

function log(msg) {
  console.log(`[driver.e2e ${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

let step = "start";
async function run(name, fn) {
  step = name;
  log(name);
  return fn();
}

mkdirSync(WORK, { recursive: true });
mkdirSync(SHOTS, { recursive: true });
if (!existsSync(BROWSER)) {
  console.error(`driver.e2e: ${BROWSER} is missing; run \`cargo xtask setup\``);
  process.exit(2);
}

const api = await adminClient(HUB, ADMIN_PASSWORD);
const delivery = await setUpDelivery(api, { driverPassword: DRIVER_PASSWORD });
log(`shipment ${delivery.shipment} for ${delivery.driver}: ${delivery.first.code} then ${delivery.second.code}`);

const context = await launchPhone(BROWSER, join(WORK, "chromium-profile"), HUB, POINTS[0]);
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15_000);
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(`page error: ${e.message}`));

const testid = (id) => page.getByTestId(id);
const attr = (id, name) => testid(id).first().getAttribute(name);
const stopRow = (store) => page.locator(`[data-testid="stop-row"][data-store="${store}"]`);

async function login(username, password) {
  await testid("login-username").fill(username);
  await testid("login-password").fill(password);
  await testid("login-submit").click();
}

/** Move the phone to `p` and wait until the page has taken exactly that fix. */
async function moveTo(p) {
  await context.setGeolocation({ latitude: p.lat, longitude: p.lon, accuracy: 8 });
  await until(
    `the page to take the fix ${p.lat},${p.lon}`,
    async () => Number(await attr("gps-state", "data-lat")) === p.lat && Number(await attr("gps-state", "data-lon")) === p.lon,
    10_000,
    50,
  );
}

const buffered = async () => Number(await attr("buffer", "data-count"));

let failed = null;
try {
  await run("the page is served at /driver, in Korean on a Korean phone", async () => {
    await page.goto(`${HUB}/driver`);
    await testid("login-screen").waitFor();
    if ((await page.locator("html").getAttribute("lang")) !== "ko") throw new Error("expected <html lang=ko>");
    await page.getByText("배송 기사 로그인").waitFor();
  });

  await run("the language switch changes the page and is remembered", async () => {
    await testid("lang-switch").click();
    await page.getByText("Driver login").waitFor();
    await page.reload();
    await page.getByText("Driver login").waitFor();
  });

  await run("a wrong password is refused with a clear message", async () => {
    await login(delivery.driver, "not-the-password");
    await until("the error", async () => (await testid("login-error").textContent())?.includes("Wrong user name or password"));
  });

  await run("a head-office account is told it is not a driver account", async () => {
    await login("admin", ADMIN_PASSWORD);
    await until("the error", async () => (await testid("login-error").textContent())?.includes("not a driver account"));
    // …and is not left logged in.
    const me = await page.evaluate(async () => (await fetch("/api/v1/auth/me")).status);
    if (me !== 401) throw new Error(`the admin session was kept (GET /auth/me → ${me})`);
  });

  await run("back to Korean; the driver logs in and sees today's shipment", async () => {
    await testid("lang-switch").click();
    await page.getByText("배송 기사 로그인").waitFor();
    await login(delivery.driver, DRIVER_PASSWORD);
    await testid("today-screen").waitFor();
    await page.locator(`[data-testid="shipment-card"][data-shipment="${delivery.shipment}"]`).waitFor();
    await page.getByText(delivery.first.name).first().waitFor();
  });

  await run("Start opens tracking with the GPS on", async () => {
    await page.locator(`[data-testid="shipment-card"][data-shipment="${delivery.shipment}"] [data-testid="start-button"]`).click();
    await testid("track-screen").waitFor();
    await until("a GPS fix", async () => (await attr("gps-state", "data-state")) === "ok");
    await until("the first fix at the start of the route", async () => Number(await attr("gps-state", "data-lat")) === POINTS[0].lat);
    const started = await api.get(`/shipments/${delivery.shipment}`);
    if (started.started_ms === null) throw new Error("the hub did not record the start");
    await until("the screen wake lock", async () => (await attr("wake-state", "data-state")) === "on");
  });

  await run("stop 1 is marked arrived with the button (after one cancelled confirmation)", async () => {
    if ((await attr("next-stop", "data-store")) !== delivery.first.code) throw new Error("stop 1 should be next");
    await testid("arrive-button").click();
    await testid("confirm-no").click();
    await page.waitForTimeout(300);
    if ((await stopRow(delivery.first.code).getAttribute("data-status")) !== "dispatched") {
      throw new Error("cancelling the confirmation must not mark the stop");
    }
    await testid("arrive-button").click();
    await testid("confirm-yes").click();
    await until("stop 1 arrived", async () => (await stopRow(delivery.first.code).getAttribute("data-status")) === "arrived");
    await until("stop 2 next", async () => (await attr("next-stop", "data-store")) === delivery.second.code);
  });

  for (let i = 1; i < POINTS.length; i++) {
    if (i === OFFLINE[0]) {
      await run(`offline from point ${i}`, async () => {
        await until("nothing buffered before going offline", async () => (await buffered()) === 0);
        await context.setOffline(true);
        await until("the page to say offline", async () => (await attr("net-state", "data-state")) === "offline");
      });
    }
    await moveTo(POINTS[i]);
    if (i >= OFFLINE[0] && i <= OFFLINE[1]) {
      const want = i - OFFLINE[0] + 1;
      await until(`${want} positions buffered`, async () => (await buffered()) === want, 5_000, 50);
      if (i === OFFLINE[0] + 3) {
        // Offline, the distance and ETA come from the phone itself.
        await until("the phone's own ETA", async () => (await attr("next-stop-eta", "data-source")) === "phone");
        await page.screenshot({ path: join(SHOTS, "driver-offline.png") });
      }
    } else {
      await page.waitForTimeout(150);
    }
    if (i === OFFLINE[1]) {
      await run(`online after point ${i}: the buffer is sent`, async () => {
        await context.setOffline(false);
        await until("the page to say online", async () => (await attr("net-state", "data-state")) !== "offline");
        await until("every buffered position sent", async () => (await buffered()) === 0, 20_000);
      });
    }
    if (i === OFFLINE[1] + 3) await page.screenshot({ path: join(SHOTS, "driver-tracking.png") });
  }

  await run("the hub's geofence marks stop 2 arrived, and the page shows it", async () => {
    await until("nothing buffered", async () => (await buffered()) === 0, 20_000);
    await until(
      "stop 2 arrived on the page",
      async () => (await stopRow(delivery.second.code).getAttribute("data-status")) === "arrived",
      45_000,
      500,
    );
    await testid("all-done").waitFor();
    await page.screenshot({ path: join(SHOTS, "driver-done.png") });
  });

  await run("Finish goes back to the list", async () => {
    await testid("finish-button").first().click();
    await testid("today-screen").waitFor();
  });

  if (pageErrors.length > 0) throw new Error(`errors in the page: ${pageErrors.join(" | ")}`);
  writeFileSync(
    join(WORK, "route.json"),
    JSON.stringify(
      {
        shipment: delivery.shipment,
        driver: delivery.driver,
        first: delivery.first,
        second: delivery.second,
        points: POINTS,
        offline: OFFLINE,
      },
      null,
      2,
    ),
  );
} catch (e) {
  failed = e;
  console.error(`driver.e2e: FAILED at step "${step}": ${e.stack ?? e}`);
  await page.screenshot({ path: join(SHOTS, "failure.png") }).catch(() => undefined);
  writeFileSync(join(WORK, "failure.html"), await page.content().catch(() => ""));
}
await context.close();
if (failed) process.exit(1);
log("passed");
