// Browser end-to-end test of the console's logistics pages (issue 5) against
// a real hub and a real headless till:
//   - HQ sets the store's position and geofence on the Stores page;
//   - the till asks for stock (`pos-agent request-stock`), the order reaches
//     the Replenishment page live; HQ approves it with a changed quantity;
//   - HQ builds a shipment from it on the Shipments page, picks it and
//     dispatches it to a driver account with a vehicle;
//   - on the Live map, positions the driver posts over HTTP
//     (`POST /api/v1/driver/positions`, as the driver) appear live as a marker
//     and a track holding every point in time order — a resend adds nothing,
//     a late point goes into its place — and the stop turns arrived when the
//     driver enters the geofence (also on the Shipments page, "by geofence");
//   - the till receives the delivery with a shortage and a damaged unit, and
//     the Shipments page and the Discrepancies tab show them highlighted.
//
// Started by tests/tests/hq_logistics.rs with the environment of the other
// console scripts: HUB_URL, ADMIN_PASSWORD, POS_AGENT, WORK_DIR,
// SCREENSHOT_DIR, CHROMIUM. Drives Debian's Chromium through playwright-core,
// headless, with a fresh profile and no background networking; the hub has
// no tile server, so the map draws on a plain background (no network).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { launchConsoleBrowser, scriptTools, tillCli, until } from "./browser.mjs";

const env = process.env;
const { need, log } = scriptTools("logistics.e2e", "tests/tests/hq_logistics.rs");
const HUB = need("HUB_URL").replace(/\/$/, "");
const PASSWORD = need("ADMIN_PASSWORD");
const POS = need("POS_AGENT");
const WORK = need("WORK_DIR");
const SHOTS = resolve(env.SCREENSHOT_DIR ?? join(WORK, "screenshots"));
const BROWSER = env.CHROMIUM ?? "/usr/bin/chromium";
const TILL_DIR = join(WORK, "till");
const pos = tillCli(POS, TILL_DIR);

const STORE = "LG01";
const WAREHOUSE = "LW01";
const SKU = "E2E-TEE-M";
const SKU2 = "E2E-CAP";
/** The store's position (Seoul, Seongsu) and the geofence radius set in the console. */
const STORE_AT = [37.5446, 127.0557];
const GEOFENCE_M = 120;
const DRIVER = "e2e.driver";
const DRIVER_PASSWORD = "driver-pass-2024";
const VEHICLE = "12가 3456";
/** Points of the drive: every 5 s, ~10 m/s, from 1.4 km south-west to inside the geofence. */
const POINTS = 26;
const STEP_MS = 5_000;

function posOk(args) {
  const r = pos(args);
  if (r.code !== 0) throw new Error(`pos-agent ${args.join(" ")} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

let step = "start";
async function run(name, fn) {
  step = name;
  log(name);
  return fn();
}

async function login(username, password) {
  const r = await fetch(`${HUB}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!r.ok) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
  return (await r.json()).token;
}

async function rest(token, method, path, body) {
  const r = await fetch(`${HUB}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * The drive: a straight line towards the store (1.43 km), ~50 m per point, stopping
 * ~280 m short of it; then two points inside the 120 m geofence (80 m and 14 m away).
 */
function drive(startMs) {
  const from = [STORE_AT[0] - 0.009, STORE_AT[1] - 0.0115];
  const points = [];
  for (let i = 0; i < POINTS; i++) {
    const f = i < POINTS - 2 ? i * 0.035 : i === POINTS - 2 ? 0.945 : 0.99;
    points.push({
      ts_ms: startMs + i * STEP_MS,
      lat: Number((from[0] + (STORE_AT[0] - from[0]) * f).toFixed(7)),
      lon: Number((from[1] + (STORE_AT[1] - from[1]) * f).toFixed(7)),
      accuracy_m: 6,
      speed_mps: 11,
      heading_deg: 45,
      altitude_m: null,
      battery_pct: 80,
    });
  }
  return points;
}

mkdirSync(WORK, { recursive: true });
mkdirSync(SHOTS, { recursive: true });
if (!existsSync(BROWSER)) {
  console.error(`logistics.e2e: ${BROWSER} is missing; run \`cargo xtask setup\``);
  process.exit(2);
}

const context = await launchConsoleBrowser(BROWSER, join(WORK, "chromium-profile"));
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15_000);
const consoleErrors = [];
page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
// Nothing may leave the machine: the map has no tile server, and any other request is a bug.
const offsite = [];
await context.route(
  (url) => !url.href.startsWith(HUB) && !url.protocol.startsWith("data") && !url.protocol.startsWith("blob"),
  (route) => {
    offsite.push(route.request().url());
    return route.abort();
  },
);

const tid = (id) => page.getByTestId(id);
const snapshot = () => page.evaluate(() => window.__storelinkLiveMap?.snapshot() ?? null);
const same = (a, b) => a.length === b.length && a.every((p, i) => p[0] === b[i][0] && p[1] === b[i][1]);

let till = null;
let failed = null;
try {
  const admin = await run("set up a warehouse, the store, two products with warehouse stock and a driver account (REST)", async () => {
    const token = await login("admin", PASSWORD);
    await rest(token, "POST", "/stores", { code: WAREHOUSE, name: "E2E warehouse", kind: "warehouse", currency: "KRW" });
    await rest(token, "POST", "/stores", { code: STORE, name: "E2E Seongsu", kind: "store", currency: "KRW" });
    for (const [sku, name, price] of [
      [SKU, "E2E basic tee M", 19900],
      [SKU2, "E2E cap", 25000],
    ]) {
      await rest(token, "POST", "/products", { sku, name, price, category: "e2e" });
      await rest(token, "POST", "/stock/adjustments", { location: WAREHOUSE, sku, delta: 100, reason: "receipt" });
    }
    await rest(token, "POST", "/users", { username: DRIVER, display_name: "Kim Driver", role: "driver", password: DRIVER_PASSWORD });
    return token;
  });

  await run("log in to the console", async () => {
    await page.goto(HUB);
    await page.evaluate(() => localStorage.setItem("storelink.hq.lang", "en"));
    await page.goto(HUB);
    await tid("login-form").waitFor();
    await page.fill('input[name="username"]', "admin");
    await page.fill('input[name="password"]', PASSWORD);
    await tid("login-submit").click();
    await tid("nav-dashboard").waitFor();
    await until("the live indicator to show live", async () => (await tid("live-indicator").getAttribute("data-state")) === "live");
  });

  await run(`set ${STORE}'s position and a ${GEOFENCE_M} m geofence on the Stores page`, async () => {
    await tid("nav-stores").click();
    await tid(`locate-${STORE}`).click();
    const form = tid("location-form");
    await form.locator('input[name="lat"]').fill("91");
    await form.locator('input[name="lon"]').fill(String(STORE_AT[1]));
    await tid("location-submit").click();
    await form.getByTestId("error").waitFor(); // refused in the form, nothing sent
    await form.locator('input[name="lat"]').fill(String(STORE_AT[0]));
    await form.locator('input[name="geofence_m"]').fill(String(GEOFENCE_M));
    await tid("location-submit").click();
    await form.waitFor({ state: "detached" });
    const loc = await rest(admin, "GET", `/stores/${STORE}/location`);
    if (loc.lat !== STORE_AT[0] || loc.lon !== STORE_AT[1] || loc.geofence_m !== GEOFENCE_M) throw new Error(`the hub has ${JSON.stringify(loc)}`);
  });

  await run(`enrol a headless till at ${STORE}, keep it running, and ask for stock there`, async () => {
    const code = await rest(admin, "POST", `/stores/${STORE}/enrolment-codes`, {});
    posOk(["enrol", "--hub", HUB, "--code", code.code]);
    till = spawn(POS, ["--data-dir", TILL_DIR, "run"], { stdio: ["ignore", "ignore", "pipe"], env: { ...env, RUST_LOG: "warn" } });
    till.stderr.on("data", (d) => process.stderr.write(`[pos-agent run] ${d}`));
    await tid("nav-replenishment").click();
    await tid("page-replenishment").waitFor();
    await until("the empty order list", async () => (await tid("orders").locator("tbody tr").count()) === 1);
    // The till asks once it knows the products (its first sync brings the catalog).
    await until(
      "pos-agent request-stock to succeed",
      async () => {
        const r = pos(["request-stock", `${SKU}=12`, `${SKU2}=4`, "--note", "weekend promo"]);
        if (r.code !== 0) throw new Error((r.stderr || r.stdout).trim());
        return true;
      },
      30_000,
      500,
    );
  });

  const order = await run("the till's order appears on the Replenishment page live; approve it with 10 tees", async () => {
    const row = tid("orders").locator("tbody tr", { hasText: STORE });
    await row.waitFor({ timeout: 30_000 });
    const orders = await rest(admin, "GET", `/replenishment/orders?store=${STORE}`);
    if (orders.length !== 1 || orders[0].origin !== "store") throw new Error(`orders at the hub: ${JSON.stringify(orders)}`);
    const o = orders[0];
    await tid(`order-${o.id}`).click();
    await tid("order-detail").waitFor();
    await tid(`approve-qty-${SKU}`).fill("10");
    await tid("order-approve").click();
    await until("the order to show approved", async () => (await tid("order-detail-status").getAttribute("data-status")) === "approved");
    const now = await rest(admin, "GET", `/replenishment/orders/${o.id}`);
    const approved = Object.fromEntries((now.approved_lines ?? []).map((l) => [l.sku, l.qty]));
    if (approved[SKU] !== 10 || approved[SKU2] !== 4) throw new Error(`approved lines ${JSON.stringify(now.approved_lines)}`);
    return o;
  });

  const shipment = await run("build a shipment from it, pick it, dispatch it to the driver", async () => {
    await tid("nav-shipments").click();
    await tid("new-shipment").click();
    await tid(`builder-order-${order.id}`).check();
    await tid(`route-stop-${STORE}`).waitFor();
    await tid("shipment-submit").click();
    await tid("shipment-detail").waitFor();
    await until("the shipment to be approved", async () => (await tid("shipment-detail-status").getAttribute("data-status")) === "approved");
    await tid("shipment-pick").click();
    await until("picked", async () => (await tid("shipment-detail-status").getAttribute("data-status")) === "picked");
    await tid("shipment-dispatch").click();
    await tid("dispatch-driver").selectOption(DRIVER);
    await tid("dispatch-vehicle").fill(VEHICLE);
    await tid("dispatch-submit").click();
    await until("dispatched", async () => (await tid("shipment-detail-status").getAttribute("data-status")) === "dispatched");
    const list = await rest(admin, "GET", "/shipments?status=dispatched");
    const s = list.find((x) => x.stops.some((st) => st.store === STORE));
    if (!s || s.driver !== DRIVER || s.vehicle !== VEHICLE) throw new Error(`the hub's shipment: ${JSON.stringify(s)}`);
    if (s.stops[0].lat !== STORE_AT[0] || s.stops[0].radius_m !== GEOFENCE_M) throw new Error(`the stop has ${JSON.stringify(s.stops[0])}`);
    await page.screenshot({ path: join(SHOTS, "hq-shipment-dispatched.png") });
    return s;
  });

  const driver = await run("the driver logs in (REST) and starts the shipment", async () => {
    const token = await login(DRIVER, DRIVER_PASSWORD);
    await rest(token, "POST", `/driver/shipments/${shipment.id}/start`);
    return token;
  });

  const points = drive(Date.now() - POINTS * STEP_MS - 2_000);
  const inside = points.slice(-2);
  const outside = points.slice(0, -2);
  await run("open the live map: the stop is drawn with its geofence, nothing else yet", async () => {
    await tid("nav-map").click();
    await tid("page-map").waitFor();
    await tid("map-no-tiles").waitFor();
    await until("the stop on the map", async () => (await snapshot())?.stops?.[`${shipment.id}/${STORE}`]?.status === "dispatched");
    const snap = await snapshot();
    if (snap.tiles) throw new Error("the map loads tiles although the hub has no tile server");
    const st = snap.stops[`${shipment.id}/${STORE}`];
    if (st.radius_m !== GEOFENCE_M || st.lat !== STORE_AT[0] || st.lon !== STORE_AT[1]) throw new Error(`stop drawn as ${JSON.stringify(st)}`);
    await tid(`live-stop-${shipment.id}-${STORE}`).waitFor();
  });

  await run(`the driver posts ${outside.length} points in batches: each batch shows live as the marker and the track`, async () => {
    await page.evaluate(() => {
      window.__e2eSamePage = true;
    });
    const sent = [];
    for (let i = 0; i < outside.length; i += 4) {
      const batch = outside.slice(i, i + 4);
      const out = await rest(driver, "POST", "/driver/positions", { shipment: shipment.id, points: batch });
      if (out.stored !== batch.length) throw new Error(`batch ${i / 4}: ${JSON.stringify(out)}`);
      sent.push(...batch);
      const want = sent.map((p) => [p.lat, p.lon]);
      await until(`${sent.length} points on the map`, async () => {
        const snap = await snapshot();
        const line = snap?.tracks?.[DRIVER];
        const marker = snap?.drivers?.[DRIVER];
        const last = sent[sent.length - 1];
        return line && same(line, want) && marker && marker.lat === last.lat && marker.lon === last.lon;
      });
    }
    const marker = (await snapshot()).drivers[DRIVER];
    if (!marker.online || !marker.label.includes(VEHICLE) || !marker.label.includes("Kim Driver")) throw new Error(`marker label ${JSON.stringify(marker)}`);
    await tid(`map-driver-${DRIVER}`).waitFor();
    await until("the side list's point count and next stop", async () => {
      const row = tid(`live-driver-${DRIVER}`);
      return (await row.getAttribute("data-points")) === String(sent.length) && (await row.getAttribute("data-next-stop")) === STORE;
    });
    if (!(await page.evaluate(() => window.__e2eSamePage === true))) throw new Error("the page reloaded");
  });

  await run("a resend adds nothing; a late point goes into its place in the track", async () => {
    const again = await rest(driver, "POST", "/driver/positions", { shipment: shipment.id, points: outside.slice(0, 4) });
    if (again.stored !== 0 || again.duplicates !== 4) throw new Error(`resend: ${JSON.stringify(again)}`);
    const a = outside[10];
    const b = outside[11];
    const late = { ...a, ts_ms: a.ts_ms + STEP_MS / 2, lat: Number(((a.lat + b.lat) / 2).toFixed(7)), lon: Number(((a.lon + b.lon) / 2).toFixed(7)) };
    const out = await rest(driver, "POST", "/driver/positions", { shipment: shipment.id, points: [late] });
    if (out.stored !== 1) throw new Error(`late point: ${JSON.stringify(out)}`);
    const want = [...outside.slice(0, 11), late, ...outside.slice(11)].map((p) => [p.lat, p.lon]);
    await until("the late point in its place", async () => same((await snapshot())?.tracks?.[DRIVER] ?? [], want));
    outside.splice(11, 0, late);
  });

  await run("the driver enters the geofence: the stop turns arrived on the map, in the side list and on the Shipments page", async () => {
    const out = await rest(driver, "POST", "/driver/positions", { shipment: shipment.id, points: inside });
    if (out.stored !== inside.length) throw new Error(`inside: ${JSON.stringify(out)}`);
    await until("the stop marker to turn arrived", async () => (await snapshot())?.stops?.[`${shipment.id}/${STORE}`]?.status === "arrived", 20_000);
    await until("the side list's stop to say arrived", async () => (await tid(`live-stop-${shipment.id}-${STORE}`).getAttribute("data-status")) === "arrived");
    const all = [...outside, ...inside].map((p) => [p.lat, p.lon]);
    await until("the whole track, every point once, in time order", async () => same((await snapshot())?.tracks?.[DRIVER] ?? [], all));
    await page.screenshot({ path: join(SHOTS, "hq-live-map.png") });
    const s = await rest(admin, "GET", `/shipments/${shipment.id}`);
    if (s.stops[0].arrived_by !== "geofence") throw new Error(`arrived_by ${s.stops[0].arrived_by}`);
    await tid("nav-shipments").click();
    await tid(`shipment-${shipment.id}`).click();
    await until("the stop row to say arrived", async () => (await tid(`stop-${STORE}`).getAttribute("data-status")) === "arrived");
    if (!/geofence/.test(await tid(`stop-${STORE}`).getByTestId("stop-arrived").innerText())) throw new Error("the arrival does not say geofence");
  });

  await run("the till receives with 1 tee short and 1 cap damaged: the stop shows the differences, the Discrepancies tab lists them", async () => {
    await until(
      "pos-agent receive to succeed (the delivery reached the till)",
      async () => {
        const r = pos(["receive", shipment.id, `${SKU}=9`, `${SKU2}=4/1`]);
        if (r.code !== 0) throw new Error((r.stderr || r.stdout).trim());
        return true;
      },
      30_000,
      500,
    );
    await until("the stop to show received", async () => (await tid(`stop-${STORE}`).getAttribute("data-status")) === "received", 30_000);
    const badges = tid(`stop-receiving-${STORE}`).getByTestId("discrepancy-badges");
    await badges.waitFor();
    if ((await badges.getAttribute("data-shortage")) !== "1" || (await badges.getAttribute("data-damaged")) !== "1") {
      throw new Error(`badges ${await badges.getAttribute("data-shortage")} short / ${await badges.getAttribute("data-damaged")} damaged`);
    }
    await tid(`stop-receiving-${STORE}`).click();
    await until("the tee line marked short", async () => (await tid(`receiving-line-${SKU}`).first().getAttribute("data-kinds")) === "shortage");
    await until("the cap line marked damaged", async () => (await tid(`receiving-line-${SKU2}`).first().getAttribute("data-kinds")) === "damaged");
    await page.screenshot({ path: join(SHOTS, "hq-shipment-received.png") });
    await tid("tab-discrepancies").click();
    await tid("discrepancies").locator("tbody tr", { hasText: STORE }).first().waitFor();
    await page.screenshot({ path: join(SHOTS, "hq-discrepancies.png") });
  });

  if (offsite.length) throw new Error(`the console asked for off-machine URLs: ${offsite.slice(0, 5).join(", ")}`);
  log("passed");
} catch (e) {
  failed = e;
  console.error(`\nlogistics.e2e FAILED at step "${step}": ${e.message}`);
  try {
    const shot = join(WORK, "failure.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.error(`  page: ${page.url()}  screenshot: ${shot}`);
    const banner = await tid("error").first().innerText({ timeout: 500 }).catch(() => null);
    if (banner) console.error(`  the page shows the error: ${banner.replace(/\s+/g, " ")}`);
  } catch {
    // the page itself is gone
  }
  if (consoleErrors.length) console.error(`  browser console errors:\n    ${consoleErrors.slice(-10).join("\n    ")}`);
} finally {
  if (till && till.exitCode === null) till.kill("SIGTERM");
  await context.close().catch(() => undefined);
}
process.exit(failed ? 1 : 0);
