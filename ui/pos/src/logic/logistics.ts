// Replenishment and deliveries at the till, as pure functions the screens call:
// the sell screen's delivery banner and each delivery's "arriving in ~N min"
// text, the stock request form's lines, and the receiving count (scan to count
// up, +/−, damaged, expected vs counted with shortages and extras, the summary
// of the confirm step and the lines sent to `receive_delivery`). The core
// decides (it refuses a second receive, out-of-range counts); these only show
// beforehand what it will record.

import type { Key, Vars } from "../i18n";
import type { CountedLine, DeliveryView, Lifecycle, StockRequestLine } from "../logistics/types";

/** Largest quantity on one order line or count (sync_proto::logistics::MAX_ORDER_QTY). */
export const MAX_QTY = 100_000;
/** An estimate older than this is shown as "last known" (the hub sends one every 30 s). */
export const ETA_STALE_MS = 5 * 60_000;

// ---------------------------------------------------------------------------
// ETA and the banner

export interface EtaText {
  key: Key;
  vars: Vars;
  /** "arrived" (at the door, to receive), "soon" (≤ 10 min), "way" (on its way), "done". */
  tone: "arrived" | "soon" | "way" | "done";
}

/** Whole minutes until `etaMs`, at least 1 ("~1 min" rather than "~0 min"). */
export function minutesUntil(etaMs: number, now: number): number {
  return Math.max(1, Math.ceil((etaMs - now) / 60_000));
}

/** What one delivery's row says about where the truck is. */
export function etaText(d: DeliveryView, now: number): EtaText {
  if (d.received || d.status === "received") return { key: "logi.eta_received", vars: {}, tone: "done" };
  if (d.status === "cancelled") return { key: "logi.eta_cancelled", vars: {}, tone: "done" };
  if (d.status === "arrived" || d.arrived_ms != null) return { key: "logi.eta_arrived", vars: {}, tone: "arrived" };
  if (d.eta_ms != null) {
    const stale = d.eta_at_ms != null && now - d.eta_at_ms > ETA_STALE_MS;
    if (stale) {
      return { key: "logi.eta_stale", vars: { min: minutesUntil(d.eta_ms, now) }, tone: "way" };
    }
    if (d.eta_ms <= now) return { key: "logi.eta_due", vars: {}, tone: "soon" };
    const min = minutesUntil(d.eta_ms, now);
    if ((d.stops_before ?? 0) > 0) {
      return { key: "logi.eta_min_stops", vars: { min, stops: d.stops_before ?? 0 }, tone: min <= 10 ? "soon" : "way" };
    }
    return { key: "logi.eta_min", vars: { min }, tone: min <= 10 ? "soon" : "way" };
  }
  return { key: "logi.eta_on_way", vars: {}, tone: "way" };
}

/** Deliveries still to receive (not received, not cancelled). */
export function openDeliveries(ds: DeliveryView[]): DeliveryView[] {
  return ds.filter((d) => !d.received && d.status !== "received" && d.status !== "cancelled");
}

export interface Banner extends EtaText {
  shipment: string;
  /** Other open deliveries besides this one. */
  more: number;
}

/**
 * The sell screen's banner: a delivery at the door first ("Delivery arrived"),
 * else the one arriving soonest ("Delivery arriving in ~N min"), else one on its
 * way without an estimate. Null when nothing is on its way.
 */
export function deliveryBanner(ds: DeliveryView[], now: number): Banner | null {
  const open = openDeliveries(ds);
  if (!open.length) return null;
  const arrived = open.filter((d) => d.status === "arrived" || d.arrived_ms != null);
  const rank = (d: DeliveryView): number => (d.eta_ms == null ? Number.MAX_SAFE_INTEGER : d.eta_ms);
  const pick = arrived.length
    ? [...arrived].sort((a, b) => (a.arrived_ms ?? 0) - (b.arrived_ms ?? 0))[0]!
    : [...open].sort((a, b) => rank(a) - rank(b) || a.dispatched_ms - b.dispatched_ms)[0]!;
  const text = etaText(pick, now);
  return {
    key: BANNER_KEY[text.key] ?? "logi.banner_on_way",
    vars: { ...text.vars, driver: pick.driver_name },
    tone: text.tone,
    shipment: pick.shipment,
    more: open.length - 1,
  };
}

/** A row's text → the banner's sentence (which names the delivery). */
const BANNER_KEY: Partial<Record<Key, Key>> = {
  "logi.eta_min": "logi.banner_eta",
  "logi.eta_min_stops": "logi.banner_eta_stops",
  "logi.eta_due": "logi.banner_due",
  "logi.eta_stale": "logi.banner_stale",
  "logi.eta_on_way": "logi.banner_on_way",
  "logi.eta_arrived": "logi.banner_arrived",
};

/** The colour of a lifecycle state's tag. */
export function statusTone(s: Lifecycle): "" | "tag-accent" | "tag-good" | "tag-warn" | "tag-bad" {
  switch (s) {
    case "requested":
      return "";
    case "approved":
    case "picked":
    case "dispatched":
      return "tag-accent";
    case "arrived":
      return "tag-warn";
    case "received":
      return "tag-good";
    case "cancelled":
      return "tag-bad";
  }
}

// ---------------------------------------------------------------------------
// The stock request form

export interface RequestLine {
  sku: string;
  name: string | null;
  qty: number;
}

/** A typed quantity: a whole number 1 ..= 100,000, else null. */
export function parseQty(s: string): number | null {
  const t = s.trim();
  if (!/^\d{1,6}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= MAX_QTY ? n : null;
}

/** Add `qty` of `sku` (the same SKU again adds to its line, up to the maximum). */
export function addRequestLine(lines: RequestLine[], sku: string, name: string | null, qty: number): RequestLine[] {
  const i = lines.findIndex((l) => l.sku === sku);
  if (i < 0) return [...lines, { sku, name, qty: Math.min(qty, MAX_QTY) }];
  return lines.map((l, j) => (j === i ? { ...l, qty: Math.min(l.qty + qty, MAX_QTY) } : l));
}

/** Set a line's quantity (0 or less removes it). */
export function setRequestQty(lines: RequestLine[], sku: string, qty: number): RequestLine[] {
  if (qty <= 0) return lines.filter((l) => l.sku !== sku);
  return lines.map((l) => (l.sku === sku ? { ...l, qty: Math.min(qty, MAX_QTY) } : l));
}

/** The lines `request_stock` takes. */
export function toRequest(lines: RequestLine[]): StockRequestLine[] {
  return lines.filter((l) => l.qty > 0).map((l) => ({ sku: l.sku, qty: l.qty }));
}

// ---------------------------------------------------------------------------
// Receiving: the count

export interface CountLine {
  sku: string;
  name: string | null;
  /** What the delivery says (0 = not on it: an extra). */
  expected: number;
  /** Counted so far, damaged included. */
  received: number;
  /** Of those, damaged. */
  damaged: number;
}

export interface CountState {
  lines: CountLine[];
  /** The SKU counted last (highlighted). */
  last: string | null;
}

export type CountAction =
  | { type: "scan"; sku: string; name: string | null }
  | { type: "inc"; sku: string }
  | { type: "dec"; sku: string }
  | { type: "set"; sku: string; received: number }
  | { type: "damaged"; sku: string; damaged: number }
  | { type: "all_expected" }
  | { type: "reset"; delivery: DeliveryView };

/** A fresh count of `d`: every delivery line at 0. */
export function startCount(d: DeliveryView): CountState {
  return {
    lines: d.lines.map((l) => ({ sku: l.sku, name: l.name ?? null, expected: l.qty, received: 0, damaged: 0 })),
    last: null,
  };
}

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.floor(n)));

function update(s: CountState, sku: string, f: (l: CountLine) => CountLine): CountState {
  return { lines: s.lines.map((l) => (l.sku === sku ? f(l) : l)), last: sku };
}

function withReceived(l: CountLine, received: number): CountLine {
  const r = clamp(received, 0, MAX_QTY);
  return { ...l, received: r, damaged: Math.min(l.damaged, r) };
}

export function countReducer(s: CountState, a: CountAction): CountState {
  switch (a.type) {
    case "scan": {
      if (!s.lines.some((l) => l.sku === a.sku)) {
        // Not on the delivery: an extra line, expected 0.
        return { lines: [...s.lines, { sku: a.sku, name: a.name, expected: 0, received: 1, damaged: 0 }], last: a.sku };
      }
      return update(s, a.sku, (l) => withReceived({ ...l, name: l.name ?? a.name }, l.received + 1));
    }
    case "inc":
      return update(s, a.sku, (l) => withReceived(l, l.received + 1));
    case "dec":
      return update(s, a.sku, (l) => withReceived(l, l.received - 1));
    case "set":
      return update(s, a.sku, (l) => withReceived(l, Number.isFinite(a.received) ? a.received : 0));
    case "damaged":
      return update(s, a.sku, (l) => ({ ...l, damaged: clamp(Number.isFinite(a.damaged) ? a.damaged : 0, 0, l.received) }));
    case "all_expected":
      return { lines: s.lines.map((l) => (l.expected > 0 ? withReceived(l, l.expected) : l)), last: null };
    case "reset":
      return startCount(a.delivery);
  }
}

/** How a counted line compares with the delivery. */
export type LineState = "uncounted" | "exact" | "short" | "extra" | "damaged";

export function lineState(l: CountLine): LineState {
  if (l.received === 0 && l.expected > 0) return "uncounted";
  if (l.received < l.expected) return "short";
  if (l.received > l.expected) return "extra";
  return l.damaged > 0 ? "damaged" : "exact";
}

export interface CountSummary {
  expected: number;
  received: number;
  /** Units expected but not counted. */
  shortage: number;
  /** Units counted beyond what was expected (extras included). */
  extra: number;
  damaged: number;
  /** Units going on the shelf. */
  good: number;
  /** Lines with a shortage, an extra or damage. */
  problems: CountLine[];
  /** Delivery lines nobody counted (they are recorded as received 0). */
  uncounted: number;
  /** Everything exactly as the delivery said. */
  exact: boolean;
}

export function countSummary(s: CountState): CountSummary {
  let expected = 0;
  let received = 0;
  let shortage = 0;
  let extra = 0;
  let damaged = 0;
  let uncounted = 0;
  const problems: CountLine[] = [];
  for (const l of s.lines) {
    expected += l.expected;
    received += l.received;
    shortage += Math.max(0, l.expected - l.received);
    extra += Math.max(0, l.received - l.expected);
    damaged += l.damaged;
    if (l.expected > 0 && l.received === 0) uncounted++;
    if (lineState(l) !== "exact" && (l.expected > 0 || l.received > 0)) problems.push(l);
  }
  return {
    expected,
    received,
    shortage,
    extra,
    damaged,
    good: received - damaged,
    problems,
    uncounted,
    exact: shortage === 0 && extra === 0 && damaged === 0,
  };
}

/** The lines `receive_delivery` takes: what was counted (uncounted delivery lines count as 0 in the core). */
export function toCounted(s: CountState): CountedLine[] {
  return s.lines.filter((l) => l.received > 0).map((l) => ({ sku: l.sku, received: l.received, damaged: l.damaged }));
}
