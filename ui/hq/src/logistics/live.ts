// The live map's model, without Leaflet: every active driver (last point,
// speed, online, next stop and ETA), each driver's track in time order
// without duplicates (late points go in their place), and the stops of the
// active shipments. Live messages (`positions`, `shipment`) and the initial
// fetches (`/drivers/live`, `/shipments`, `/shipments/{id}/track`) fold into
// it in any order; it records what changed since the map last drew, so the
// map updates only those markers and appends only the new points (many
// drivers at 1 Hz stay cheap). The model is mutable on purpose: a track is
// one array that grows, never copied per point.

import { rank } from "./logic";
import type { GpsPoint, LiveDriverJson, LivePosition, ShipmentJson, StopEta, StopJson, TrackJson } from "./types";

/** A driver is online while their last point is younger than this (the hub's rule). */
export const ONLINE_MS = 120_000;

/** What happened to a track when points were offered to it. */
export type TrackChange = "none" | "appended" | "inserted";

/** Index of the first point with `ts_ms >= ts` (binary search; `track` is in time order). */
export function lowerBound(track: GpsPoint[], ts: number): number {
  let lo = 0;
  let hi = track.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((track[mid] as GpsPoint).ts_ms < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Put `incoming` into `track` (in place), keeping it in time order with one
 * point per timestamp (the hub's key is `(driver, ts_ms)`; a point already
 * there is a resend and is skipped). Returns "appended" when every new point
 * went after the last one (the map can extend its line), "inserted" when one
 * went in the middle (the line must be redrawn), "none" when all were known.
 */
export function insertPoints(track: GpsPoint[], incoming: GpsPoint[]): TrackChange {
  let change: TrackChange = "none";
  const sorted = incoming.length > 1 ? incoming.slice().sort((a, b) => a.ts_ms - b.ts_ms) : incoming;
  for (const p of sorted) {
    if (!validPoint(p)) continue;
    const last = track[track.length - 1];
    if (!last || p.ts_ms > last.ts_ms) {
      track.push(p);
      if (change === "none") change = "appended";
      continue;
    }
    const i = lowerBound(track, p.ts_ms);
    if (track[i]?.ts_ms === p.ts_ms) continue;
    track.splice(i, 0, p);
    change = "inserted";
  }
  return change;
}

/** A point the map can draw (finite, on the globe). */
export function validPoint(p: GpsPoint | null | undefined): p is GpsPoint {
  return (
    !!p &&
    Number.isFinite(p.ts_ms) &&
    Number.isFinite(p.lat) &&
    Number.isFinite(p.lon) &&
    Math.abs(p.lat) <= 90 &&
    Math.abs(p.lon) <= 180
  );
}

/** One driver as the map shows them. */
export interface DriverState {
  driver: string;
  name: string;
  shipment: string | null;
  vehicle: string | null;
  last: GpsPoint | null;
  speedMps: number | null;
  /** When the console last heard of them (or the hub's point time for the first load). */
  seenMs: number;
  /** The online flag the map last drew (to redraw only when it flips). */
  shownOnline: boolean;
  nextStop: string | null;
  etaMs: number | null;
  distanceM: number | null;
}

/** A driver's track: the points of their current shipment (or of today, without one). */
export interface Track {
  driver: string;
  shipment: string | null;
  points: GpsPoint[];
}

/** A track to fetch: the shipment's, or (null) the driver's of today. */
export interface WantedTrack {
  driver: string;
  shipment: string | null;
}

/** What changed since the last `takeChanges()`. */
export interface Changes {
  /** Drivers whose marker (position or label) must be updated. */
  drivers: Set<string>;
  /** Drivers that are gone from the map. */
  removedDrivers: Set<string>;
  /** Per driver: points added after the end of the line since the last draw. */
  appended: Map<string, GpsPoint[]>;
  /** Drivers whose whole line must be redrawn (a late point, a new shipment, a fetched track). */
  rewritten: Set<string>;
  /** Shipments whose stops must be redrawn. */
  shipments: Set<string>;
  /** Shipments gone from the map (done or cancelled). */
  removedShipments: Set<string>;
}

function noChanges(): Changes {
  return {
    drivers: new Set(),
    removedDrivers: new Set(),
    appended: new Map(),
    rewritten: new Set(),
    shipments: new Set(),
    removedShipments: new Set(),
  };
}

/** Shipments the map shows: on the road (dispatched) or partly there (arrived), not done. */
export function activeShipment(s: ShipmentJson): boolean {
  return rank(s.status) >= rank("dispatched") && s.status !== "received" && s.status !== "cancelled";
}

/** The next stop still to serve (route order), if any. */
export function nextStopOf(s: ShipmentJson): StopJson | null {
  const left = s.stops
    .filter((st) => rank(st.status) < rank("arrived"))
    .sort((a, b) => a.stop_no - b.stop_no);
  return left[0] ?? null;
}

/** The live map's state and its change log. */
export class LiveMapModel {
  readonly drivers = new Map<string, DriverState>();
  readonly tracks = new Map<string, Track>();
  readonly shipments = new Map<string, ShipmentJson>();
  private changes: Changes = noChanges();
  /** Tracks to fetch: (driver, shipment) pairs the model started without their history. */
  private wanted: WantedTrack[] = [];

  /** The hub's `/drivers/live` answer: the drivers to show (others are dropped). */
  loadDrivers(list: LiveDriverJson[], nowMs: number): void {
    const keep = new Set<string>();
    for (const d of list) {
      keep.add(d.driver);
      const old = this.drivers.get(d.driver);
      const last = validPoint(d.last) ? d.last : null;
      const newer = !old?.last || (last !== null && last.ts_ms >= old.last.ts_ms);
      const state: DriverState = {
        driver: d.driver,
        name: d.driver_name || d.driver,
        shipment: d.shipment,
        vehicle: d.vehicle,
        last: newer ? last : (old?.last ?? null),
        speedMps: newer ? d.speed_mps : (old?.speedMps ?? null),
        seenMs: Math.max(old?.seenMs ?? 0, d.online ? nowMs : (last?.ts_ms ?? 0)),
        shownOnline: d.online,
        nextStop: d.next_stop,
        etaMs: d.eta_ms,
        distanceM: d.distance_m,
      };
      this.drivers.set(d.driver, state);
      this.changes.drivers.add(d.driver);
      if (state.last) this.trackOf(d.driver, d.shipment);
    }
    for (const name of [...this.drivers.keys()]) {
      if (keep.has(name)) continue;
      this.drivers.delete(name);
      this.tracks.delete(name);
      this.changes.removedDrivers.add(name);
    }
  }

  /** The hub's shipment list (any statuses; only active ones are kept). */
  loadShipments(list: ShipmentJson[]): void {
    const seen = new Set<string>();
    for (const s of list) {
      seen.add(s.id);
      this.applyShipment(s);
    }
    for (const id of [...this.shipments.keys()]) {
      if (!seen.has(id)) this.dropShipment(id);
    }
  }

  /** A fetched track: merged with whatever arrived live meanwhile. */
  loadTrack(t: TrackJson): void {
    const cur = this.tracks.get(t.driver);
    if (cur && cur.shipment !== null && cur.shipment !== t.shipment) return; // the driver moved on
    const track = this.trackOf(t.driver, t.shipment, false);
    if (insertPoints(track.points, t.points) !== "none") this.markRewritten(t.driver);
    const d = this.drivers.get(t.driver);
    const newest = track.points[track.points.length - 1];
    if (d && newest && (!d.last || newest.ts_ms > d.last.ts_ms)) {
      d.last = newest;
      this.changes.drivers.add(t.driver);
    }
  }

  /** A `positions` message. */
  applyPositions(points: LivePosition[], nowMs: number): void {
    for (const lp of points) {
      if (!lp || typeof lp.driver !== "string" || !validPoint(lp.point)) continue;
      this.applyPosition(lp, nowMs);
    }
  }

  private applyPosition(lp: LivePosition, nowMs: number): void {
    let d = this.drivers.get(lp.driver);
    const ship = lp.shipment ? this.shipments.get(lp.shipment) : undefined;
    if (!d) {
      d = {
        driver: lp.driver,
        name: ship?.driver_name ?? lp.driver,
        shipment: lp.shipment,
        vehicle: ship?.vehicle ?? null,
        last: null,
        speedMps: null,
        seenMs: 0,
        shownOnline: false,
        nextStop: null,
        etaMs: null,
        distanceM: null,
      };
      this.drivers.set(lp.driver, d);
    }
    if (lp.shipment !== d.shipment) {
      d.shipment = lp.shipment;
      if (ship) {
        d.vehicle = ship.vehicle;
        d.name = ship.driver_name ?? d.name;
      }
    }
    const p = lp.point;
    if (!d.last || p.ts_ms >= d.last.ts_ms) {
      d.last = p;
      d.speedMps = p.speed_mps;
    }
    d.seenMs = Math.max(d.seenMs, nowMs);
    if (Array.isArray(lp.eta)) this.applyEta(d, lp.shipment, lp.eta);
    this.changes.drivers.add(lp.driver);

    const track = this.trackOf(lp.driver, lp.shipment);
    const before = track.points.length;
    const change = insertPoints(track.points, [p]);
    if (change === "appended" && !this.changes.rewritten.has(lp.driver)) {
      const list = this.changes.appended.get(lp.driver) ?? [];
      list.push(...track.points.slice(before));
      this.changes.appended.set(lp.driver, list);
    } else if (change === "inserted") {
      this.markRewritten(lp.driver);
    }
  }

  private applyEta(d: DriverState, shipment: string | null, eta: StopEta[]): void {
    const first = eta[0];
    d.nextStop = first?.store ?? null;
    d.etaMs = first?.eta_ms ?? null;
    d.distanceM = first?.distance_m ?? null;
    const s = shipment ? this.shipments.get(shipment) : undefined;
    if (!s) return;
    for (const e of eta) {
      const st = s.stops.find((x) => x.store === e.store);
      if (st) {
        st.eta_ms = e.eta_ms;
        st.distance_m = e.distance_m;
      }
    }
    this.changes.shipments.add(s.id);
  }

  /** A `shipment` message (or one of the list): shown while active, dropped when done. */
  applyShipment(s: ShipmentJson): void {
    if (!s || typeof s.id !== "string" || !Array.isArray(s.stops)) return;
    if (!activeShipment(s)) {
      this.dropShipment(s.id);
      return;
    }
    // A status message may carry no ETA; keep the one the positions gave until it arrives.
    const before = this.shipments.get(s.id);
    const stops = s.stops.map((st) => {
      const old = before?.stops.find((x) => x.store === st.store);
      if (st.eta_ms === null && old && old.eta_ms !== null && rank(st.status) < rank("arrived")) {
        return { ...st, eta_ms: old.eta_ms, distance_m: st.distance_m ?? old.distance_m };
      }
      return { ...st };
    });
    this.shipments.set(s.id, { ...s, stops });
    this.changes.shipments.add(s.id);
    if (!s.driver) return;
    let d = this.drivers.get(s.driver);
    if (!d) {
      // Dispatched, no position yet: listed, drawn once the first point comes.
      d = {
        driver: s.driver,
        name: s.driver_name ?? s.driver,
        shipment: s.id,
        vehicle: s.vehicle,
        last: null,
        speedMps: null,
        seenMs: 0,
        shownOnline: false,
        nextStop: null,
        etaMs: null,
        distanceM: null,
      };
      this.drivers.set(s.driver, d);
    }
    {
      const moved = d.shipment !== s.id && d.shipment !== null && this.shipments.has(d.shipment);
      if (!moved) {
        d.shipment = s.id;
        d.vehicle = s.vehicle;
        d.name = s.driver_name ?? d.name;
        const next = nextStopOf(s);
        if (!next) {
          d.nextStop = null;
          d.etaMs = null;
          d.distanceM = null;
        } else if (d.nextStop !== next.store) {
          d.nextStop = next.store;
          d.etaMs = next.eta_ms;
          d.distanceM = next.distance_m;
        }
        this.changes.drivers.add(s.driver);
      }
    }
  }

  private dropShipment(id: string): void {
    if (!this.shipments.delete(id)) return;
    this.changes.removedShipments.add(id);
    this.changes.shipments.delete(id);
    for (const d of this.drivers.values()) {
      if (d.shipment === id) {
        d.nextStop = null;
        d.etaMs = null;
        d.distanceM = null;
        this.changes.drivers.add(d.driver);
      }
    }
  }

  /**
   * The driver's track for this shipment: a different shipment starts a new
   * line, whose history is wanted from the hub (unless `history` is false:
   * the history is what is being loaded).
   */
  private trackOf(driver: string, shipment: string | null, history = true): Track {
    const t = this.tracks.get(driver);
    if (t && (shipment === null || t.shipment === shipment)) return t;
    if (t && t.shipment === null && t.points.length === 0) {
      t.shipment = shipment;
      if (history) this.wanted.push({ driver, shipment });
      return t;
    }
    const fresh: Track = { driver, shipment, points: [] };
    this.tracks.set(driver, fresh);
    this.markRewritten(driver);
    if (history) this.wanted.push({ driver, shipment });
    return fresh;
  }

  private markRewritten(driver: string): void {
    this.changes.rewritten.add(driver);
    this.changes.appended.delete(driver);
  }

  /** Tracks the map should fetch (each asked for once). */
  takeWantedTracks(): WantedTrack[] {
    const w = this.wanted;
    this.wanted = [];
    return w;
  }

  /** Mark drivers whose online state flipped since it was drawn. */
  refreshOnline(nowMs: number): void {
    for (const d of this.drivers.values()) {
      const online = this.online(d, nowMs);
      if (online !== d.shownOnline) {
        d.shownOnline = online;
        this.changes.drivers.add(d.driver);
      }
    }
  }

  online(d: DriverState, nowMs: number): boolean {
    return nowMs - d.seenMs < ONLINE_MS;
  }

  /** Everything that changed since the last call (and forget it). */
  takeChanges(): Changes {
    const c = this.changes;
    this.changes = noChanges();
    for (const d of c.rewritten) c.appended.delete(d);
    return c;
  }

  /** Has anything changed since the last `takeChanges()`? */
  dirty(): boolean {
    const c = this.changes;
    return (
      c.drivers.size + c.removedDrivers.size + c.appended.size + c.rewritten.size + c.shipments.size + c.removedShipments.size > 0
    );
  }

  /** Every position worth framing: drivers, their tracks, the stops. */
  extent(): [number, number][] {
    const out: [number, number][] = [];
    for (const d of this.drivers.values()) if (d.last) out.push([d.last.lat, d.last.lon]);
    for (const t of this.tracks.values()) for (const p of t.points) out.push([p.lat, p.lon]);
    for (const s of this.shipments.values())
      for (const st of s.stops) if (st.lat !== null && st.lon !== null) out.push([st.lat, st.lon]);
    return out;
  }
}
