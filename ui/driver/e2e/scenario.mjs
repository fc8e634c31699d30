// The delivery a driver-page script drives, set up over the hub's REST API as
// head office would: a warehouse, two stores with their positions and
// geofences, a product in stock at the warehouse, a driver account, one
// approved order per store, a shipment of both (route: store 1, then store 2)
// picked and dispatched to the driver. And the route the phone drives: a
// straight-ish line of distinct points ~90 m apart from the far side of town
// into store 2's geofence (store 1 is marked with the driver's button).

/** A logged-in admin client of the hub's REST API. */
export async function adminClient(hub, password) {
  const res = await fetch(`${hub}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password }),
  });
  if (!res.ok) throw new Error(`admin login: ${res.status} ${await res.text()}`);
  const { token } = await res.json();
  const call = async (method, path, body) => {
    const r = await fetch(`${hub}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    get: (path) => call("GET", path),
    post: (path, body = {}) => call("POST", path, body),
    patch: (path, body) => call("PATCH", path, body),
  };
}

/** Store 2 (the geofence target), in Seongsu-dong. */
const TARGET = { lat: 37.5446, lon: 127.0559 };

/**
 * The route: `n` points from ~2 km west of store 2 to its door, each ~88 m
 * from the last (0.001° of longitude) with a little north–south wiggle, all
 * distinct; the last two are inside a 150 m geofence.
 */
export function route(n = 24) {
  const points = [];
  for (let i = 0; i < n; i++) {
    const k = n - 1 - i;
    points.push({
      lat: Number((TARGET.lat + (k === 0 ? 0 : 0.0003 * Math.sin(i))).toFixed(6)),
      lon: Number((TARGET.lon - 0.001 * k).toFixed(6)),
    });
  }
  return points;
}

/**
 * Set up the delivery. `tag` keeps codes unique when the hub already has
 * this scenario (the screenshot run on the demo chain).
 */
export async function setUpDelivery(api, { tag = "", driverPassword }) {
  const stores = await api.get("/stores");
  const have = new Set(stores.map((s) => s.code));
  const warehouse = stores.find((s) => s.kind === "warehouse")?.code ?? "WH01";
  if (!have.has(warehouse)) {
    await api.post("/stores", { code: warehouse, name: "이천 물류센터 Icheon warehouse", kind: "warehouse", currency: "KRW" });
  }
  const first = { code: `DV1${tag}`, name: "성수역점 Seongsu Station", lat: 37.55, lon: 127.0448 };
  const second = { code: `DV2${tag}`, name: "성수동점 Seongsu-dong", ...TARGET };
  for (const s of [first, second]) {
    if (!have.has(s.code)) await api.post("/stores", { code: s.code, name: s.name, kind: "store", currency: "KRW" });
    await api.patch(`/stores/${s.code}/location`, { lat: s.lat, lon: s.lon, geofence_m: 150 });
  }
  const sku = `DRV-TEE${tag}`;
  await api.post("/products", { sku, name: "베이직 티셔츠 Basic tee", price: 19_900 }).catch((e) => {
    if (!String(e.message).includes("409")) throw e;
  });
  await api.post("/stock/adjustments", { location: warehouse, sku, delta: 100, reason: "receipt" });
  const driver = `driver.kim${tag.toLowerCase()}`;
  await api
    .post("/users", { username: driver, display_name: "김민수 기사", role: "driver", password: driverPassword })
    .catch((e) => {
      if (!String(e.message).includes("409")) throw e;
    });
  const orders = [];
  for (const [s, qty] of [
    [first, 12],
    [second, 20],
  ]) {
    const o = await api.post("/replenishment/orders", { store: s.code, lines: [{ sku, qty }], note: "driver page e2e" });
    await api.post(`/replenishment/orders/${o.id}/approve`, {});
    orders.push(o.id);
  }
  const shipment = await api.post("/shipments", { orders, stops_order: [first.code, second.code] });
  await api.post(`/shipments/${shipment.id}/pick`);
  await api.post(`/shipments/${shipment.id}/dispatch`, { driver, vehicle: "서울 12가 3456" });
  return { shipment: shipment.id, driver, first, second, sku, warehouse };
}
