// The phone's side of tracking: `navigator.geolocation.watchPosition` with
// high accuracy turns every fix into a `GpsPoint` for the buffer; the Wake
// Lock API keeps the screen on (re-acquired whenever the page becomes visible
// again, since the browser drops it when the page is hidden); the Battery API
// adds the battery level where the browser has it. Browsers without one of
// these still track with what they have, and the page says what is missing.

import type { GpsPoint } from "../api/types";

/** What the GPS is doing. */
export type GpsState = "off" | "waiting" | "ok" | "denied" | "unavailable" | "unsupported";
/** Whether the screen is kept on. */
export type WakeState = "off" | "on" | "unsupported";

/** The part of a `GeolocationPosition` a fix is made from. */
export interface PositionLike {
  timestamp: number;
  coords: {
    latitude: number;
    longitude: number;
    accuracy: number;
    altitude: number | null;
    heading: number | null;
    speed: number | null;
  };
}

const finite = (v: number | null | undefined): number | null =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v;

/**
 * The point of a browser fix: its own timestamp (whole ms, the key of the
 * buffer and of the hub's track), heading only while moving (browsers report
 * NaN when standing), battery in percent.
 */
export function toGpsPoint(pos: PositionLike, batteryPct: number | null): GpsPoint {
  const c = pos.coords;
  const speed = finite(c.speed);
  return {
    ts_ms: Math.round(pos.timestamp),
    lat: c.latitude,
    lon: c.longitude,
    accuracy_m: finite(c.accuracy),
    speed_mps: speed === null ? null : Math.max(0, speed),
    heading_deg: speed !== null && speed > 0 ? finite(c.heading) : null,
    altitude_m: finite(c.altitude),
    battery_pct: batteryPct === null ? null : Math.round(batteryPct * 10) / 10,
  };
}

/** What the tracker reports to the page. */
export interface TrackerState {
  gps: GpsState;
  wake: WakeState;
  /** The latest fix. */
  last: GpsPoint | null;
}

interface WakeLockSentinelLike {
  released: boolean;
  release(): Promise<void>;
  addEventListener(type: "release", fn: () => void): void;
}

interface WakeLockLike {
  request(type: "screen"): Promise<WakeLockSentinelLike>;
}

interface BatteryLike {
  level: number;
  addEventListener(type: "levelchange", fn: () => void): void;
}

/** Watches the GPS, keeps the screen on, and hands every fix to `onFix`. */
export class Tracker {
  private watchId: number | null = null;
  private sentinel: WakeLockSentinelLike | null = null;
  private wanted = false;
  private battery: number | null = null;
  private state: TrackerState = { gps: "off", wake: "off", last: null };
  private readonly onVisible = () => {
    if (document.visibilityState === "visible" && this.wanted) void this.acquireWakeLock();
  };

  constructor(
    private readonly onFix: (p: GpsPoint) => void,
    private readonly onState: (s: TrackerState) => void,
  ) {}

  private set(patch: Partial<TrackerState>): void {
    this.state = { ...this.state, ...patch };
    this.onState({ ...this.state });
  }

  /** Start watching (idempotent). */
  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    document.addEventListener("visibilitychange", this.onVisible);
    void this.acquireWakeLock();
    void this.watchBattery();
    if (!("geolocation" in navigator)) {
      this.set({ gps: "unsupported" });
      return;
    }
    this.set({ gps: "waiting" });
    this.watchId = navigator.geolocation.watchPosition(
      (pos) => {
        const p = toGpsPoint(pos, this.battery);
        this.set({ gps: "ok", last: p });
        this.onFix(p);
      },
      (err) => {
        this.set({ gps: err.code === err.PERMISSION_DENIED ? "denied" : "unavailable" });
      },
      { enableHighAccuracy: true, maximumAge: 0 },
    );
  }

  /** Stop watching and let the screen turn off. */
  stop(): void {
    this.wanted = false;
    document.removeEventListener("visibilitychange", this.onVisible);
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    this.watchId = null;
    const s = this.sentinel;
    this.sentinel = null;
    if (s && !s.released) void s.release().catch(() => undefined);
    this.set({ gps: "off", wake: this.state.wake === "unsupported" ? "unsupported" : "off" });
  }

  private async acquireWakeLock(): Promise<void> {
    const wl = (navigator as Navigator & { wakeLock?: WakeLockLike }).wakeLock;
    if (!wl) {
      this.set({ wake: "unsupported" });
      return;
    }
    if (this.sentinel && !this.sentinel.released) return;
    try {
      const s = await wl.request("screen");
      if (!this.wanted) {
        void s.release().catch(() => undefined);
        return;
      }
      this.sentinel = s;
      s.addEventListener("release", () => {
        if (this.sentinel === s) this.sentinel = null;
        this.set({ wake: "off" });
      });
      this.set({ wake: "on" });
    } catch {
      // Refused (page hidden, battery saver, policy): try again when visible.
      this.set({ wake: "off" });
    }
  }

  private async watchBattery(): Promise<void> {
    const get = (navigator as Navigator & { getBattery?: () => Promise<BatteryLike> }).getBattery;
    if (!get) return;
    try {
      const b = await get.call(navigator);
      this.battery = b.level * 100;
      b.addEventListener("levelchange", () => {
        this.battery = b.level * 100;
      });
    } catch {
      this.battery = null;
    }
  }
}
