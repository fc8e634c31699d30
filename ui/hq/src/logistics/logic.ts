// The pure logic of the Replenishment and Shipments pages: the lifecycle
// order, folding `order` / `shipment` messages of the live socket into the
// lists (never going back to an older state), the approve form (edited
// quantities → approved lines), HQ's order form, the shipment builder (which
// orders, the route = the order of the stops) and its checks, the receiving
// differences, and the ETA / distance / speed texts.

import type { Key, Vars } from "../i18n";
import type {
  CreateShipment,
  Lifecycle,
  LivePosition,
  PositionsEvent,
  StopEta,
  OrderEvent,
  OrderJson,
  OrderLine,
  ReceivingJson,
  ReceivingLineJson,
  ShipmentEvent,
  ShipmentJson,
} from "./types";

/** The largest quantity of one order line (`sync_proto::logistics::MAX_ORDER_QTY`). */
export const MAX_ORDER_QTY = 100_000;
/** The most lines one order may have (`sync_proto::logistics::MAX_ORDER_LINES`). */
export const MAX_ORDER_LINES = 500;
/** The geofence radius a store gets by default (`sync_proto::logistics::DEFAULT_GEOFENCE_M`). */
export const DEFAULT_GEOFENCE_M = 150;
/** The largest geofence radius the hub accepts, in metres. */
export const MAX_GEOFENCE_M = 5_000;

/** The lifecycle in its order; `cancelled` ranks above everything (it always wins). */
export const LIFECYCLE: Lifecycle[] = ["requested", "approved", "picked", "dispatched", "arrived", "received", "cancelled"];

/** A translated message: a dictionary key and its placeholders. */
export interface Msg {
  key: Key;
  vars?: Vars;
}

const msg = (key: string, vars?: Vars): Msg => ({ key: key as Key, vars });

export function rank(s: Lifecycle): number {
  return LIFECYCLE.indexOf(s);
}

/** The badge tone of a status. */
export function statusTone(s: Lifecycle): "good" | "bad" | "warn" | "muted" | "info" {
  switch (s) {
    case "requested":
      return "warn";
    case "approved":
    case "picked":
      return "info";
    case "dispatched":
      return "info";
    case "arrived":
      return "good";
    case "received":
      return "good";
    case "cancelled":
      return "muted";
  }
}

/** The first 8 characters of a UUID, as the pages show ids. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

// ---------------------------------------------------------------------------
// Live lists

/** Is `b` at least as far along as `a` (so it may replace it)? Status first, then its time. */
export function orderNotOlder(a: OrderJson, b: OrderJson): boolean {
  const ra = rank(a.status);
  const rb = rank(b.status);
  if (rb !== ra) return rb > ra;
  return b.status_at_ms >= a.status_at_ms;
}

/** How far a shipment is: its stops' statuses added up (every status change moves it up). */
export function shipmentProgress(s: ShipmentJson): number {
  return rank(s.status) * 1000 + s.stops.reduce((n, st) => n + rank(st.status), 0) + (s.stops.some((st) => st.receiving) ? 1 : 0);
}

/** Filters of a list view (empty = everything). */
export interface ListFilter {
  store?: string | null;
  status?: string | null;
}

export function orderMatches(o: OrderJson, f: ListFilter): boolean {
  return (!f.store || o.store === f.store) && (!f.status || o.status === f.status);
}

export function shipmentMatches(s: ShipmentJson, f: ListFilter): boolean {
  return (!f.store || s.stops.some((st) => st.store === f.store)) && (!f.status || s.status === f.status);
}

/** Newest first. */
function byPlaced(a: OrderJson, b: OrderJson): number {
  return b.placed_ms - a.placed_ms || (a.id < b.id ? -1 : 1);
}

/**
 * Fold an order the hub sent into a list filtered by `f`: replace the same id
 * (unless the list already has a later state), add a new one that matches,
 * and drop one that no longer matches (e.g. approved while showing "requested").
 */
export function upsertOrder(list: OrderJson[], o: OrderJson, f: ListFilter): OrderJson[] {
  const i = list.findIndex((x) => x.id === o.id);
  if (i >= 0) {
    const old = list[i] as OrderJson;
    if (!orderNotOlder(old, o)) return list;
    if (!orderMatches(o, f)) return list.filter((x) => x.id !== o.id);
    const out = list.slice();
    out[i] = o;
    return out;
  }
  if (!orderMatches(o, f)) return list;
  return [...list, o].sort(byPlaced);
}

/** As `upsertOrder`, for shipments (newest created first). */
export function upsertShipment(list: ShipmentJson[], s: ShipmentJson, f: ListFilter): ShipmentJson[] {
  const i = list.findIndex((x) => x.id === s.id);
  if (i >= 0) {
    const old = list[i] as ShipmentJson;
    if (shipmentProgress(s) < shipmentProgress(old)) return list;
    if (!shipmentMatches(s, f)) return list.filter((x) => x.id !== s.id);
    const out = list.slice();
    out[i] = s;
    return out;
  }
  if (!shipmentMatches(s, f)) return list;
  return [s, ...list].sort((a, b) => b.created_ms - a.created_ms);
}

/** What the Replenishment and Shipments pages hold. */
export interface LogiState {
  orders: OrderJson[] | null;
  shipments: ShipmentJson[] | null;
  /** `lagged` arrived: some events were dropped, the page must refetch. */
  stale: boolean;
}

export type LogiAction =
  | { type: "orders"; list: OrderJson[] }
  | { type: "shipments"; list: ShipmentJson[] }
  | { type: "lagged" }
  | OrderEvent
  | ShipmentEvent
  | PositionsEvent;

export function initialLogi(): LogiState {
  return { orders: null, shipments: null, stale: false };
}

/** Fold a fetch or a live message into the page state; `f` is the page's filter. */
export function reduceLogi(state: LogiState, action: LogiAction, f: ListFilter): LogiState {
  switch (action.type) {
    case "orders":
      return { ...state, orders: action.list.slice().sort(byPlaced), stale: false };
    case "shipments":
      return { ...state, shipments: action.list, stale: false };
    case "lagged":
      return { ...state, stale: true };
    case "order":
      if (!action.order || typeof action.order.id !== "string") return state;
      return state.orders ? { ...state, orders: upsertOrder(state.orders, action.order, f) } : state;
    case "shipment":
      if (!action.shipment || typeof action.shipment.id !== "string") return state;
      return state.shipments ? { ...state, shipments: upsertShipment(state.shipments, action.shipment, f) } : state;
    case "positions": {
      if (!state.shipments || !Array.isArray(action.points)) return state;
      const shipments = applyEtas(state.shipments, action.points);
      return shipments === state.shipments ? state : { ...state, shipments };
    }
    default:
      return state;
  }
}

/**
 * The ETAs a `positions` message carries, put on the stops of the listed
 * shipments (the same array back when nothing moved, so nothing re-renders).
 * A position's `eta` lists the stops still ahead, so a minute-level change is
 * what shows; the last point of a driver in the message wins.
 */
export function applyEtas(list: ShipmentJson[], points: LivePosition[]): ShipmentJson[] {
  const latest = new Map<string, StopEta[]>();
  for (const p of points) if (p && p.shipment && Array.isArray(p.eta)) latest.set(p.shipment, p.eta);
  if (latest.size === 0) return list;
  let out: ShipmentJson[] | null = null;
  list.forEach((s, i) => {
    const eta = latest.get(s.id);
    if (!eta) return;
    let changed = false;
    const stops = s.stops.map((st) => {
      const e = eta.find((x) => x.store === st.store);
      if (!e || (e.eta_ms === st.eta_ms && e.distance_m === st.distance_m)) return st;
      changed = true;
      return { ...st, eta_ms: e.eta_ms, distance_m: e.distance_m };
    });
    if (!changed) return;
    out ??= list.slice();
    out[i] = { ...s, stops };
  });
  return out ?? list;
}

// ---------------------------------------------------------------------------
// Orders

/** The lines that count: what HQ approved, else what was asked. */
export function effectiveLines(o: OrderJson): OrderLine[] {
  return o.approved_lines ?? o.lines;
}

export function totalQty(lines: OrderLine[]): number {
  return lines.reduce((n, l) => n + l.qty, 0);
}

/** A whole number 0..=max from what was typed, or null. */
export function parseQty(text: string, max = MAX_ORDER_QTY): number | null {
  const s = text.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= max ? n : null;
}

/** What the approve form sends: `lines` only when a quantity was changed. */
export interface Approval {
  lines: OrderLine[] | undefined;
  error: Msg | null;
}

/**
 * The approve form: `edits` holds the typed quantity per SKU (missing = as
 * asked). 0 leaves a line out; leaving every line out is refused (cancel the
 * order instead).
 */
export function approval(order: OrderJson, edits: Record<string, string>): Approval {
  const lines: OrderLine[] = [];
  let changed = false;
  for (const l of order.lines) {
    const typed = edits[l.sku];
    if (typed === undefined) {
      lines.push(l);
      continue;
    }
    const q = parseQty(typed);
    if (q === null) return { lines: undefined, error: msg("logi.err.qty", { sku: l.sku, max: MAX_ORDER_QTY }) };
    if (q !== l.qty) changed = true;
    if (q > 0) lines.push({ sku: l.sku, qty: q });
  }
  if (lines.length === 0) return { lines: undefined, error: msg("logi.err.all_zero") };
  return { lines: changed ? lines : undefined, error: null };
}

/** A row of HQ's order form, as typed. */
export interface LineRow {
  sku: string;
  qty: string;
}

/**
 * HQ's order for a store: the rows → lines (empty rows ignored, the same SKU
 * twice added up), or what to fix.
 */
export function orderLines(rows: LineRow[]): { lines: OrderLine[] | null; error: Msg | null } {
  const bySku = new Map<string, number>();
  for (const r of rows) {
    const sku = r.sku.trim();
    if (!sku && !r.qty.trim()) continue;
    if (!sku) return { lines: null, error: msg("logi.err.sku_missing") };
    const q = parseQty(r.qty);
    if (q === null || q === 0) return { lines: null, error: msg("logi.err.qty_pos", { sku, max: MAX_ORDER_QTY }) };
    const sum = (bySku.get(sku) ?? 0) + q;
    if (sum > MAX_ORDER_QTY) return { lines: null, error: msg("logi.err.qty_pos", { sku, max: MAX_ORDER_QTY }) };
    bySku.set(sku, sum);
  }
  if (bySku.size === 0) return { lines: null, error: msg("logi.err.no_lines") };
  if (bySku.size > MAX_ORDER_LINES) return { lines: null, error: msg("logi.err.too_many_lines", { max: MAX_ORDER_LINES }) };
  return { lines: [...bySku].map(([sku, qty]) => ({ sku, qty })), error: null };
}

/** May HQ still approve / cancel this order? */
export function mayApprove(o: OrderJson): boolean {
  return o.status === "requested";
}

export function mayCancelOrder(o: OrderJson): boolean {
  return rank(o.status) < rank("dispatched") && o.shipment === null;
}

// ---------------------------------------------------------------------------
// Shipment builder

/** Orders that can go on a new shipment: approved and on no shipment yet. */
export function shippable(orders: OrderJson[]): OrderJson[] {
  return orders.filter((o) => o.status === "approved" && o.shipment === null);
}

/**
 * The route for the chosen orders: the stores of `selected` in the order of
 * `previous` (what the user arranged), new stores appended in the order of
 * the selection, stores no longer needed dropped.
 */
export function routeFor(selected: string[], orders: OrderJson[], previous: string[]): string[] {
  const byId = new Map(orders.map((o) => [o.id, o]));
  const needed: string[] = [];
  for (const id of selected) {
    const store = byId.get(id)?.store;
    if (store && !needed.includes(store)) needed.push(store);
  }
  const kept = previous.filter((s) => needed.includes(s));
  return [...kept, ...needed.filter((s) => !kept.includes(s))];
}

/** Move the stop at `index` up (−1) or down (+1); out of range = unchanged. */
export function moveStop(route: string[], index: number, delta: -1 | 1): string[] {
  const j = index + delta;
  if (index < 0 || index >= route.length || j < 0 || j >= route.length) return route;
  const out = route.slice();
  [out[index], out[j]] = [out[j] as string, out[index] as string];
  return out;
}

/** The builder's checks → the `POST /shipments` body, or what is wrong. */
export function validateShipment(
  selected: string[],
  orders: OrderJson[],
  route: string[],
): { body: CreateShipment | null; errors: Msg[] } {
  const errors: Msg[] = [];
  const byId = new Map(orders.map((o) => [o.id, o]));
  if (selected.length === 0) errors.push(msg("logi.err.no_orders"));
  if (new Set(selected).size !== selected.length) errors.push(msg("logi.err.order_twice"));
  const stores: string[] = [];
  for (const id of selected) {
    const o = byId.get(id);
    if (!o) {
      errors.push(msg("logi.err.unknown_order", { id: shortId(id) }));
      continue;
    }
    if (o.status !== "approved") errors.push(msg("logi.err.not_approved", { id: shortId(id), store: o.store, status: o.status }));
    else if (o.shipment !== null) errors.push(msg("logi.err.on_shipment", { id: shortId(id), shipment: shortId(o.shipment) }));
    if (!stores.includes(o.store)) stores.push(o.store);
  }
  const sameStops = route.length === stores.length && new Set(route).size === route.length && route.every((s) => stores.includes(s));
  if (selected.length > 0 && !sameStops) errors.push(msg("logi.err.route"));
  if (errors.length) return { body: null, errors };
  return { body: { orders: selected.slice(), stops_order: route.slice() }, errors };
}

/** Stores on the route whose position is unknown (no map pin, no geofence arrival). */
export function unplacedStops(route: string[], placed: (store: string) => boolean): string[] {
  return route.filter((s) => !placed(s));
}

/** What the next step of a shipment is, for its buttons. */
export function nextAction(s: ShipmentJson): "pick" | "dispatch" | null {
  if (s.status === "approved") return "pick";
  if (s.status === "picked") return "dispatch";
  return null;
}

/** The dispatch form's checks. */
export function validateDispatch(driver: string, vehicle: string): Msg | null {
  if (!driver.trim()) return msg("logi.err.driver");
  if (!vehicle.trim()) return msg("logi.err.vehicle");
  if (vehicle.trim().length > 32) return msg("logi.err.vehicle_long");
  return null;
}

// ---------------------------------------------------------------------------
// Store location

/** The location form's checks → the `PATCH /stores/{id}/location` body, or what to fix. */
export function validateLocation(
  lat: string,
  lon: string,
  geofence: string,
): { body: { lat: number; lon: number; geofence_m: number } | null; error: Msg | null } {
  const la = Number(lat.trim().replace(",", "."));
  const lo = Number(lon.trim().replace(",", "."));
  if (!lat.trim() || !Number.isFinite(la) || Math.abs(la) > 90) return { body: null, error: msg("stores.err.lat") };
  if (!lon.trim() || !Number.isFinite(lo) || Math.abs(lo) > 180) return { body: null, error: msg("stores.err.lon") };
  const g = geofence.trim() === "" ? DEFAULT_GEOFENCE_M : parseQty(geofence, MAX_GEOFENCE_M);
  if (g === null || g < 10) return { body: null, error: msg("stores.err.geofence", { max: MAX_GEOFENCE_M }) };
  return { body: { lat: la, lon: lo, geofence_m: g }, error: null };
}

// ---------------------------------------------------------------------------
// Receiving

export type Discrepancy = "shortage" | "damaged" | "extra";

/** What is wrong with one counted line (empty = exact). */
export function discrepanciesOf(l: ReceivingLineJson): Discrepancy[] {
  const out: Discrepancy[] = [];
  if (l.shortage > 0) out.push("shortage");
  if (l.damaged > 0) out.push("damaged");
  if (l.extra > 0) out.push("extra");
  return out;
}

/** Units short, damaged and extra over a whole receiving. */
export function receivingTotals(r: ReceivingJson): Record<Discrepancy, number> {
  return r.lines.reduce(
    (t, l) => ({ shortage: t.shortage + l.shortage, damaged: t.damaged + l.damaged, extra: t.extra + l.extra }),
    { shortage: 0, damaged: 0, extra: 0 },
  );
}

// ---------------------------------------------------------------------------
// Texts

/** `in ~N min` from an ETA (rounded up; under a minute = arriving; none = unknown). */
export function etaLabel(etaMs: number | null | undefined, nowMs: number): Msg {
  if (etaMs === null || etaMs === undefined || !Number.isFinite(etaMs)) return msg("logi.eta.unknown");
  const left = etaMs - nowMs;
  if (left < 60_000) return msg("logi.eta.now");
  const min = Math.ceil(left / 60_000);
  if (min < 60) return msg("logi.eta.min", { n: min });
  return msg("logi.eta.hours", { h: Math.floor(min / 60), m: min % 60 });
}

/** `850 m` / `12.3 km` / `—`. */
export function distanceText(m: number | null | undefined): string {
  if (m === null || m === undefined || !Number.isFinite(m) || m < 0) return "—";
  if (m < 1000) return `${Math.round(m)} m`;
  return `${(m / 1000).toFixed(m < 100_000 ? 1 : 0)} km`;
}

/** km/h, whole, from m/s; null when unknown. */
export function speedKmh(mps: number | null | undefined): number | null {
  if (mps === null || mps === undefined || !Number.isFinite(mps) || mps < 0) return null;
  return Math.round(mps * 3.6);
}
