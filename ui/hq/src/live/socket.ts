// The /api/v1/events WebSocket: one shared connection for the whole console
// (session cookie), reconnecting with backoff, fanning JSON messages out to
// subscribers, and reporting its state for the live indicator.

import type { Event as LiveEvent } from "../api/types/Event";

export type LiveStatus = "connecting" | "live" | "offline";

type Listener = (e: LiveEvent) => void;
type StatusListener = (s: LiveStatus) => void;

/** Reconnect delay after `attempt` failures: 0.5 s doubling to 15 s. */
export function backoffMs(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** Math.max(0, attempt));
}

/** Parse one text message; null when it is not an event object. */
export function parseEvent(data: unknown): LiveEvent | null {
  if (typeof data !== "string") return null;
  try {
    const v: unknown = JSON.parse(data);
    if (v && typeof v === "object" && typeof (v as { type?: unknown }).type === "string") {
      return v as LiveEvent;
    }
  } catch {
    return null;
  }
  return null;
}

class LiveSocket {
  private ws: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<StatusListener>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private wanted = false;
  status: LiveStatus = "offline";

  start(): void {
    this.wanted = true;
    if (!this.ws) this.open();
  }

  stop(): void {
    this.wanted = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ws?.close();
    this.ws = null;
    this.setStatus("offline");
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  onStatus(l: StatusListener): () => void {
    this.statusListeners.add(l);
    l(this.status);
    return () => this.statusListeners.delete(l);
  }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    for (const l of this.statusListeners) l(s);
  }

  private open(): void {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    this.setStatus("connecting");
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${proto}//${location.host}/api/v1/events`);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setStatus("live");
    };
    ws.onmessage = (m) => {
      const e = parseEvent(m.data);
      if (!e) return;
      for (const l of this.listeners) l(e);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.setStatus("offline");
      this.retry();
    };
  }

  private retry(): void {
    if (!this.wanted || this.timer) return;
    const delay = backoffMs(this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.wanted && !this.ws) this.open();
    }, delay);
  }
}

export const live = new LiveSocket();
