// Distance and speed arithmetic of the driver page, the same as the hub's
// (sync-proto/src/gps.rs): haversine on the same Earth radius, and an
// exponentially smoothed recent speed with a floor, so that the page can show
// the distance and ETA to the next stop by itself while it is offline.

/** Mean Earth radius in metres (sync-proto's `EARTH_RADIUS_M`). */
export const EARTH_RADIUS_M = 6_371_008.8;

/** Slowest speed an ETA assumes, in m/s (≈ 9 km/h city traffic; the hub's floor). */
export const SPEED_FLOOR_MPS = 2.5;

/** Weight of a new speed sample (the hub's `EtaEstimator::alpha`). */
export const SPEED_ALPHA = 0.2;

const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance between two points in metres (haversine). */
export function distanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A position with a time, as the smoother needs it. */
export interface Fix {
  ts_ms: number;
  lat: number;
  lon: number;
  speed_mps: number | null;
}

/**
 * The smoothed recent speed: each new fix contributes the device's own speed
 * when it reports one, else the speed between it and the previous fix. Fixes
 * older than the last one are ignored (the buffer may replay them).
 */
export class SpeedSmoother {
  speedMps: number | null = null;
  private last: Fix | null = null;

  constructor(
    readonly alpha = SPEED_ALPHA,
    readonly floorMps = SPEED_FLOOR_MPS,
  ) {}

  /** Take the next fix. */
  observe(p: Fix): void {
    const prev = this.last;
    if (prev && p.ts_ms <= prev.ts_ms) return;
    let sample: number | null = null;
    if (p.speed_mps !== null && Number.isFinite(p.speed_mps) && p.speed_mps >= 0) {
      sample = p.speed_mps;
    } else if (prev) {
      sample = distanceM(prev.lat, prev.lon, p.lat, p.lon) / ((p.ts_ms - prev.ts_ms) / 1000);
    }
    this.last = p;
    if (sample === null) return;
    this.speedMps = this.speedMps === null ? sample : this.speedMps + this.alpha * (sample - this.speedMps);
  }

  /** Seconds to cover `remainingM` (never slower than the floor); null before any speed is known. */
  etaSeconds(remainingM: number): number | null {
    if (this.speedMps === null) return null;
    return Math.max(0, remainingM) / Math.max(this.speedMps, this.floorMps);
  }
}
