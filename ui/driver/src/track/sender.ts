// The sender: moves buffered fixes from IndexedDB to the hub in batches.
//
// - A batch is the oldest fixes in time order, up to 3,600 (an hour at 1 Hz)
//   and all of one shipment; the next batch starts where it ended.
// - A fix leaves the buffer only after the hub answered 200 for the batch
//   that carried it, and exactly the fixes of that batch leave (fixes measured
//   while the request was out stay for the next one).
// - A failed send keeps everything and tries again after 1 s, 2 s, 4 s … at
//   most 60 s (with some jitter, so phones coming back together do not all
//   send at the same instant); `flushNow` (the browser's `online` event, the
//   driver's "send now") retries at once. A resent batch whose first answer
//   was lost is harmless: the hub keys a point by (driver, ts_ms).
// - 401: the session ended; nothing is sent until `resume` after a new login.
// - 413: the batch was too large for the hub; it is halved and sent again.

import type { BatchOutcome, GpsPoint, PositionBatch } from "../api/types";
import type { BufferedPoint, PointStore } from "./buffer";

/** Most fixes in one request (an hour offline at 1 Hz; the hub takes up to 10,000). */
export const MAX_POINTS_PER_BATCH = 3600;
/** First retry delay after a failed send. */
export const RETRY_BASE_MS = 1000;
/** Longest retry delay. */
export const RETRY_MAX_MS = 60_000;

/** Clock, timers and randomness (the page's own; tests pass controllable ones). */
export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
  random(): number;
}

/** The browser's timers. */
export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

/** What the page shows about sending. */
export interface SenderStatus {
  /** Fixes waiting in the buffer. */
  buffered: number;
  /** A request is out. */
  sending: boolean;
  /** Failed sends in a row (0 after a success). */
  failures: number;
  /** The last failure's message, until a send succeeds. */
  lastError: string | null;
  /** The last failure's HTTP status (0: the hub was not reached), until a send succeeds. */
  lastErrorStatus: number | null;
  /** When the hub last confirmed a batch (page clock). */
  lastSentMs: number | null;
  /** When the next retry is due, while one is scheduled. */
  retryAtMs: number | null;
  /** The session ended (401): sending waits for a new login. */
  needsLogin: boolean;
  /** Fixes the hub confirmed since the page opened. */
  confirmed: number;
  /** Of those, fixes its filter dropped (bad clock, poor accuracy, impossible jump), by reason. */
  refused: Record<string, number>;
}

/** An error with an HTTP status (the API client's `ApiError`). */
interface WithStatus {
  status?: unknown;
  message?: unknown;
}

function statusOf(e: unknown): number {
  const s = (e as WithStatus | null)?.status;
  return typeof s === "number" ? s : 0;
}

function messageOf(e: unknown): string {
  const m = (e as WithStatus | null)?.message;
  return typeof m === "string" && m !== "" ? m : String(e);
}

/** Delay before retry number `failures` (1-based): doubling from 1 s, capped at 60 s, ±20 % jitter. */
export function retryDelayMs(failures: number, random: number): number {
  const base = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}

/** `a` plus `b`, per reason (the hub's `rejected` map; `duplicate` is a resend, not a refusal). */
function addCounts(a: Record<string, number>, b: { [key in string]?: number }): Record<string, number> {
  const out = { ...a };
  for (const [reason, n] of Object.entries(b)) {
    if (reason === "duplicate" || !n) continue;
    out[reason] = (out[reason] ?? 0) + n;
  }
  return out;
}

/** The next batch: the oldest fixes that share the first one's shipment, in time order. */
export function nextBatch(oldest: BufferedPoint[]): PositionBatch | null {
  const first = oldest[0];
  if (!first) return null;
  const points: GpsPoint[] = [];
  for (const b of oldest) {
    if (b.shipment !== first.shipment) break;
    points.push(b.point);
  }
  return { shipment: first.shipment, points };
}

/** Moves the buffer to the hub; see the module comment. */
export class PositionSender {
  private readonly listeners = new Set<(s: SenderStatus) => void>();
  private state: SenderStatus = {
    buffered: 0,
    sending: false,
    failures: 0,
    lastError: null,
    lastErrorStatus: null,
    lastSentMs: null,
    retryAtMs: null,
    needsLogin: false,
    confirmed: 0,
    refused: {},
  };
  private retryTimer: unknown = null;
  private again = false;
  private batchSize = MAX_POINTS_PER_BATCH;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly store: PointStore,
    private readonly post: (batch: PositionBatch) => Promise<BatchOutcome>,
    private readonly timers: Timers = realTimers,
    readonly maxBatch = MAX_POINTS_PER_BATCH,
  ) {
    this.batchSize = maxBatch;
  }

  /** The current status. */
  status(): SenderStatus {
    return { ...this.state };
  }

  /** Call `fn` on every status change; returns the unsubscribe. */
  subscribe(fn: (s: SenderStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<SenderStatus>): void {
    this.state = { ...this.state, ...patch };
    const snapshot = this.status();
    for (const fn of this.listeners) fn(snapshot);
  }

  /** Read the buffer's size (on start, to show what an earlier visit left). */
  async refresh(): Promise<void> {
    this.set({ buffered: await this.store.count() });
  }

  /** Buffer a fix durably, then send (resolves once it is in IndexedDB). */
  async record(shipment: string | null, point: GpsPoint): Promise<void> {
    await this.store.put({ shipment, point });
    this.set({ buffered: await this.store.count() });
    this.kick();
  }

  /** Send now unless a send is out, a retry is scheduled, or the session ended. */
  kick(): void {
    if (this.stopped || this.state.needsLogin || this.retryTimer !== null) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
    });
  }

  /** Retry at once (back online; the driver asked). */
  flushNow(): void {
    this.cancelRetry();
    this.kick();
  }

  /** After a new login: sending may go on. */
  resume(): void {
    this.set({ needsLogin: false });
    this.flushNow();
  }

  /** Wait until the current send (if any) is over. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stop sending (the page is closing the tracker); the buffer stays. */
  stop(): void {
    this.stopped = true;
    this.cancelRetry();
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.timers.clear(this.retryTimer);
    this.retryTimer = null;
    if (this.state.retryAtMs !== null) this.set({ retryAtMs: null });
  }

  private scheduleRetry(): void {
    const delay = retryDelayMs(this.state.failures, this.timers.random());
    this.retryTimer = this.timers.set(() => {
      this.retryTimer = null;
      this.set({ retryAtMs: null });
      this.kick();
    }, delay);
    this.set({ retryAtMs: this.timers.now() + delay });
  }

  private async run(): Promise<void> {
    this.set({ sending: true });
    try {
      for (;;) {
        this.again = false;
        const oldest = await this.store.oldest(this.batchSize);
        const batch = nextBatch(oldest);
        if (!batch) {
          this.batchSize = this.maxBatch;
          if (this.again) continue;
          break;
        }
        if (!(await this.send(batch))) break;
        if (this.stopped) break;
      }
    } catch (e) {
      // The buffer itself failed (IndexedDB): try again later like a failed send.
      this.set({ failures: this.state.failures + 1, lastError: messageOf(e), lastErrorStatus: null });
      this.scheduleRetry();
    } finally {
      this.set({ sending: false, buffered: await this.store.count().catch(() => this.state.buffered) });
    }
  }

  /** Send one batch; true when it was confirmed (and removed) or should be resent smaller at once. */
  private async send(batch: PositionBatch): Promise<boolean> {
    let outcome: BatchOutcome;
    try {
      outcome = await this.post(batch);
    } catch (e) {
      const status = statusOf(e);
      if (status === 401) {
        this.set({ needsLogin: true, lastError: messageOf(e), lastErrorStatus: status });
        return false;
      }
      if (status === 413 && batch.points.length > 1) {
        this.batchSize = Math.max(1, Math.floor(batch.points.length / 2));
        return true;
      }
      this.set({ failures: this.state.failures + 1, lastError: messageOf(e), lastErrorStatus: status });
      if (!this.stopped) this.scheduleRetry();
      return false;
    }
    await this.store.remove(batch.points.map((p) => p.ts_ms));
    this.set({
      failures: 0,
      lastError: null,
      lastErrorStatus: null,
      lastSentMs: this.timers.now(),
      confirmed: this.state.confirmed + batch.points.length,
      refused: addCounts(this.state.refused, outcome.rejected),
      buffered: await this.store.count(),
    });
    return true;
  }
}
