// The tracker against stand-ins of the browser's Geolocation, Wake Lock and
// page-visibility APIs (headless Chromium never hides a page, so the
// re-acquire on `visibilitychange` is checked here): every fix reaches the
// buffer, a denied permission is reported, the screen lock is taken on start,
// taken again when the page is visible after the browser dropped it, and let
// go on stop; a browser without the Wake Lock API still tracks.

import { afterEach, describe, expect, it, vi } from "vitest";

import type { GpsPoint } from "../src/api/types";
import { Tracker, type TrackerState } from "../src/track/tracker";

class FakeSentinel {
  released = false;
  private listeners: (() => void)[] = [];
  addEventListener(_t: "release", fn: () => void) {
    this.listeners.push(fn);
  }
  async release() {
    this.drop();
  }
  /** The browser lets go (page hidden) or the page released it. */
  drop() {
    if (this.released) return;
    this.released = true;
    for (const fn of this.listeners) fn();
  }
}

class FakeWakeLock {
  sentinels: FakeSentinel[] = [];
  refuse = false;
  async request(type: "screen") {
    expect(type).toBe("screen");
    if (this.refuse) throw Object.assign(new Error("denied"), { name: "NotAllowedError" });
    const s = new FakeSentinel();
    this.sentinels.push(s);
    return s;
  }
  get held() {
    return this.sentinels.filter((s) => !s.released).length;
  }
}

type Success = (p: GeolocationPosition) => void;
type Failure = (e: GeolocationPositionError) => void;

class FakeGeolocation {
  watches = new Map<number, { ok: Success; fail: Failure; opts: PositionOptions | undefined }>();
  next = 1;
  watchPosition(ok: Success, fail: Failure, opts?: PositionOptions) {
    const id = this.next++;
    this.watches.set(id, { ok, fail, opts });
    return id;
  }
  clearWatch(id: number) {
    this.watches.delete(id);
  }
  emit(ts: number, lat: number, lon: number) {
    for (const w of this.watches.values())
      w.ok({
        timestamp: ts,
        coords: { latitude: lat, longitude: lon, accuracy: 5, altitude: null, heading: null, speed: null },
      } as unknown as GeolocationPosition);
  }
  deny() {
    for (const w of this.watches.values())
      w.fail({ code: 1, PERMISSION_DENIED: 1, POSITION_UNAVAILABLE: 2, TIMEOUT: 3, message: "denied" } as GeolocationPositionError);
  }
}

class FakeDocument {
  visibilityState: "visible" | "hidden" = "visible";
  private listeners: (() => void)[] = [];
  addEventListener(_t: string, fn: () => void) {
    this.listeners.push(fn);
  }
  removeEventListener(_t: string, fn: () => void) {
    this.listeners = this.listeners.filter((f) => f !== fn);
  }
  set(state: "visible" | "hidden") {
    this.visibilityState = state;
    for (const fn of this.listeners) fn();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));

function browser(withWakeLock = true) {
  const geo = new FakeGeolocation();
  const wake = new FakeWakeLock();
  const doc = new FakeDocument();
  vi.stubGlobal("navigator", withWakeLock ? { geolocation: geo, wakeLock: wake } : { geolocation: geo });
  vi.stubGlobal("document", doc);
  const fixes: GpsPoint[] = [];
  const states: TrackerState[] = [];
  const tracker = new Tracker(
    (p) => fixes.push(p),
    (s) => states.push(s),
  );
  const state = () => states[states.length - 1];
  return { geo, wake, doc, fixes, tracker, state };
}

afterEach(() => vi.unstubAllGlobals());

describe("the tracker", () => {
  it("watches with high accuracy and hands on every fix", async () => {
    const b = browser();
    b.tracker.start();
    b.tracker.start();
    expect(b.geo.watches.size).toBe(1);
    expect([...b.geo.watches.values()][0]?.opts).toMatchObject({ enableHighAccuracy: true, maximumAge: 0 });
    expect(b.state()?.gps).toBe("waiting");
    b.geo.emit(1000, 37.5, 127);
    b.geo.emit(2000, 37.501, 127);
    expect(b.fixes.map((p) => [p.ts_ms, p.lat])).toEqual([
      [1000, 37.5],
      [2000, 37.501],
    ]);
    expect(b.state()).toMatchObject({ gps: "ok", last: { ts_ms: 2000 } });
    b.tracker.stop();
    expect(b.geo.watches.size).toBe(0);
    expect(b.state()?.gps).toBe("off");
  });

  it("reports a denied location permission", () => {
    const b = browser();
    b.tracker.start();
    b.geo.deny();
    expect(b.state()?.gps).toBe("denied");
  });

  it("keeps the screen on, takes the lock again when the page is visible again, lets go on stop", async () => {
    const b = browser();
    b.tracker.start();
    await settle();
    expect(b.wake.held).toBe(1);
    expect(b.state()?.wake).toBe("on");
    // The phone hides the page: the browser releases the lock.
    b.doc.visibilityState = "hidden";
    b.wake.sentinels[0]?.drop();
    b.doc.set("hidden");
    await settle();
    expect(b.state()?.wake).toBe("off");
    expect(b.wake.sentinels.length).toBe(1);
    // Back in front: taken again.
    b.doc.set("visible");
    await settle();
    expect(b.wake.held).toBe(1);
    expect(b.wake.sentinels.length).toBe(2);
    expect(b.state()?.wake).toBe("on");
    // Visible again while held: no second lock.
    b.doc.set("visible");
    await settle();
    expect(b.wake.sentinels.length).toBe(2);
    b.tracker.stop();
    await settle();
    expect(b.wake.held).toBe(0);
    expect(b.state()?.wake).toBe("off");
    // Stopped: visibility no longer takes the lock.
    b.doc.set("visible");
    await settle();
    expect(b.wake.sentinels.length).toBe(2);
  });

  it("tries again on the next visibility when the lock is refused", async () => {
    const b = browser();
    b.wake.refuse = true;
    b.tracker.start();
    await settle();
    expect(b.state()?.wake).toBe("off");
    b.wake.refuse = false;
    b.doc.set("visible");
    await settle();
    expect(b.state()?.wake).toBe("on");
  });

  it("tracks without the Wake Lock API and says so", async () => {
    const b = browser(false);
    b.tracker.start();
    await settle();
    expect(b.state()?.wake).toBe("unsupported");
    b.geo.emit(1000, 37.5, 127);
    expect(b.fixes.length).toBe(1);
    b.tracker.stop();
    expect(b.state()?.wake).toBe("unsupported");
  });
});
