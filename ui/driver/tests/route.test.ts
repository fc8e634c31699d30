// Distance, speed smoothing, the next stop, where its ETA comes from (the
// hub's while fresh and online, else the phone's), how distances and ETAs
// read, and how a browser fix becomes a GpsPoint.

import { describe, expect, it } from "vitest";

import type { ShipmentJson, StopJson } from "../src/api/types";
import { etaText, formatClock, formatDistance, minutesLeft } from "../src/format";
import { translate, type Key, type Vars } from "../src/i18n";
import { SpeedSmoother, distanceM } from "../src/track/geo";
import { HUB_ETA_FRESH_MS, allDone, etaView, nextStop } from "../src/track/route";
import { toGpsPoint } from "../src/track/tracker";

const T0 = 1_760_000_000_000;
const en = (k: Key, v?: Vars) => translate("en", k, v);
const ko = (k: Key, v?: Vars) => translate("ko", k, v);

function stop(store: string, stop_no: number, patch: Partial<StopJson> = {}): StopJson {
  return {
    store,
    store_name: `Store ${store}`,
    stop_no,
    lat: 37.5,
    lon: 127.0,
    radius_m: 150,
    status: "dispatched",
    arrived_ms: null,
    arrived_by: null,
    received_ms: null,
    orders: [],
    lines: [{ sku: "A", qty: 3 }],
    eta_ms: null,
    distance_m: null,
    receiving: null,
    ...patch,
  } as StopJson;
}

function shipment(stops: StopJson[]): ShipmentJson {
  return {
    id: "00000000-0000-0000-0000-000000000001",
    status: "dispatched",
    created_ms: T0,
    created_by: "admin",
    driver: "kim",
    driver_name: "Kim",
    vehicle: "12가3456",
    started_ms: null,
    dispatched_ms: T0,
    cancelled_ms: null,
    from: "WH01",
    stops,
  } as ShipmentJson;
}

describe("distance", () => {
  it("is the haversine distance the hub uses", () => {
    // One degree of latitude on the mean sphere.
    expect(distanceM(37, 127, 38, 127)).toBeCloseTo(111_195, -1);
    // Seoul City Hall → Gangnam station, about 8.9 km as the crow flies.
    expect(distanceM(37.5663, 126.9779, 37.4979, 127.0276) / 1000).toBeCloseTo(8.8, 0);
    expect(distanceM(37.5, 127, 37.5, 127)).toBe(0);
  });
});

describe("the smoothed speed", () => {
  it("uses the device's speed, else the speed between fixes, and ignores old fixes", () => {
    const s = new SpeedSmoother();
    expect(s.etaSeconds(1000)).toBeNull();
    s.observe({ ts_ms: T0, lat: 37.5, lon: 127, speed_mps: 10 });
    expect(s.speedMps).toBe(10);
    s.observe({ ts_ms: T0 + 1000, lat: 37.5, lon: 127, speed_mps: 20 });
    expect(s.speedMps).toBeCloseTo(12);
    // No device speed: 111.2 m in 10 s = 11.12 m/s.
    s.observe({ ts_ms: T0 + 11_000, lat: 37.501, lon: 127, speed_mps: null });
    expect(s.speedMps).toBeCloseTo(12 + 0.2 * (11.12 - 12), 1);
    const before = s.speedMps;
    s.observe({ ts_ms: T0 + 5000, lat: 0, lon: 0, speed_mps: 99 });
    expect(s.speedMps).toBe(before);
  });

  it("never assumes slower than the floor", () => {
    const s = new SpeedSmoother();
    s.observe({ ts_ms: T0, lat: 37.5, lon: 127, speed_mps: 0 });
    expect(s.etaSeconds(250)).toBe(100);
  });
});

describe("the next stop", () => {
  it("is the first not yet served, in route order", () => {
    const sh = shipment([stop("B", 2), stop("A", 1, { status: "arrived", arrived_ms: T0 }), stop("C", 3)]);
    expect(nextStop(sh)?.store).toBe("B");
    expect(allDone(sh)).toBe(false);
    const done = shipment([stop("A", 1, { status: "received" }), stop("B", 2, { status: "cancelled" })]);
    expect(nextStop(done)).toBeNull();
    expect(allDone(done)).toBe(true);
  });
});

describe("the ETA", () => {
  const last = { ts_ms: T0, lat: 37.49, lon: 127.0, speed_mps: 10 };
  const speed = new SpeedSmoother();
  speed.observe(last);
  const st = stop("A", 1, { eta_ms: T0 + 600_000, distance_m: 2000 });

  it("is the hub's while it is fresh and the phone is online", () => {
    expect(etaView(st, last, speed, T0 + 1000, { readAtMs: T0, online: true })).toEqual({
      distanceM: 2000,
      etaMs: T0 + 600_000,
      source: "hub",
    });
  });

  it("is the phone's own when offline or stale", () => {
    const d = distanceM(37.49, 127, 37.5, 127);
    for (const hub of [
      { readAtMs: T0, online: false },
      { readAtMs: T0 - HUB_ETA_FRESH_MS, online: true },
      { readAtMs: null, online: true },
    ]) {
      const v = etaView(st, last, speed, T0, hub);
      expect(v.source).toBe("phone");
      expect(v.distanceM).toBeCloseTo(d, 3);
      expect(v.etaMs).toBeCloseTo(T0 + (d / 10) * 1000, 0);
    }
  });

  it("is unknown without a position or a store location", () => {
    expect(etaView(stop("A", 1), null, speed, T0, { readAtMs: null, online: true })).toEqual({
      distanceM: null,
      etaMs: null,
      source: null,
    });
    const noPlace = stop("A", 1, { lat: null, lon: null });
    expect(etaView(noPlace, last, speed, T0, { readAtMs: null, online: false }).distanceM).toBeNull();
  });
});

describe("texts", () => {
  it("writes distances in metres, then kilometres", () => {
    expect(formatDistance(0)).toBe("0 m");
    expect(formatDistance(849.6)).toBe("850 m");
    expect(formatDistance(1000)).toBe("1.0 km");
    expect(formatDistance(12_345)).toBe("12.3 km");
    expect(formatDistance(123_456)).toBe("123 km");
    expect(formatDistance(Number.NaN)).toBe("–");
  });

  it("writes the ETA as a clock time and minutes left, rounded up", () => {
    const at = new Date(2026, 0, 5, 14, 5).getTime();
    expect(formatClock(at)).toBe("14:05");
    expect(minutesLeft(at, at - 61_000)).toBe(2);
    expect(etaText(en, at, at - 12 * 60_000)).toBe("ETA 14:05 · about 12 min");
    expect(etaText(ko, at, at - 12 * 60_000)).toBe("도착 예정 14:05 · 약 12분");
    expect(etaText(en, at, at + 5000)).toBe("Arriving now");
    expect(etaText(en, null, at)).toBe("ETA once the truck moves");
  });
});

describe("a browser fix", () => {
  it("becomes a GpsPoint with whole-ms time, no heading while standing, battery in percent", () => {
    const moving = toGpsPoint(
      {
        timestamp: T0 + 0.4,
        coords: { latitude: 37.5, longitude: 127, accuracy: 6, altitude: 31, heading: 90, speed: 8.5 },
      },
      57.123,
    );
    expect(moving).toEqual({
      ts_ms: T0,
      lat: 37.5,
      lon: 127,
      accuracy_m: 6,
      speed_mps: 8.5,
      heading_deg: 90,
      altitude_m: 31,
      battery_pct: 57.1,
    });
    const standing = toGpsPoint(
      { timestamp: T0, coords: { latitude: 37.5, longitude: 127, accuracy: 6, altitude: null, heading: Number.NaN, speed: 0 } },
      null,
    );
    expect(standing).toMatchObject({ speed_mps: 0, heading_deg: null, altitude_m: null, battery_pct: null });
    const unknown = toGpsPoint(
      { timestamp: T0, coords: { latitude: 37.5, longitude: 127, accuracy: 6, altitude: null, heading: null, speed: null } },
      null,
    );
    expect(unknown).toMatchObject({ speed_mps: null, heading_deg: null });
  });
});
