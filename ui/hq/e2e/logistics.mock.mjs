// Dev check of the Replenishment, Shipments and Live map pages WITHOUT the
// hub: the built console (vite preview of dist/) with `/api/v1/*` answered by
// an in-script stand-in of the issue-5 contract (orders, proposals, approve,
// shipments, pick, dispatch, receivings, store locations, map settings, live
// drivers, tracks) and the `/api/v1/events` socket routed to it, so the pages
// can be exercised before the hub's logistics API exists. The real test
// against the real hub is logistics.e2e.mjs (tests/tests/hq_logistics.rs).
// Screenshots go to e2e/.work/shots/.
// Usage: npm run build && npx vite preview --port 4175 &
//        node e2e/logistics.mock.mjs [http://localhost:4175/]   (LANG_UI=ko for Korean)

import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { launchConsoleBrowser } from "./browser.mjs";

const url = (process.argv[2] ?? "http://localhost:4175/").replace(/\/$/, "");
const lang = process.env.LANG_UI ?? "en";
const SHOTS = "e2e/.work/shots";
mkdirSync(SHOTS, { recursive: true });

const NOW = Date.now();
const STORES = [
  { code: "GN01", name: "Gangnam", kind: "store", currency: "KRW", created_at_ms: 0, tills: 2, region: null, lat: 37.4979, lon: 127.0276 },
  { code: "HD02", name: "Hongdae", kind: "store", currency: "KRW", created_at_ms: 0, tills: 1, region: null, lat: 37.5563, lon: 126.922 },
  { code: "JS03", name: "Jamsil", kind: "store", currency: "KRW", created_at_ms: 0, tills: 1, region: null, lat: null, lon: null },
  { code: "WH01", name: "Warehouse", kind: "warehouse", currency: "KRW", created_at_ms: 0, tills: 0, region: null, lat: 37.47, lon: 126.95 },
];
const geofence = { GN01: 150, HD02: 150, JS03: 150 };
const USERS = [
  { id: 1, username: "admin", display_name: "Admin", role: "hq_admin", store: null, active: true, has_pin: false, created_at_ms: 0 },
  { id: 2, username: "kim", display_name: "Kim Minsu", role: "driver", store: null, active: true, has_pin: false, created_at_ms: 0 },
  { id: 3, username: "old", display_name: "Old Driver", role: "driver", store: null, active: false, has_pin: false, created_at_ms: 0 },
];
const NAMES = { "TEE-M": "Basic tee M", "CAP-BLK": "Cap black", "JK-M": "Jacket M" };

let seq = 0;
const uuid = () => `00000000-0000-7000-8000-${String(++seq).padStart(12, "0")}`;
const orders = new Map();
const shipments = new Map();
const tracks = new Map();
let socket = null;
const requests = [];

function newOrder(store, lines, origin, by, placed) {
  const o = {
    id: uuid(), store, store_name: STORES.find((s) => s.code === store).name, origin, placed_by: by, placed_ms: placed,
    note: null, lines, approved_lines: null, status: "requested", status_at_ms: placed, status_by: by, shipment: null, name_of_skus: NAMES,
  };
  orders.set(o.id, o);
  return o;
}
newOrder("GN01", [{ sku: "TEE-M", qty: 12 }, { sku: "CAP-BLK", qty: 4 }], "store", "gn01.mgr", NOW - 3_600_000);
newOrder("HD02", [{ sku: "JK-M", qty: 3 }], "store", "hd02.mgr", NOW - 1_800_000);

const RANK = ["requested", "approved", "picked", "dispatched", "arrived", "received", "cancelled"];
function shipmentJson(s) {
  const status = s.stops.reduce((m, st) => (RANK.indexOf(st.status) < RANK.indexOf(m) ? st.status : m), "cancelled");
  return { ...s, status: s.cancelled ? "cancelled" : status };
}
const emit = (msg) => socket?.send(JSON.stringify(msg));
const emitOrder = (o) => emit({ type: "order", order: o });
const emitShipment = (s) => emit({ type: "shipment", shipment: shipmentJson(s) });
const json = (route, status, body) => route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) });
const refuse = (route, status, code, message) => json(route, status, { error: { code, message } });

function distance(a, b) {
  const R = 6371008.8;
  const rad = (d) => (d * Math.PI) / 180;
  const dLat = rad(b[0] - a[0]);
  const dLon = rad(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[0])) * Math.cos(rad(b[0])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

/** The stand-in hub's GPS pipeline: store, ETA, geofence, fan-out. */
function ingest(driver, shipmentId, points) {
  const s = shipments.get(shipmentId);
  const track = tracks.get(shipmentId) ?? [];
  tracks.set(shipmentId, track);
  const out = [];
  for (const p of points) {
    if (track.some((q) => q.ts_ms === p.ts_ms)) continue;
    track.push(p);
    track.sort((a, b) => a.ts_ms - b.ts_ms);
    const eta = [];
    for (const st of s.stops) {
      if (RANK.indexOf(st.status) >= RANK.indexOf("arrived") || st.lat === null) continue;
      const d = distance([p.lat, p.lon], [st.lat, st.lon]);
      if (d <= st.radius_m) {
        st.status = "arrived";
        st.arrived_ms = p.ts_ms;
        st.arrived_by = "geofence";
        setTimeout(() => emitShipment(s), 10);
        continue;
      }
      eta.push({ store: st.store, eta_ms: p.ts_ms + Math.round((d / 8) * 1000), distance_m: Math.round(d) });
    }
    out.push({ driver, shipment: shipmentId, point: p, eta });
  }
  if (out.length) emit({ type: "positions", points: out });
}

async function api(route) {
  const req = route.request();
  const u = new URL(req.url());
  const path = u.pathname.replace(/^\/api\/v1/, "");
  const method = req.method();
  const body = method === "POST" || method === "PATCH" ? JSON.parse(req.postData() || "{}") : null;
  requests.push({ method, path, body });
  const q = (k) => u.searchParams.get(k);
  if (path === "/auth/me") return json(route, 200, { id: 1, username: "admin", display_name: "Admin", role: "hq_admin", store: null });
  if (path === "/stores") return json(route, 200, STORES);
  if (path === "/users") return json(route, 200, USERS);
  let m = /^\/stores\/([^/]+)\/location$/.exec(path);
  if (m) {
    const s = STORES.find((x) => x.code === m[1]);
    if (method === "PATCH") {
      s.lat = body.lat;
      s.lon = body.lon;
      geofence[s.code] = body.geofence_m;
    }
    return json(route, 200, { lat: s.lat, lon: s.lon, geofence_m: geofence[s.code] ?? 150 });
  }
  if (path === "/replenishment/orders" && method === "GET") {
    return json(route, 200, [...orders.values()].filter((o) => (!q("store") || o.store === q("store")) && (!q("status") || o.status === q("status"))));
  }
  if (path === "/replenishment/orders" && method === "POST") {
    const o = newOrder(body.store, body.lines, "hq_proposal", "admin", Date.now());
    o.note = body.note;
    setTimeout(() => emitOrder(o), 10);
    return json(route, 201, o);
  }
  if (path === "/replenishment/proposals") {
    const o = newOrder("JS03", [{ sku: "TEE-M", qty: 20 }], "hq_proposal", "admin", Date.now());
    setTimeout(() => emitOrder(o), 10);
    return json(route, 200, [o]);
  }
  m = /^\/replenishment\/orders\/([^/]+)\/(approve|cancel)$/.exec(path);
  if (m) {
    const o = orders.get(m[1]);
    if (m[2] === "approve") {
      if (o.status !== "requested") return refuse(route, 409, "conflict", `order is ${o.status}`);
      o.status = "approved";
      o.approved_lines = body.lines ?? o.lines;
    } else o.status = "cancelled";
    o.status_at_ms = Date.now();
    o.status_by = "admin";
    emitOrder(o);
    return json(route, 200, o);
  }
  if (path === "/shipments" && method === "GET") {
    return json(route, 200, [...shipments.values()].map(shipmentJson).filter((s) => !q("status") || s.status === q("status")));
  }
  if (path === "/shipments" && method === "POST") {
    const chosen = body.orders.map((id) => orders.get(id));
    if (chosen.some((o) => o.status !== "approved" || o.shipment)) return refuse(route, 409, "conflict", "orders must be approved and unshipped");
    const stores = body.stops_order ?? [...new Set(chosen.map((o) => o.store))];
    const s = {
      id: uuid(), created_ms: Date.now(), created_by: "admin", driver: null, driver_name: null, vehicle: null, started_ms: null, dispatched_ms: null, from: "WH01",
      stops: stores.map((store, i) => {
        const info = STORES.find((x) => x.code === store);
        const mine = chosen.filter((o) => o.store === store);
        return {
          store, store_name: info.name, stop_no: i + 1, lat: info.lat, lon: info.lon, radius_m: geofence[store] ?? 150, status: "approved",
          arrived_ms: null, arrived_by: null, received_ms: null, orders: mine.map((o) => o.id), lines: mine.flatMap((o) => o.approved_lines),
          eta_ms: null, distance_m: null, receiving: null,
        };
      }),
    };
    for (const o of chosen) o.shipment = s.id;
    shipments.set(s.id, s);
    return json(route, 201, shipmentJson(s));
  }
  m = /^\/shipments\/([^/]+)(\/pick|\/dispatch|\/cancel|\/track|\/stops\/([^/]+)\/arrive)?$/.exec(path);
  if (m) {
    const s = shipments.get(m[1]);
    if (!s) return refuse(route, 404, "not_found", "no such shipment");
    if (m[2] === "/track") return json(route, 200, { shipment: s.id, driver: s.driver, points: tracks.get(s.id) ?? [] });
    if (m[2] === "/pick") for (const st of s.stops) st.status = "picked";
    if (m[2] === "/dispatch") {
      const u2 = USERS.find((x) => x.username === body.driver && x.role === "driver" && x.active);
      if (!u2) return refuse(route, 400, "invalid", `${body.driver} is not an active driver`);
      s.driver = u2.username;
      s.driver_name = u2.display_name;
      s.vehicle = body.vehicle;
      s.dispatched_ms = Date.now();
      for (const st of s.stops) st.status = "dispatched";
    }
    if (m[3]) {
      const st = s.stops.find((x) => x.store === decodeURIComponent(m[3]));
      st.status = "arrived";
      st.arrived_ms = Date.now();
      st.arrived_by = "admin";
    }
    if (m[2]) emitShipment(s);
    return json(route, 200, shipmentJson(s));
  }
  if (path === "/receivings") {
    return json(route, 200, [
      {
        id: "r-1", shipment: "00000000-0000-7000-8000-00000000abcd", store: "GN01", store_name: "Gangnam", received_by: "gn01.mgr", received_ms: NOW - 86_400_000, note: "box 2 wet",
        lines: [
          { sku: "TEE-M", expected: 12, received: 10, damaged: 1, shortage: 2, extra: 0 },
          { sku: "CAP-BLK", expected: 0, received: 2, damaged: 0, shortage: 0, extra: 2 },
          { sku: "JK-M", expected: 3, received: 3, damaged: 0, shortage: 0, extra: 0 },
        ],
        has_discrepancy: true, duplicate: false,
      },
      {
        id: "r-2", shipment: "00000000-0000-7000-8000-00000000abcd", store: "GN01", store_name: "Gangnam", received_by: "gn01.cashier", received_ms: NOW - 86_000_000, note: null,
        lines: [{ sku: "TEE-M", expected: 12, received: 12, damaged: 0, shortage: 0, extra: 0 }],
        has_discrepancy: false, duplicate: true,
      },
    ]);
  }
  if (path === "/map/settings") return json(route, 200, { tile_url: null, attribution: null, center: [37.5326, 127.0246], zoom: 11 });
  if (path === "/drivers/live") {
    return json(
      route,
      200,
      [...shipments.values()]
        .filter((s) => s.driver)
        .map((s) => {
          const tr = tracks.get(s.id) ?? [];
          const last = tr[tr.length - 1] ?? null;
          return { driver: s.driver, driver_name: s.driver_name, shipment: s.id, vehicle: s.vehicle, last, speed_mps: last?.speed_mps ?? null, online: !!last, next_stop: null, eta_ms: null, distance_m: null };
        }),
    );
  }
  return refuse(route, 404, "not_found", `mock: no ${method} ${path}`);
}

const context = await launchConsoleBrowser("/usr/bin/chromium", join(tmpdir(), `logistics-mock-${process.pid}`));
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(5000);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => m.type() === "error" && !m.text().includes("404") && errors.push(m.text()));
await page.route("**/api/v1/**", api);
await page.routeWebSocket("**/api/v1/events", (ws) => {
  socket = ws;
  ws.send(JSON.stringify({ type: "hello", role: "hq_admin", store: null }));
});
const tid = (id) => page.getByTestId(id);
async function until(what, fn, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`waiting for ${what}`);
}
const snapshot = () => page.evaluate(() => window.__storelinkLiveMap?.snapshot());

let failed = null;
try {
  await page.goto(url + "/");
  await page.evaluate((l) => localStorage.setItem("storelink.hq.lang", l), lang);
  await page.goto(url + "/replenishment");
  await tid("page-replenishment").waitFor();
  await until("live", async () => (await tid("live-indicator").getAttribute("data-state")) === "live");
  await until("two orders", async () => (await tid("orders").locator("tbody tr").count()) === 2);

  // Approve GN01's order with the tee cut to 8.
  const gn = [...orders.values()].find((o) => o.store === "GN01");
  await tid(`order-${gn.id}`).click();
  await tid("order-detail").waitFor();
  await tid("approve-qty-TEE-M").fill("x");
  await tid("approve-error").waitFor();
  await tid("approve-qty-TEE-M").fill("8");
  await page.screenshot({ path: `${SHOTS}/logi-approve.png` });
  await tid("order-approve").click();
  await until("approved badge", async () => (await tid("order-detail-status").getAttribute("data-status")) === "approved");
  const approved = requests.find((r) => r.path.endsWith("/approve"));
  if (JSON.stringify(approved.body) !== JSON.stringify({ lines: [{ sku: "TEE-M", qty: 8 }, { sku: "CAP-BLK", qty: 4 }] })) throw new Error(`approve sent ${JSON.stringify(approved.body)}`);
  // HD02 as asked.
  const hd = [...orders.values()].find((o) => o.store === "HD02");
  await tid(`order-${hd.id}`).click();
  await tid("order-approve").click();
  await until("HD02 approved", async () => orders.get(hd.id).status === "approved");
  // Proposals arrive live.
  await tid("propose").click();
  await until("three orders", async () => (await tid("orders").locator("tbody tr").count()) === 3);

  // Build a shipment: both approved orders, HD02 first.
  await page.goto(url + "/shipments");
  await tid("new-shipment").click();
  await tid("shipment-submit").click();
  await tid("builder-error").first().waitFor();
  await tid(`builder-order-${gn.id}`).check();
  await tid(`builder-order-${hd.id}`).check();
  await tid("route-up-HD02").click();
  await until("HD02 first", async () => (await tid("route-stop-HD02").getAttribute("data-index")) === "0");
  await page.screenshot({ path: `${SHOTS}/logi-builder.png` });
  await tid("shipment-submit").click();
  await tid("shipment-detail").waitFor();
  const created = requests.find((r) => r.method === "POST" && r.path === "/shipments");
  if (JSON.stringify(created.body.stops_order) !== JSON.stringify(["HD02", "GN01"])) throw new Error(`stops_order ${JSON.stringify(created.body)}`);
  await tid("shipment-pick").click();
  await until("picked", async () => (await tid("shipment-detail-status").getAttribute("data-status")) === "picked");
  await tid("shipment-dispatch").click();
  const options = await tid("dispatch-driver").locator("option").allInnerTexts();
  if (options.some((o) => o.includes("old"))) throw new Error("an inactive driver is offered");
  await tid("dispatch-driver").selectOption("kim");
  await tid("dispatch-vehicle").fill("12가 3456");
  await tid("dispatch-submit").click();
  await until("dispatched", async () => (await tid("shipment-detail-status").getAttribute("data-status")) === "dispatched");
  await page.screenshot({ path: `${SHOTS}/logi-shipment.png` });
  const ship = [...shipments.values()][0];

  // Live map: points before the page opens come from the track, the rest live.
  const hdStop = [37.5563, 126.922];
  const start = [37.47, 126.95];
  const route = Array.from({ length: 40 }, (_, i) => [start[0] + ((hdStop[0] - start[0]) * i) / 39, start[1] + ((hdStop[1] - start[1]) * i) / 39]);
  const point = (i) => ({ ts_ms: NOW + i * 1000, lat: route[i][0], lon: route[i][1], accuracy_m: 5, speed_mps: 9.5, heading_deg: null, altitude_m: null, battery_pct: 80 });
  ingest("kim", ship.id, Array.from({ length: 10 }, (_, i) => point(i)));
  await page.goto(url + "/map");
  await tid("page-map").waitFor();
  await until("marker and 10-point track", async () => (await snapshot())?.tracks?.kim?.length === 10);
  for (let i = 10; i < 39; i++) ingest("kim", ship.id, [point(i)]);
  await until("39 points drawn", async () => (await snapshot())?.tracks?.kim?.length === 39);
  // A resend and a late point: no duplicates, order kept.
  ingest("kim", ship.id, [point(5)]);
  await until("HD02 still dispatched", async () => (await snapshot())?.stops?.[`${ship.id}/HD02`]?.status === "dispatched");
  const snap = await snapshot();
  const lats = snap.tracks.kim.map((p) => p[0]);
  if (lats.some((l, i) => i > 0 && l < lats[i - 1])) throw new Error("the track is out of order");
  await tid(`map-driver-kim`).waitFor();
  await until("side list ETA", async () => (await tid("live-driver-kim").getAttribute("data-next-stop")) === "HD02");
  await page.screenshot({ path: `${SHOTS}/logi-map-driving.png` });
  ingest("kim", ship.id, [point(39)]);
  await until("HD02 arrived on the map", async () => (await snapshot())?.stops?.[`${ship.id}/HD02`]?.status === "arrived");
  await until("HD02 arrived in the list", async () => (await tid(`live-stop-${ship.id}-HD02`).getAttribute("data-status")) === "arrived");
  await until("next stop GN01", async () => (await tid("live-driver-kim").getAttribute("data-next-stop")) === "GN01");
  await page.screenshot({ path: `${SHOTS}/logi-map.png` });

  await page.goto(url + "/shipments?tab=discrepancies");
  await tid("receiving-duplicate").first().waitFor();
  await tid("receiving-r-1").click();
  await tid("receiving-detail").waitFor();
  const kinds = await tid("receiving-line-TEE-M").getAttribute("data-kinds");
  if (kinds !== "shortage,damaged") throw new Error(`TEE-M kinds ${kinds}`);
  await page.screenshot({ path: `${SHOTS}/logi-discrepancies.png` });

  // Store location editor.
  await page.goto(url + "/stores");
  await tid("locate-JS03").click();
  await tid("location-form").locator('input[name="lat"]').fill("95");
  await tid("location-form").locator('input[name="lon"]').fill("127.1");
  await tid("location-submit").click();
  await tid("location-form").getByTestId("error").waitFor();
  await tid("location-form").locator('input[name="lat"]').fill("37.5133");
  await tid("location-form").locator('input[name="geofence_m"]').fill("200");
  await tid("location-submit").click();
  await tid("location-form").waitFor({ state: "detached" });
  const patch = requests.find((r) => r.method === "PATCH");
  if (JSON.stringify(patch.body) !== JSON.stringify({ lat: 37.5133, lon: 127.1, geofence_m: 200 })) throw new Error(`patch ${JSON.stringify(patch.body)}`);
} catch (e) {
  failed = e;
  await page.screenshot({ path: `${SHOTS}/logi-failure.png` }).catch(() => undefined);
}
await context.close();
if (failed || errors.length) {
  console.error(`logistics mock check FAILED: ${failed?.message ?? ""}\n${errors.join("\n")}`);
  process.exit(1);
}
console.log("logistics mock check passed; screenshots in e2e/.work/shots/logi-*.png");
