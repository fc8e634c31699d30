// The live map's scene for `cargo xtask screenshots` (screenshots.mjs): on the
// running demo chain, over the hub's REST API only, it places the warehouse
// and some stores on the map (real Seoul positions), creates three driver
// accounts, orders stock for six stores as HQ, approves the orders, builds
// three two-stop shipments, picks and dispatches them, and has each driver
// start and post a road-like track of the last minutes (1 point per second)
// — one driver has already passed their first stop's geofence. `moreLive()`
// posts a few more points per driver once the map is open, so the picture
// shows positions that arrived live. Nothing here reaches beyond the hub.

/** Where the demo's warehouse and stores are (WGS 84). */
export const PLACES = {
  WH01: [37.4846, 126.8965],
  YD06: [37.5219, 126.9245],
  HD02: [37.5563, 126.9236],
  GN01: [37.4979, 127.0276],
  JS04: [37.5133, 127.1001],
  MD03: [37.5636, 126.9827],
  SS09: [37.5446, 127.0557],
};

/** Drivers, their vehicle, their route, and how far along it they are (0..1 of the whole route). */
const DRIVERS = [
  { username: "kim.driver", name: "Kim Minsu", vehicle: "12가 3456", stops: ["YD06", "HD02"], along: 0.72 },
  { username: "lee.driver", name: "Lee Jiwoo", vehicle: "34나 7812", stops: ["GN01", "JS04"], along: 0.38 },
  { username: "park.driver", name: "Park Seojun", vehicle: "56다 2290", stops: ["MD03", "SS09"], along: 0.33 },
];
const DRIVER_PASSWORD = "demo-driver-2024";
/** Metres per second on the road. */
const SPEED = 11;

const rad = (d) => (d * Math.PI) / 180;
function distance(a, b) {
  const R = 6371008.8;
  const dLat = rad(b[0] - a[0]);
  const dLon = rad(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[0])) * Math.cos(rad(b[0])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

/** A gently curving, slightly wiggling road from `a` to `b`, one point per `SPEED` metres. */
function road(a, b, bend) {
  const n = Math.max(2, Math.round(distance(a, b) / SPEED));
  const dLat = b[0] - a[0];
  const dLon = b[1] - a[1];
  const out = [];
  for (let i = 1; i <= n; i++) {
    const t = i / n;
    const off = bend * Math.sin(Math.PI * t) + 0.0006 * Math.sin(9 * Math.PI * t) * Math.sin(Math.PI * t);
    out.push([a[0] + dLat * t - dLon * off, a[1] + dLon * t + dLat * off]);
  }
  return out;
}

/** The whole route's points (warehouse → stops), each a [lat, lon]. */
function routePoints(stops) {
  const legs = [PLACES.WH01, ...stops.map((s) => PLACES[s])];
  const out = [PLACES.WH01];
  for (let i = 1; i < legs.length; i++) out.push(...road(legs[i - 1], legs[i], i % 2 ? 0.12 : -0.1));
  return out;
}

function gps(lat, lon, ts) {
  return { ts_ms: ts, lat: Number(lat.toFixed(7)), lon: Number(lon.toFixed(7)), accuracy_m: 6, speed_mps: SPEED, heading_deg: null, altitude_m: null, battery_pct: 76 };
}

/**
 * Build the scene. `hub` is the hub URL, `adminToken` a logged-in HQ admin's token.
 * Returns `moreLive(n)`, which posts the next `n` points of every driver now.
 */
export async function seedLiveMap(hub, adminToken) {
  const call = async (token, method, path, body) => {
    const r = await fetch(`${hub}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const admin = (method, path, body) => call(adminToken, method, path, body);

  for (const [code, [lat, lon]] of Object.entries(PLACES)) {
    await admin("PATCH", `/stores/${code}/location`, { lat, lon, geofence_m: 150 });
  }
  const products = (await admin("GET", "/products?limit=40")).items.map((p) => p.sku);
  const drives = [];
  for (const [i, d] of DRIVERS.entries()) {
    await admin("POST", "/users", { username: d.username, display_name: d.name, role: "driver", password: DRIVER_PASSWORD });
    const orders = [];
    for (const [j, store] of d.stops.entries()) {
      const lines = [0, 1, 2].map((k) => ({ sku: products[(i * 7 + j * 3 + k * 5) % products.length], qty: 6 + ((i + j + k) % 4) * 3 }));
      const o = await admin("POST", "/replenishment/orders", { store, lines, note: null });
      await admin("POST", `/replenishment/orders/${o.id}/approve`, {});
      orders.push(o.id);
    }
    const s = await admin("POST", "/shipments", { orders, stops_order: d.stops });
    await admin("POST", `/shipments/${s.id}/pick`);
    await admin("POST", `/shipments/${s.id}/dispatch`, { driver: d.username, vehicle: d.vehicle });
    const token = (
      await (
        await fetch(`${hub}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: d.username, password: DRIVER_PASSWORD }),
        })
      ).json()
    ).token;
    await call(token, "POST", `/driver/shipments/${s.id}/start`);
    const route = routePoints(d.stops);
    const upTo = Math.round(route.length * d.along);
    drives.push({ token, shipment: s.id, route, upTo });
  }

  // The drive so far: one point a second, the newest one a second ago.
  const now = Date.now();
  for (const d of drives) {
    const points = d.route.slice(0, d.upTo).map(([lat, lon], k) => gps(lat, lon, now - (d.upTo - k) * 1000));
    for (let k = 0; k < points.length; k += 2000) {
      await call(d.token, "POST", "/driver/positions", { shipment: d.shipment, points: points.slice(k, k + 2000) });
    }
    d.nextTs = now;
  }

  return async function moreLive(n) {
    for (const d of drives) {
      // Still one point a second, never in the future (the hub refuses those).
      const wait = d.nextTs + n * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const points = d.route.slice(d.upTo, d.upTo + n).map(([lat, lon], k) => gps(lat, lon, d.nextTs + (k + 1) * 1000));
      if (points.length === 0) continue;
      await call(d.token, "POST", "/driver/positions", { shipment: d.shipment, points });
      d.upTo += points.length;
      d.nextTs += points.length * 1000;
    }
  };
}
