// The buffer (real IndexedDB code on fake-indexeddb) and the sender against a
// hub stand-in that keeps points by ts_ms like the real one: batching in time
// order, nothing lost or doubled after failed sends and lost answers, exactly
// the sent points removed, 401 and 413 handling, retry backoff.

import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";

import type { BatchOutcome, GpsPoint, PositionBatch } from "../src/api/types";
import { IdbPointStore } from "../src/track/buffer";
import {
  MAX_POINTS_PER_BATCH,
  PositionSender,
  RETRY_MAX_MS,
  nextBatch,
  retryDelayMs,
  type Timers,
} from "../src/track/sender";

const T0 = 1_760_000_000_000;

function fix(i: number): GpsPoint {
  return {
    ts_ms: T0 + i * 1000,
    lat: 37.5 + i * 1e-4,
    lon: 127.0 + i * 1e-4,
    accuracy_m: 8,
    speed_mps: 10,
    heading_deg: 45,
    altitude_m: null,
    battery_pct: 80,
  };
}

/** Timers driven by hand: `fire()` runs the pending retry. */
class ManualTimers implements Timers {
  t = T0;
  pending: { fn: () => void; at: number } | null = null;
  delays: number[] = [];
  now = () => this.t;
  set = (fn: () => void, ms: number) => {
    this.delays.push(ms);
    this.pending = { fn, at: this.t + ms };
    return this.pending;
  };
  clear = (h: unknown) => {
    if (this.pending === h) this.pending = null;
  };
  random = () => 0.5;
  fire(): void {
    const p = this.pending;
    if (!p) throw new Error("no retry scheduled");
    this.pending = null;
    this.t = p.at;
    p.fn();
  }
}

type Mode = "ok" | "down" | "lose_answer" | "unauthorized" | "too_large" | "refuse_future";

/** Stands in for the hub's endpoint: stores by ts_ms, says what happened. */
class HubStandIn {
  stored = new Map<number, GpsPoint>();
  order: number[] = [];
  batches: PositionBatch[] = [];
  mode: Mode = "ok";
  maxPoints = Infinity;

  post = async (batch: PositionBatch): Promise<BatchOutcome> => {
    this.batches.push(structuredClone(batch));
    const err = (status: number, message: string) => Object.assign(new Error(message), { status });
    if (this.mode === "down") throw err(0, "the hub could not be reached");
    if (this.mode === "unauthorized") throw err(401, "log in again");
    if (this.mode === "too_large" && batch.points.length > this.maxPoints) throw err(413, "too many points");
    let stored = 0;
    let duplicates = 0;
    const rejected: Record<string, number> = {};
    for (const p of batch.points) {
      if (this.mode === "refuse_future" && p.ts_ms > T0 + 1_000_000) {
        rejected.future_timestamp = (rejected.future_timestamp ?? 0) + 1;
        continue;
      }
      if (this.stored.has(p.ts_ms)) duplicates += 1;
      else {
        this.stored.set(p.ts_ms, p);
        this.order.push(p.ts_ms);
        stored += 1;
      }
    }
    if (this.mode === "lose_answer") throw err(0, "the answer was lost");
    const newest = Math.max(...this.stored.keys());
    if (duplicates > 0) rejected.duplicate = duplicates;
    return { stored, duplicates, rejected, newest_ts_ms: newest };
  };
}

async function setup(maxBatch = MAX_POINTS_PER_BATCH) {
  const store = await IdbPointStore.open(new IDBFactory(), `t-${Math.random()}`);
  const hub = new HubStandIn();
  const timers = new ManualTimers();
  const sender = new PositionSender(store, hub.post, timers, maxBatch);
  return { store, hub, timers, sender };
}

describe("the IndexedDB buffer", () => {
  it("returns fixes in time order whatever order they were written in, one per timestamp", async () => {
    const store = await IdbPointStore.open(new IDBFactory(), "order");
    for (const i of [5, 1, 3, 2, 4, 3]) await store.put({ shipment: "s1", point: fix(i) });
    expect(await store.count()).toBe(5);
    const all = await store.oldest(10);
    expect(all.map((b) => b.point.ts_ms)).toEqual([1, 2, 3, 4, 5].map((i) => T0 + i * 1000));
    expect((await store.oldest(2)).length).toBe(2);
    await store.remove([T0 + 2000, T0 + 4000]);
    expect((await store.oldest(10)).map((b) => b.point.ts_ms)).toEqual([T0 + 1000, T0 + 3000, T0 + 5000]);
    store.close();
  });

  it("keeps its fixes when the page is opened again", async () => {
    const factory = new IDBFactory();
    const first = await IdbPointStore.open(factory, "reopen");
    await first.put({ shipment: null, point: fix(1) });
    first.close();
    const again = await IdbPointStore.open(factory, "reopen");
    expect(await again.oldest(5)).toEqual([{ shipment: null, point: fix(1) }]);
  });
});

describe("batches", () => {
  it("are the oldest fixes of one shipment", () => {
    const b = nextBatch([
      { shipment: "a", point: fix(1) },
      { shipment: "a", point: fix(2) },
      { shipment: "b", point: fix(3) },
      { shipment: "a", point: fix(4) },
    ]);
    expect(b).toEqual({ shipment: "a", points: [fix(1), fix(2)] });
    expect(nextBatch([])).toBeNull();
  });

  it("retry delays double from 1 s up to a minute, with jitter", () => {
    expect(retryDelayMs(1, 0.5)).toBe(1000);
    expect(retryDelayMs(2, 0.5)).toBe(2000);
    expect(retryDelayMs(4, 0.5)).toBe(8000);
    expect(retryDelayMs(30, 0.5)).toBe(RETRY_MAX_MS);
    expect(retryDelayMs(1, 0)).toBe(800);
    expect(retryDelayMs(1, 1)).toBe(1200);
  });
});

describe("the sender", () => {
  it("sends each fix once, in order, and empties the buffer", async () => {
    const { hub, sender, store } = await setup();
    for (let i = 0; i < 5; i++) {
      await sender.record("s1", fix(i));
      await sender.idle();
    }
    expect(hub.order).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 1000));
    expect(await store.count()).toBe(0);
    expect(sender.status()).toMatchObject({ buffered: 0, failures: 0, confirmed: 5, lastError: null });
  });

  it("an hour offline goes in one batch of 3,600, in order, without resending what was already sent", async () => {
    const { hub, timers, sender, store } = await setup();
    for (let i = 0; i < 10; i++) await sender.record("s1", fix(i));
    await sender.idle();
    const before = hub.batches.length;
    hub.mode = "down";
    for (let i = 10; i < 10 + 3600; i++) await sender.record("s1", fix(i));
    await sender.idle();
    expect(await store.count()).toBe(3600);
    expect(sender.status().failures).toBeGreaterThan(0);
    hub.mode = "ok";
    timers.fire();
    await sender.idle();
    const after = hub.batches.slice(before);
    const okBatch = after[after.length - 1];
    expect(okBatch?.points.length).toBe(3600);
    expect(okBatch?.points.map((p) => p.ts_ms)).toEqual(Array.from({ length: 3600 }, (_, k) => T0 + (10 + k) * 1000));
    // Nothing that was confirmed before the outage was sent again.
    for (const b of after) expect(b.points.every((p) => p.ts_ms >= T0 + 10_000)).toBe(true);
    expect(hub.order.length).toBe(3610);
    expect(new Set(hub.order).size).toBe(3610);
    expect(await store.count()).toBe(0);
  });

  it("splits a longer outage into batches of at most 3,600, oldest first", async () => {
    const { hub, timers, sender } = await setup();
    hub.mode = "down";
    for (let i = 0; i < 4000; i++) await sender.record("s1", fix(i));
    await sender.idle();
    hub.mode = "ok";
    timers.fire();
    await sender.idle();
    const ok = hub.batches.filter((b) => b.points.length > 1).slice(-2);
    expect(ok.map((b) => b.points.length)).toEqual([3600, 400]);
    expect(hub.order).toEqual(Array.from({ length: 4000 }, (_, k) => T0 + k * 1000));
  });

  it("keeps a batch whose answer was lost, resends it and stores nothing twice", async () => {
    const { hub, timers, sender, store } = await setup();
    hub.mode = "lose_answer";
    await sender.record("s1", fix(1));
    await sender.record("s1", fix(2));
    await sender.idle();
    expect(hub.stored.size).toBeGreaterThan(0);
    expect(await store.count()).toBe(2);
    hub.mode = "ok";
    timers.fire();
    await sender.idle();
    expect(hub.order).toEqual([T0 + 1000, T0 + 2000]);
    expect(await store.count()).toBe(0);
  });

  it("removes exactly the fixes it sent, not those measured while the request was out", async () => {
    const store = await IdbPointStore.open(new IDBFactory(), "inflight");
    const hub = new HubStandIn();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const post = async (b: PositionBatch) => {
      if (first) {
        first = false;
        await gate;
      }
      return hub.post(b);
    };
    const sender = new PositionSender(store, post, new ManualTimers());
    await sender.record("s1", fix(1));
    // The first request is out; two more fixes arrive meanwhile.
    await sender.record("s1", fix(2));
    await sender.record("s1", fix(3));
    expect(await store.count()).toBe(3);
    release();
    await sender.idle();
    expect(hub.batches.map((b) => b.points.map((p) => p.ts_ms))).toEqual([[T0 + 1000], [T0 + 2000, T0 + 3000]]);
    expect(await store.count()).toBe(0);
  });

  it("backs off while the hub is unreachable and retries at once when told (online)", async () => {
    const { hub, timers, sender } = await setup();
    hub.mode = "down";
    await sender.record("s1", fix(1));
    await sender.idle();
    timers.fire();
    await sender.idle();
    timers.fire();
    await sender.idle();
    expect(timers.delays).toEqual([1000, 2000, 4000]);
    expect(sender.status()).toMatchObject({ failures: 3, buffered: 1, lastError: "the hub could not be reached", lastErrorStatus: 0 });
    expect(sender.status().retryAtMs).not.toBeNull();
    // New fixes while a retry is scheduled wait for it (no request per fix).
    const sent = hub.batches.length;
    await sender.record("s1", fix(2));
    await sender.idle();
    expect(hub.batches.length).toBe(sent);
    hub.mode = "ok";
    sender.flushNow();
    await sender.idle();
    expect(timers.pending).toBeNull();
    expect(hub.order).toEqual([T0 + 1000, T0 + 2000]);
    expect(sender.status()).toMatchObject({ failures: 0, buffered: 0, retryAtMs: null, lastError: null, lastErrorStatus: null });
  });

  it("waits for a new login after 401 and keeps the fixes", async () => {
    const { hub, timers, sender, store } = await setup();
    hub.mode = "unauthorized";
    await sender.record("s1", fix(1));
    await sender.idle();
    expect(sender.status()).toMatchObject({ needsLogin: true, lastErrorStatus: 401 });
    expect(timers.pending).toBeNull();
    await sender.record("s1", fix(2));
    await sender.idle();
    expect(hub.batches.length).toBe(1);
    expect(await store.count()).toBe(2);
    hub.mode = "ok";
    sender.resume();
    await sender.idle();
    expect(hub.order).toEqual([T0 + 1000, T0 + 2000]);
    expect(sender.status().needsLogin).toBe(false);
  });

  it("halves a batch the hub finds too large", async () => {
    const { hub, timers, sender } = await setup();
    hub.mode = "down";
    for (let i = 0; i < 10; i++) await sender.record("s1", fix(i));
    await sender.idle();
    hub.mode = "too_large";
    hub.maxPoints = 3;
    const before = hub.batches.length;
    timers.fire();
    await sender.idle();
    expect(hub.order).toEqual(Array.from({ length: 10 }, (_, k) => T0 + k * 1000));
    // 10 refused, 5 refused, then 2+2+2+2+2 (halved to 2 after 5 was refused).
    expect(hub.batches.slice(before).map((b) => b.points.length)).toEqual([10, 5, 2, 2, 2, 2, 2]);
    expect(timers.pending).toBeNull();
  });

  it("sends each shipment's fixes in their own batches", async () => {
    const { hub, timers, sender } = await setup();
    hub.mode = "down";
    await sender.record("s1", fix(1));
    await sender.record("s1", fix(2));
    await sender.record("s2", fix(3));
    await sender.idle();
    hub.mode = "ok";
    timers.fire();
    await sender.idle();
    const ok = hub.batches.slice(-2);
    expect(ok.map((b) => [b.shipment, b.points.length])).toEqual([
      ["s1", 2],
      ["s2", 1],
    ]);
  });

  it("forgets what the hub's filter refused, and counts it for the driver", async () => {
    const { hub, sender, store } = await setup();
    hub.mode = "refuse_future";
    await sender.record("s1", fix(1));
    await sender.record("s1", { ...fix(2), ts_ms: T0 + 9_000_000 });
    await sender.idle();
    expect(await store.count()).toBe(0);
    expect(hub.order).toEqual([T0 + 1000]);
    expect(sender.status().refused).toEqual({ future_timestamp: 1 });
  });
});
