import { describe, expect, it } from "vitest";

import { dictionaries } from "../src/i18n";
import {
  applyEtas,
  approval,
  distanceText,
  etaLabel,
  initialLogi,
  moveStop,
  nextAction,
  orderLines,
  receivingTotals,
  discrepanciesOf,
  reduceLogi,
  routeFor,
  shippable,
  speedKmh,
  upsertOrder,
  upsertShipment,
  validateDispatch,
  validateLocation,
  validateShipment,
} from "../src/logistics/logic";
import type { Lifecycle, OrderJson, ReceivingJson, ShipmentJson, StopJson } from "../src/logistics/types";
import { canEdit, pagesFor } from "../src/roles";

function order(id: string, store: string, patch: Partial<OrderJson> = {}): OrderJson {
  return {
    id,
    store,
    store_name: `Store ${store}`,
    origin: "store",
    placed_by: "mgr",
    placed_ms: 1_000,
    note: null,
    lines: [
      { sku: "TEE-M", qty: 10 },
      { sku: "CAP", qty: 4 },
    ],
    approved_lines: null,
    status: "requested",
    status_at_ms: 1_000,
    status_by: "mgr",
    shipment: null,
    name_of_skus: {},
    ...patch,
  };
}

function stop(store: string, stop_no: number, status: Lifecycle = "dispatched", patch: Partial<StopJson> = {}): StopJson {
  return {
    store,
    store_name: store,
    stop_no,
    lat: 37.5,
    lon: 127.0,
    radius_m: 150,
    status,
    arrived_ms: null,
    arrived_by: null,
    received_ms: null,
    orders: [],
    lines: [{ sku: "TEE-M", qty: 3 }],
    eta_ms: null,
    distance_m: null,
    receiving: null,
    ...patch,
  };
}

function shipment(id: string, stops: StopJson[], patch: Partial<ShipmentJson> = {}): ShipmentJson {
  return {
    id,
    status: "dispatched",
    created_ms: 5_000,
    created_by: "admin",
    driver: "kim",
    driver_name: "Kim",
    vehicle: "12가3456",
    started_ms: null,
    dispatched_ms: 6_000,
    cancelled_ms: null,
    from: "WH01",
    stops,
    ...patch,
  };
}

describe("orders list", () => {
  it("replaces an order by a later state and never goes back to an older one", () => {
    const requested = order("a", "GN01");
    const approved = order("a", "GN01", { status: "approved", status_at_ms: 2_000 });
    let list = upsertOrder([requested], approved, {});
    expect(list).toHaveLength(1);
    expect(list[0]?.status).toBe("approved");
    // A stale message (the requested state) arriving late changes nothing.
    list = upsertOrder(list, requested, {});
    expect(list[0]?.status).toBe("approved");
    // Cancelled ranks above everything (it always wins).
    list = upsertOrder(list, order("a", "GN01", { status: "cancelled", status_at_ms: 1_500 }), {});
    expect(list[0]?.status).toBe("cancelled");
  });

  it("follows the page filter: a new matching order is added, one that stops matching leaves", () => {
    const f = { status: "requested" };
    let list = upsertOrder([], order("a", "GN01"), f);
    list = upsertOrder(list, order("b", "HD02", { placed_ms: 2_000 }), f);
    expect(list.map((o) => o.id)).toEqual(["b", "a"]); // newest first
    list = upsertOrder(list, order("a", "GN01", { status: "approved", status_at_ms: 3_000 }), f);
    expect(list.map((o) => o.id)).toEqual(["b"]);
    expect(upsertOrder(list, order("c", "GN01", { status: "approved" }), f)).toBe(list);
    expect(upsertOrder([], order("d", "HD02"), { store: "GN01" })).toEqual([]);
  });

  it("reduces list fetches, live messages and lagged", () => {
    let s = reduceLogi(initialLogi(), { type: "order", order: order("x", "GN01") }, {});
    expect(s.orders).toBeNull(); // nothing loaded yet: the fetch will bring it
    s = reduceLogi(s, { type: "orders", list: [order("a", "GN01"), order("b", "GN01", { placed_ms: 9_000 })] }, {});
    expect(s.orders?.map((o) => o.id)).toEqual(["b", "a"]);
    s = reduceLogi(s, { type: "order", order: order("c", "HD02", { placed_ms: 5_000 }) }, {});
    expect(s.orders?.map((o) => o.id)).toEqual(["b", "c", "a"]);
    s = reduceLogi(s, { type: "lagged" }, {});
    expect(s.stale).toBe(true);
    s = reduceLogi(s, { type: "orders", list: [] }, {});
    expect(s.stale).toBe(false);
    // A malformed message is ignored.
    expect(reduceLogi(s, { type: "order", order: null as unknown as OrderJson }, {})).toBe(s);
  });

  it("keeps the furthest shipment state and follows its status filter", () => {
    const a = shipment("s1", [stop("GN01", 1), stop("HD02", 2)]);
    const arrived = shipment("s1", [stop("GN01", 1, "arrived"), stop("HD02", 2)]);
    let list = upsertShipment([a], arrived, {});
    expect(list[0]?.stops[0]?.status).toBe("arrived");
    expect(upsertShipment(list, a, {})[0]?.stops[0]?.status).toBe("arrived");
    // An ETA-only update (same progress) replaces it.
    const eta = shipment("s1", [stop("GN01", 1, "arrived"), stop("HD02", 2, "dispatched", { eta_ms: 99 })]);
    list = upsertShipment(list, eta, {});
    expect(list[0]?.stops[1]?.eta_ms).toBe(99);
    const done = shipment("s1", [stop("GN01", 1, "received"), stop("HD02", 2, "received")], { status: "received" });
    expect(upsertShipment(list, done, { status: "dispatched" })).toEqual([]);
  });
});

describe("ETAs from positions on the Shipments page", () => {
  it("puts each stop's ETA on its shipment and keeps the same list when nothing moved", () => {
    const list = [shipment("s1", [stop("GN01", 1), stop("HD02", 2)]), shipment("s2", [stop("BS03", 1)])];
    const eta = [
      { store: "GN01", eta_ms: 500, distance_m: 900 },
      { store: "HD02", eta_ms: 900, distance_m: 4000 },
    ];
    const point = { ts_ms: 1, lat: 37, lon: 127, accuracy_m: 5, speed_mps: 8, heading_deg: null, altitude_m: null, battery_pct: null };
    const out = applyEtas(list, [{ driver: "kim", shipment: "s1", point, eta }]);
    expect(out[0]?.stops.map((s) => [s.eta_ms, s.distance_m])).toEqual([
      [500, 900],
      [900, 4000],
    ]);
    expect(out[1]).toBe(list[1]);
    expect(applyEtas(out, [{ driver: "kim", shipment: "s1", point, eta }])).toBe(out);
    expect(applyEtas(out, [{ driver: "lee", shipment: null, point, eta }])).toBe(out);
    let s = reduceLogi({ ...initialLogi(), shipments: list }, { type: "positions", points: [{ driver: "kim", shipment: "s1", point, eta }] }, {});
    expect(s.shipments?.[0]?.stops[1]?.eta_ms).toBe(900);
    s = reduceLogi(s, { type: "positions", points: [{ driver: "kim", shipment: "s1", point, eta }] }, {});
    expect(s.shipments).toBe(s.shipments);
  });
});

describe("approve form", () => {
  const o = order("a", "GN01");

  it("approves as asked when nothing was changed", () => {
    expect(approval(o, {})).toEqual({ lines: undefined, error: null });
    expect(approval(o, { "TEE-M": "10" })).toEqual({ lines: undefined, error: null });
  });

  it("sends the edited quantities, 0 leaving a line out", () => {
    expect(approval(o, { "TEE-M": "6" }).lines).toEqual([
      { sku: "TEE-M", qty: 6 },
      { sku: "CAP", qty: 4 },
    ]);
    expect(approval(o, { CAP: "0" }).lines).toEqual([{ sku: "TEE-M", qty: 10 }]);
  });

  it("refuses bad numbers and an all-zero approval", () => {
    for (const bad of ["", "-1", "2.5", "abc", "100001"]) {
      expect(approval(o, { CAP: bad }).error?.key).toBe("logi.err.qty");
    }
    expect(approval(o, { "TEE-M": "0", CAP: "0" }).error?.key).toBe("logi.err.all_zero");
  });
});

describe("HQ order form", () => {
  it("adds up the same SKU, ignores empty rows and refuses what the hub would", () => {
    expect(
      orderLines([
        { sku: "TEE-M", qty: "2" },
        { sku: "", qty: "" },
        { sku: "TEE-M", qty: "3" },
        { sku: "CAP", qty: "1" },
      ]),
    ).toEqual({
      lines: [
        { sku: "TEE-M", qty: 5 },
        { sku: "CAP", qty: 1 },
      ],
      error: null,
    });
    expect(orderLines([{ sku: "", qty: "" }]).error?.key).toBe("logi.err.no_lines");
    expect(orderLines([{ sku: "", qty: "3" }]).error?.key).toBe("logi.err.sku_missing");
    expect(orderLines([{ sku: "CAP", qty: "0" }]).error?.key).toBe("logi.err.qty_pos");
    expect(orderLines([{ sku: "CAP", qty: "60000" }, { sku: "CAP", qty: "60000" }]).error?.key).toBe("logi.err.qty_pos");
  });
});

describe("shipment builder", () => {
  const orders = [
    order("o1", "GN01", { status: "approved" }),
    order("o2", "HD02", { status: "approved" }),
    order("o3", "GN01", { status: "approved" }),
    order("o4", "BS03", { status: "approved", shipment: "s-old" }),
    order("o5", "BS03", { status: "requested" }),
  ];

  it("offers only approved orders that are on no shipment", () => {
    expect(shippable(orders).map((o) => o.id)).toEqual(["o1", "o2", "o3"]);
  });

  it("builds the route from the chosen orders' stores and keeps the user's order", () => {
    let route = routeFor(["o1"], orders, []);
    expect(route).toEqual(["GN01"]);
    route = routeFor(["o1", "o2"], orders, route);
    expect(route).toEqual(["GN01", "HD02"]);
    route = moveStop(route, 1, -1);
    expect(route).toEqual(["HD02", "GN01"]);
    // A second order of a store already on the route adds no stop; the order is kept.
    route = routeFor(["o1", "o2", "o3"], orders, route);
    expect(route).toEqual(["HD02", "GN01"]);
    // Unticking both GN01 orders drops the stop.
    expect(routeFor(["o2"], orders, route)).toEqual(["HD02"]);
    expect(moveStop(route, 0, -1)).toBe(route);
    expect(moveStop(route, 1, 1)).toBe(route);
  });

  it("produces the POST body with the route as stops_order", () => {
    expect(validateShipment(["o1", "o2"], orders, ["HD02", "GN01"])).toEqual({
      body: { orders: ["o1", "o2"], stops_order: ["HD02", "GN01"] },
      errors: [],
    });
  });

  it("refuses no orders, unapproved or already shipped orders and a wrong route", () => {
    expect(validateShipment([], orders, []).errors.map((e) => e.key)).toEqual(["logi.err.no_orders"]);
    expect(validateShipment(["o5"], orders, ["BS03"]).errors.map((e) => e.key)).toEqual(["logi.err.not_approved"]);
    expect(validateShipment(["o4"], orders, ["BS03"]).errors.map((e) => e.key)).toEqual(["logi.err.on_shipment"]);
    expect(validateShipment(["o1", "o2"], orders, ["GN01"]).errors.map((e) => e.key)).toEqual(["logi.err.route"]);
    expect(validateShipment(["o1"], orders, ["GN01", "GN01"]).errors.map((e) => e.key)).toEqual(["logi.err.route"]);
    expect(validateShipment(["o1", "o1"], orders, ["GN01"]).errors.map((e) => e.key)).toContain("logi.err.order_twice");
    expect(validateShipment(["zz"], orders, []).errors.map((e) => e.key)).toEqual(["logi.err.unknown_order"]);
    expect(validateShipment(["o1"], orders, ["GN01"]).body).not.toBeNull();
  });

  it("knows the next step and checks the dispatch form", () => {
    expect(nextAction(shipment("s", [], { status: "approved" }))).toBe("pick");
    expect(nextAction(shipment("s", [], { status: "picked" }))).toBe("dispatch");
    expect(nextAction(shipment("s", [], { status: "dispatched" }))).toBeNull();
    expect(validateDispatch("", "12가3456")?.key).toBe("logi.err.driver");
    expect(validateDispatch("kim", "  ")?.key).toBe("logi.err.vehicle");
    expect(validateDispatch("kim", "x".repeat(33))?.key).toBe("logi.err.vehicle_long");
    expect(validateDispatch("kim", "12가3456")).toBeNull();
  });
});

describe("receiving differences", () => {
  const r: ReceivingJson = {
    id: "r1",
    shipment: "s1",
    store: "GN01",
    store_name: "Gangnam",
    received_by: "mgr",
    received_ms: 1,
    note: null,
    lines: [
      { sku: "A", expected: 10, received: 8, damaged: 1, shortage: 2, extra: 0 },
      { sku: "B", expected: 0, received: 3, damaged: 0, shortage: 0, extra: 3 },
      { sku: "C", expected: 5, received: 5, damaged: 0, shortage: 0, extra: 0 },
    ],
    has_discrepancy: true,
    duplicate: false,
    no_delivery: false,
  };

  it("names what is wrong per line and adds it up", () => {
    expect(r.lines.map(discrepanciesOf)).toEqual([["shortage", "damaged"], ["extra"], []]);
    expect(receivingTotals(r)).toEqual({ shortage: 2, damaged: 1, extra: 3 });
  });
});

describe("texts", () => {
  const now = 1_700_000_000_000;

  it("shows the ETA in whole minutes rounded up", () => {
    expect(etaLabel(null, now).key).toBe("logi.eta.unknown");
    expect(etaLabel(now + 30_000, now).key).toBe("logi.eta.now");
    expect(etaLabel(now - 60_000, now).key).toBe("logi.eta.now");
    expect(etaLabel(now + 60_000, now)).toEqual({ key: "logi.eta.min", vars: { n: 1 } });
    expect(etaLabel(now + 61_000, now)).toEqual({ key: "logi.eta.min", vars: { n: 2 } });
    expect(etaLabel(now + 12 * 60_000, now)).toEqual({ key: "logi.eta.min", vars: { n: 12 } });
    expect(etaLabel(now + 95 * 60_000, now)).toEqual({ key: "logi.eta.hours", vars: { h: 1, m: 35 } });
  });

  it("formats distance and speed", () => {
    expect(distanceText(null)).toBe("—");
    expect(distanceText(849.6)).toBe("850 m");
    expect(distanceText(12_345)).toBe("12.3 km");
    expect(distanceText(250_000)).toBe("250 km");
    expect(speedKmh(10)).toBe(36);
    expect(speedKmh(null)).toBeNull();
    expect(speedKmh(-1)).toBeNull();
  });

  it("has every message key the logic produces in both languages", () => {
    const keys = [
      "logi.eta.unknown",
      "logi.eta.now",
      "logi.eta.min",
      "logi.eta.hours",
      "logi.err.qty",
      "logi.err.qty_pos",
      "logi.err.all_zero",
      "logi.err.no_orders",
      "logi.err.route",
      "logi.err.not_approved",
      "logi.err.on_shipment",
      "logi.err.unknown_order",
      "logi.err.order_twice",
      "stores.err.lat",
      "stores.err.lon",
      "stores.err.geofence",
      ...["requested", "approved", "picked", "dispatched", "arrived", "received", "cancelled"].map((s) => `logi.status.${s}`),
    ];
    for (const k of keys) {
      expect(dictionaries.en, k).toHaveProperty([k]);
      expect(dictionaries.ko, k).toHaveProperty([k]);
    }
  });
});

describe("store location form", () => {
  it("accepts a position and a radius (default 150 m)", () => {
    expect(validateLocation("37.4979", "127.0276", "")).toEqual({ body: { lat: 37.4979, lon: 127.0276, geofence_m: 150 }, error: null });
    expect(validateLocation("37,5", "127", "300").body).toEqual({ lat: 37.5, lon: 127, geofence_m: 300 });
  });

  it("refuses what is off the globe or a silly radius", () => {
    expect(validateLocation("", "127", "").error?.key).toBe("stores.err.lat");
    expect(validateLocation("91", "127", "").error?.key).toBe("stores.err.lat");
    expect(validateLocation("37", "181", "").error?.key).toBe("stores.err.lon");
    expect(validateLocation("37", "127", "5").error?.key).toBe("stores.err.geofence");
    expect(validateLocation("37", "127", "20000").error?.key).toBe("stores.err.geofence");
    expect(validateLocation("37", "127", "1.5").error?.key).toBe("stores.err.geofence");
  });
});

describe("roles", () => {
  it("gives HQ the three pages, store managers the two read-only ones, nobody else any", () => {
    for (const role of ["hq_admin", "hq_staff"] as const) {
      expect(pagesFor(role)).toEqual(expect.arrayContaining(["replenishment", "shipments", "map"]));
      expect(canEdit(role, "logistics")).toBe(true);
    }
    expect(pagesFor("store_manager")).toEqual(expect.arrayContaining(["replenishment", "shipments"]));
    expect(pagesFor("store_manager")).not.toContain("map");
    expect(canEdit("store_manager", "logistics")).toBe(false);
    expect(pagesFor("driver")).toEqual([]);
    expect(pagesFor("cashier")).toEqual([]);
  });
});
