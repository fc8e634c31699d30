// The route as the driver sees it: which stop is next, how far it is and when
// the truck should be there. The hub's figures (`eta_ms`, `distance_m` of the
// stops in `/driver/today`) are used while they are fresh; without them —
// offline, or before the hub has a speed — the page works it out itself from
// its last fix and its smoothed speed (straight-line distance, like the hub).

import type { Lifecycle, ShipmentJson, StopJson } from "../api/types";
import { distanceM, type Fix, type SpeedSmoother } from "./geo";

/** A stop is done once the truck has been there (or it will never go). */
const DONE: ReadonlySet<Lifecycle> = new Set<Lifecycle>(["arrived", "received", "cancelled"]);

/** How long the hub's ETA counts as current after `/driver/today` was read. */
export const HUB_ETA_FRESH_MS = 90_000;

/** Has the truck been at this stop (or is it cancelled)? */
export function isDone(stop: StopJson): boolean {
  return DONE.has(stop.status);
}

/** The shipment's stops in route order. */
export function routeOrder(s: ShipmentJson): StopJson[] {
  return [...s.stops].sort((a, b) => a.stop_no - b.stop_no);
}

/** The first stop on the route not yet done, or null when all are. */
export function nextStop(s: ShipmentJson): StopJson | null {
  return routeOrder(s).find((st) => !isDone(st)) ?? null;
}

/** Is every stop done? */
export function allDone(s: ShipmentJson): boolean {
  return s.stops.length > 0 && s.stops.every(isDone);
}

/** Distance and ETA to a stop, and where they came from. */
export interface EtaView {
  distanceM: number | null;
  etaMs: number | null;
  source: "hub" | "phone" | null;
}

/**
 * The distance and ETA to `stop`: the hub's when it has an ETA and the list
 * was read less than [`HUB_ETA_FRESH_MS`] ago while online; else the phone's
 * own from `last` and `speed`; else whatever is known (a distance without a
 * speed has no ETA).
 */
export function etaView(
  stop: StopJson,
  last: Fix | null,
  speed: SpeedSmoother,
  nowMs: number,
  hub: { readAtMs: number | null; online: boolean },
): EtaView {
  const hubFresh = hub.online && hub.readAtMs !== null && nowMs - hub.readAtMs < HUB_ETA_FRESH_MS;
  if (hubFresh && stop.eta_ms !== null) {
    return { distanceM: stop.distance_m, etaMs: stop.eta_ms, source: "hub" };
  }
  if (last && stop.lat !== null && stop.lon !== null) {
    const d = distanceM(last.lat, last.lon, stop.lat, stop.lon);
    const s = speed.etaSeconds(d);
    return { distanceM: d, etaMs: s === null ? null : nowMs + s * 1000, source: "phone" };
  }
  if (hubFresh && stop.distance_m !== null) return { distanceM: stop.distance_m, etaMs: null, source: "hub" };
  return { distanceM: null, etaMs: null, source: null };
}
