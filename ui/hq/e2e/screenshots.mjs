// The console's screenshots in docs/screenshots, taken from the running demo
// chain by `cargo xtask screenshots` (xtask/src/screenshots.rs), which passes:
//   HUB_URL         the demo hub (serving the console)
//   ADMIN_PASSWORD  password of `admin`
//   OUT_DIR         where the PNGs go (docs/screenshots)
//   PROFILE_DIR     a fresh directory for the browser profile
//   CHROMIUM        browser binary (default /usr/bin/chromium; never downloaded)
//
// Waits until the demo's history and live sales are in, then writes
// hq-dashboard.png (with sales arriving live), hq-inventory.png,
// hq-tills.png, hq-members.png, hq-catalog.png, hq-chat.png (Gangnam's
// conversation), hq-drops.png (the demo's limited drop), hq-notices.png (the announcement every store must
// acknowledge, with its stores) and hq-live-map.png (three drivers on the road with their
// tracks and stops, built by logistics.scene.mjs; the demo hub has no tile server, so the
// map has a plain background and nothing is fetched off the machine) at 1440×900, in English,
// in Seoul time (the demo chain's).

import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { launchConsoleBrowser } from "./browser.mjs";
import { seedLiveMap } from "./logistics.scene.mjs";

const env = process.env;
const need = (k) => {
  if (!env[k]) {
    console.error(`screenshots: ${k} is not set`);
    process.exit(2);
  }
  return env[k];
};
const HUB = need("HUB_URL").replace(/\/$/, "");
const PASSWORD = need("ADMIN_PASSWORD");
const OUT = resolve(need("OUT_DIR"));
const PROFILE = resolve(need("PROFILE_DIR"));
const BROWSER = env.CHROMIUM ?? "/usr/bin/chromium";
/** Live sales the dashboard must have seen before its picture. */
const LIVE_SALES = 4;

if (!existsSync(BROWSER)) {
  console.error(`screenshots: ${BROWSER} is missing; run \`cargo xtask setup\``);
  process.exit(2);
}
mkdirSync(OUT, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, check, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

// The demo's sales of today must be in the hub before the browser opens.
const login = await fetch(`${HUB}/api/v1/auth/login`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: "admin", password: PASSWORD }),
});
if (!login.ok) throw new Error(`login: ${login.status} ${await login.text()}`);
const { token } = await login.json();
const getJson = async (path) => {
  const r = await fetch(`${HUB}/api/v1/${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return r.json();
};
const salesToday = async () => (await getJson("dashboard?tz=%2B09:00")).today.sales;
const history = await salesToday();
await until("live sales at the hub", async () => (await salesToday()) >= history + 10, 120_000);
console.log(`screenshots: ${await salesToday()} sales today at the hub`);

const context = await launchConsoleBrowser(BROWSER, PROFILE);
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(20_000);
// The pictures are of the machine's own hub: anything else asked for is a bug (and refused).
const offsite = [];
await context.route(
  (u) => !u.href.startsWith(HUB) && u.protocol !== "data:" && u.protocol !== "blob:",
  (route) => {
    offsite.push(route.request().url());
    return route.abort();
  },
);
const errors = [];
page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && errors.push(m.text()));
page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));

async function shot(name) {
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await sleep(800); // chart animations (250 ms) and late rows
  await page.screenshot({ path: join(OUT, name), fullPage: false });
  console.log(`screenshots: ${join(OUT, name)}`);
}

try {
  await page.goto(HUB);
  await page.evaluate(() => localStorage.setItem("storelink.hq.lang", "en"));
  await page.goto(HUB);
  await page.getByTestId("login-form").waitFor();
  await page.fill('input[name="username"]', "admin");
  await page.fill('input[name="password"]', PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("nav-dashboard").waitFor();
  // Before login the console asks /auth/me and gets its expected 401.
  errors.length = 0;

  // Dashboard: wait for sales to arrive over the WebSocket, then for the
  // refetch that follows them, so the charts and the feed are both live.
  await until(`${LIVE_SALES} live sales on the dashboard`, async () => (await page.getByTestId("feed-item").count()) >= LIVE_SALES, 90_000);
  await sleep(3_500);
  await page.getByTestId("top-products").locator("tbody tr").first().waitFor();
  await shot("hq-dashboard.png");

  await page.getByTestId("nav-inventory").click();
  await page.getByTestId("matrix").locator("tbody tr").first().waitFor();
  await shot("hq-inventory.png");

  await page.getByTestId("nav-tills").click();
  await page.getByTestId("till-GN01-1").waitFor();
  await shot("hq-tills.png");

  await page.getByTestId("nav-members").click();
  await page.getByTestId("members").locator("tbody tr").first().waitFor();
  await shot("hq-members.png");

  await page.goto(`${HUB}/catalog?tab=styles`);
  await page.locator(".variant-grid").first().waitFor();
  await shot("hq-catalog.png");

  await page.goto(`${HUB}/chat?channel=${encodeURIComponent("store:GN01")}`);
  await page.getByTestId("thread").getByTestId("message").nth(1).waitFor();
  await shot("hq-chat.png");

  await page.goto(`${HUB}/notices`);
  await page.getByTestId("announcements").getByText("Winter visual merchandising guide").click();
  await page.getByTestId("announcement-stores").locator("tbody tr").nth(1).waitFor();
  await shot("hq-notices.png");

  // Drops: the demo's collab jacket, with its per-store split and live count.
  await page.getByTestId("nav-drops").click();
  await page.getByTestId("drops").locator("[data-testid^='drop-sku:']").first().click();
  await page.getByTestId("drop-stores").locator("tbody tr").nth(4).waitFor();
  await sleep(1_000);
  await shot("hq-drops.png");

  // Live map: the scene's drivers, their tracks so far and their stops; a few more
  // points arrive over the WebSocket while the page is open.
  const moreLive = await seedLiveMap(HUB, token);
  await page.getByTestId("nav-map").click();
  await page.getByTestId("map-no-tiles").waitFor();
  await until(
    "three drivers on the live map",
    async () => Object.keys((await page.evaluate(() => window.__storelinkLiveMap?.snapshot()?.tracks)) ?? {}).length === 3,
    30_000,
  );
  const before = await page.evaluate(() => window.__storelinkLiveMap.snapshot().tracks["kim.driver"].length);
  await moreLive(3);
  await until(
    "live points on the map",
    async () => (await page.evaluate(() => window.__storelinkLiveMap.snapshot().tracks["kim.driver"].length)) === before + 3,
    15_000,
  );
  await shot("hq-live-map.png");
  if (offsite.length) throw new Error(`the console asked for off-machine URLs: ${offsite.slice(0, 5).join(", ")}`);
} catch (e) {
  await page.screenshot({ path: join(PROFILE, "..", "failure.png"), fullPage: true }).catch(() => undefined);
  console.error(`screenshots: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 1;
} finally {
  await context.close();
}
if (errors.length) {
  console.error(`screenshots: the browser console reported:\n  ${errors.join("\n  ")}`);
  process.exitCode = 1;
}
