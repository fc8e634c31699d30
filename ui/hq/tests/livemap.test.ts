import { describe, expect, it } from "vitest";

import { LiveMapModel, ONLINE_MS, activeShipment, insertPoints, lowerBound, nextStopOf } from "../src/logistics/live";
import type { GpsPoint, LiveDriverJson, LivePosition, ShipmentJson, StopJson } from "../src/logistics/types";

const T0 = 1_700_000_000_000;

function pt(ts: number, lat = 37.5 + (ts % 1_000_000) / 1e8, lon = 127): GpsPoint {
  return { ts_ms: ts, lat, lon, accuracy_m: 5, speed_mps: 10, heading_deg: null, altitude_m: null, battery_pct: null };
}

function pos(driver: string, shipment: string | null, ts: number, eta: LivePosition["eta"] = []): LivePosition {
  return { driver, shipment, point: pt(ts), eta };
}

function stop(store: string, stop_no: number, status: StopJson["status"] = "dispatched"): StopJson {
  return {
    store,
    store_name: `Store ${store}`,
    stop_no,
    lat: 37.51,
    lon: 127.01,
    radius_m: 150,
    status,
    arrived_ms: null,
    arrived_by: null,
    received_ms: null,
    orders: [],
    lines: [],
    eta_ms: null,
    distance_m: null,
    receiving: null,
  };
}

function shipment(id: string, driver: string, stops: StopJson[], status: ShipmentJson["status"] = "dispatched"): ShipmentJson {
  return {
    id,
    status,
    created_ms: T0,
    created_by: "admin",
    driver,
    driver_name: `Driver ${driver}`,
    vehicle: "12가3456",
    started_ms: null,
    dispatched_ms: T0,
    cancelled_ms: null,
    from: "WH01",
    stops,
  };
}

function live(driver: string, shipment: string | null, last: GpsPoint | null, online = true): LiveDriverJson {
  return {
    driver,
    driver_name: `Driver ${driver}`,
    shipment,
    vehicle: "12가3456",
    last,
    speed_mps: last?.speed_mps ?? null,
    online,
    next_stop: null,
    eta_ms: null,
    distance_m: null,
  };
}

const times = (ps: GpsPoint[]) => ps.map((p) => p.ts_ms);

describe("track appending", () => {
  it("appends points in order and reports a plain append", () => {
    const track: GpsPoint[] = [];
    expect(insertPoints(track, [pt(1), pt(2)])).toBe("appended");
    expect(insertPoints(track, [pt(3)])).toBe("appended");
    expect(times(track)).toEqual([1, 2, 3]);
  });

  it("skips resends (same timestamp) and reports nothing new", () => {
    const track = [pt(1), pt(2), pt(3)];
    expect(insertPoints(track, [pt(2), pt(3), pt(1)])).toBe("none");
    expect(times(track)).toEqual([1, 2, 3]);
  });

  it("puts a late point in its place (the line must be redrawn)", () => {
    const track = [pt(10), pt(30)];
    expect(insertPoints(track, [pt(20)])).toBe("inserted");
    expect(insertPoints(track, [pt(5)])).toBe("inserted");
    expect(times(track)).toEqual([5, 10, 20, 30]);
  });

  it("sorts an unordered batch and drops duplicates inside it", () => {
    const track = [pt(100)];
    expect(insertPoints(track, [pt(130), pt(110), pt(120), pt(110), pt(130)])).toBe("appended");
    expect(times(track)).toEqual([100, 110, 120, 130]);
  });

  it("ignores points off the globe", () => {
    const track: GpsPoint[] = [];
    expect(insertPoints(track, [{ ...pt(1), lat: 91 }, { ...pt(2), lon: Number.NaN }])).toBe("none");
    expect(track).toEqual([]);
  });

  it("finds the place of a timestamp by binary search", () => {
    const track = [pt(10), pt(20), pt(30)];
    expect([5, 10, 15, 30, 35].map((t) => lowerBound(track, t))).toEqual([0, 0, 1, 2, 3]);
  });

  it("an offline hour (3,600 points) mixed with what was already live ends in order, once each", () => {
    const track: GpsPoint[] = [];
    // Live points every 10 s arrived first; the buffered batch (every second) comes later.
    for (let s = 0; s < 3600; s += 10) insertPoints(track, [pt(T0 + s * 1000)]);
    const batch = Array.from({ length: 3600 }, (_, s) => pt(T0 + s * 1000));
    insertPoints(track, batch);
    expect(track).toHaveLength(3600);
    for (let i = 1; i < track.length; i++) expect((track[i] as GpsPoint).ts_ms).toBeGreaterThan((track[i - 1] as GpsPoint).ts_ms);
  });
});

describe("live map model", () => {
  it("records appended points per driver for the map, then forgets them", () => {
    const m = new LiveMapModel();
    m.applyPositions([pos("kim", null, T0), pos("lee", null, T0)], T0);
    let c = m.takeChanges();
    // A driver's first point starts a new line (drawn whole).
    expect([...c.rewritten].sort()).toEqual(["kim", "lee"]);
    expect([...c.drivers].sort()).toEqual(["kim", "lee"]);
    m.applyPositions([pos("kim", null, T0 + 1000)], T0 + 1000);
    m.applyPositions([pos("kim", null, T0 + 2000)], T0 + 2000);
    c = m.takeChanges();
    expect(times(c.appended.get("kim") ?? [])).toEqual([T0 + 1000, T0 + 2000]);
    expect(c.rewritten.size).toBe(0);
    expect(m.dirty()).toBe(false);
    expect(times(m.tracks.get("kim")?.points ?? [])).toEqual([T0, T0 + 1000, T0 + 2000]);
  });

  it("a late point asks for a redraw instead of an append, and never moves the marker back", () => {
    const m = new LiveMapModel();
    m.applyPositions([pos("kim", null, T0), pos("kim", null, T0 + 2000)], T0);
    m.takeChanges();
    m.applyPositions([pos("kim", null, T0 + 1000)], T0 + 3000);
    const c = m.takeChanges();
    expect(c.rewritten.has("kim")).toBe(true);
    expect(c.appended.has("kim")).toBe(false);
    expect(m.drivers.get("kim")?.last?.ts_ms).toBe(T0 + 2000);
    expect(times(m.tracks.get("kim")?.points ?? [])).toEqual([T0, T0 + 1000, T0 + 2000]);
  });

  it("merges a fetched track with points that arrived live before it, without duplicates", () => {
    const m = new LiveMapModel();
    m.loadShipments([shipment("s1", "kim", [stop("GN01", 1)])]);
    m.applyPositions([pos("kim", "s1", T0 + 5000), pos("kim", "s1", T0 + 6000)], T0 + 6000);
    expect(m.takeWantedTracks()).toEqual([{ driver: "kim", shipment: "s1" }]);
    expect(m.takeWantedTracks()).toEqual([]); // asked once
    m.takeChanges();
    m.loadTrack({ shipment: "s1", driver: "kim", points: [pt(T0), pt(T0 + 1000), pt(T0 + 5000)] });
    expect(times(m.tracks.get("kim")?.points ?? [])).toEqual([T0, T0 + 1000, T0 + 5000, T0 + 6000]);
    expect(m.takeChanges().rewritten.has("kim")).toBe(true);
  });

  it("ignores a fetched track of a shipment the driver has left", () => {
    const m = new LiveMapModel();
    m.applyPositions([pos("kim", "s2", T0 + 9000)], T0 + 9000);
    m.loadTrack({ shipment: "s1", driver: "kim", points: [pt(T0)] });
    expect(times(m.tracks.get("kim")?.points ?? [])).toEqual([T0 + 9000]);
    expect(m.tracks.get("kim")?.shipment).toBe("s2");
  });

  it("starts a new line when the driver moves to another shipment", () => {
    const m = new LiveMapModel();
    m.applyPositions([pos("kim", "s1", T0)], T0);
    m.takeWantedTracks();
    m.takeChanges();
    m.applyPositions([pos("kim", "s2", T0 + 1000)], T0 + 1000);
    expect(m.tracks.get("kim")?.shipment).toBe("s2");
    expect(times(m.tracks.get("kim")?.points ?? [])).toEqual([T0 + 1000]);
    expect(m.takeWantedTracks()).toEqual([{ driver: "kim", shipment: "s2" }]);
    expect(m.takeChanges().rewritten.has("kim")).toBe(true);
  });

  it("takes the next stop's ETA from positions and puts each stop's ETA on the shipment", () => {
    const m = new LiveMapModel();
    m.loadShipments([shipment("s1", "kim", [stop("GN01", 1), stop("HD02", 2)])]);
    m.takeChanges();
    m.applyPositions(
      [
        pos("kim", "s1", T0, [
          { store: "GN01", eta_ms: T0 + 300_000, distance_m: 2500 },
          { store: "HD02", eta_ms: T0 + 900_000, distance_m: 8000 },
        ]),
      ],
      T0,
    );
    const d = m.drivers.get("kim");
    expect(d?.nextStop).toBe("GN01");
    expect(d?.etaMs).toBe(T0 + 300_000);
    expect(d?.distanceM).toBe(2500);
    expect(d?.name).toBe("Driver kim");
    expect(d?.vehicle).toBe("12가3456");
    expect(m.shipments.get("s1")?.stops.map((s) => s.eta_ms)).toEqual([T0 + 300_000, T0 + 900_000]);
    expect(m.takeChanges().shipments.has("s1")).toBe(true);
  });

  it("moves on to the next stop when a stop arrives, and drops a finished shipment", () => {
    const m = new LiveMapModel();
    m.loadShipments([shipment("s1", "kim", [stop("GN01", 1), stop("HD02", 2)])]);
    m.applyPositions([pos("kim", "s1", T0, [{ store: "GN01", eta_ms: T0 + 60_000, distance_m: 100 }])], T0);
    m.takeChanges();
    m.applyShipment(shipment("s1", "kim", [stop("GN01", 1, "arrived"), stop("HD02", 2)]));
    expect(m.drivers.get("kim")?.nextStop).toBe("HD02");
    expect(m.shipments.get("s1")?.stops[0]?.status).toBe("arrived");
    // A status message without ETAs does not wipe the ETA the positions gave.
    m.applyPositions([pos("kim", "s1", T0 + 1000, [{ store: "HD02", eta_ms: T0 + 600_000, distance_m: 5000 }])], T0 + 1000);
    m.applyShipment(shipment("s1", "kim", [stop("GN01", 1, "arrived"), stop("HD02", 2)]));
    expect(m.shipments.get("s1")?.stops[1]?.eta_ms).toBe(T0 + 600_000);
    let c = m.takeChanges();
    expect(c.shipments.has("s1")).toBe(true);
    m.applyShipment(shipment("s1", "kim", [stop("GN01", 1, "received"), stop("HD02", 2, "received")], "received"));
    c = m.takeChanges();
    expect(c.removedShipments.has("s1")).toBe(true);
    expect(m.shipments.has("s1")).toBe(false);
    expect(m.drivers.get("kim")?.nextStop).toBeNull();
    // The driver and their track stay on the map.
    expect(m.tracks.get("kim")?.points).toHaveLength(2);
  });

  it("lists a dispatched driver before their first point, without a marker position", () => {
    const m = new LiveMapModel();
    m.applyShipment(shipment("s1", "park", [stop("GN01", 1)]));
    expect(m.drivers.get("park")?.last).toBeNull();
    expect(m.drivers.get("park")?.nextStop).toBe("GN01");
    expect(m.extent()).toEqual([[37.51, 127.01]]); // only the stop
  });

  it("keeps only active shipments", () => {
    expect(activeShipment(shipment("a", "k", [], "picked"))).toBe(false);
    expect(activeShipment(shipment("a", "k", [], "dispatched"))).toBe(true);
    expect(activeShipment(shipment("a", "k", [], "arrived"))).toBe(true);
    expect(activeShipment(shipment("a", "k", [], "received"))).toBe(false);
    expect(activeShipment(shipment("a", "k", [], "cancelled"))).toBe(false);
    expect(nextStopOf(shipment("a", "k", [stop("B", 2), stop("A", 1, "arrived"), stop("C", 3)]))?.store).toBe("B");
  });

  it("drivers go offline 2 minutes after the last point and flip back with a new one", () => {
    const m = new LiveMapModel();
    m.loadDrivers([live("kim", null, pt(T0), true), live("lee", null, pt(T0 - 10 * 60_000), false)], T0);
    const kim = m.drivers.get("kim");
    const lee = m.drivers.get("lee");
    if (!kim || !lee) throw new Error("drivers missing");
    expect(m.online(kim, T0)).toBe(true);
    expect(m.online(lee, T0)).toBe(false);
    m.takeChanges();
    m.refreshOnline(T0 + ONLINE_MS - 1);
    expect(m.takeChanges().drivers.size).toBe(0);
    m.refreshOnline(T0 + ONLINE_MS + 1);
    expect([...m.takeChanges().drivers]).toEqual(["kim"]);
    m.applyPositions([pos("lee", null, T0 + 200_000)], T0 + 200_000);
    expect(m.online(lee, T0 + 200_000)).toBe(true);
  });

  it("a reload replaces the drivers (one that left is removed) and keeps newer live points", () => {
    const m = new LiveMapModel();
    m.loadDrivers([live("kim", null, pt(T0)), live("lee", null, pt(T0))], T0);
    m.applyPositions([pos("kim", null, T0 + 5000)], T0 + 5000);
    m.takeChanges();
    m.loadDrivers([live("kim", null, pt(T0 + 1000))], T0 + 6000);
    const c = m.takeChanges();
    expect([...c.removedDrivers]).toEqual(["lee"]);
    expect(m.drivers.has("lee")).toBe(false);
    expect(m.tracks.has("lee")).toBe(false);
    expect(m.drivers.get("kim")?.last?.ts_ms).toBe(T0 + 5000);
  });

  it("a driver without a shipment gets today's track fetched", () => {
    const m = new LiveMapModel();
    m.loadDrivers([live("kim", null, pt(T0))], T0);
    expect(m.takeWantedTracks()).toEqual([{ driver: "kim", shipment: null }]);
    m.loadTrack({ shipment: null, driver: "kim", points: [pt(T0 - 2000), pt(T0 - 1000)] });
    expect(times(m.tracks.get("kim")?.points ?? [])).toEqual([T0 - 2000, T0 - 1000]);
    expect(m.drivers.get("kim")?.last?.ts_ms).toBe(T0); // the live point is newer than the track
  });

  it("ignores malformed messages", () => {
    const m = new LiveMapModel();
    m.applyPositions([null as unknown as LivePosition, { driver: "x", shipment: null, point: { ...pt(1), lat: Number.NaN }, eta: [] }], T0);
    m.applyShipment({ id: 5 } as unknown as ShipmentJson);
    expect(m.drivers.size).toBe(0);
    expect(m.shipments.size).toBe(0);
    expect(m.dirty()).toBe(false);
  });

  it("stays fast with many drivers: 2,000 drivers × 60 points fold in a few seconds at most (about 0.5 s here)", () => {
    const m = new LiveMapModel();
    const started = performance.now();
    for (let s = 0; s < 60; s++) {
      const batch: LivePosition[] = [];
      for (let d = 0; d < 2000; d++) batch.push(pos(`d${d}`, null, T0 + s * 1000));
      m.applyPositions(batch, T0 + s * 1000);
      m.takeChanges();
    }
    const took = performance.now() - started;
    expect(m.tracks.get("d1999")?.points).toHaveLength(60);
    expect(took).toBeLessThan(3000);
  });
});
