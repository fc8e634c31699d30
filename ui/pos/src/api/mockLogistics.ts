// DEV ONLY: the replenishment and delivery commands of the in-memory stand-in
// for the desktop shell (see ./mock.ts): two deliveries to the store (one ~12
// minutes away, one at the door), a few orders, and receiving that records
// shortages, damages and extras like the core. Never shipped as the backend.

import type { ProductHit } from "./types/ProductHit";
import type { Staff } from "./types/Staff";
import type {
  CountedLine,
  DeliveryView,
  OrderView,
  ReceivedLineView,
  ReceivingView,
  StockRequestLine,
} from "../logistics/types";

type Handler = (a: Record<string, unknown>) => unknown;
const ui = (code: string, message: string) => ({ code, message });

export function logisticsMock(getStaff: () => Staff | null, items: ProductHit[], bump: () => void): Record<string, Handler> {
  const bySku = new Map(items.map((p) => [p.sku, p]));
  const byCode = (code: string) => bySku.get(code) ?? items.find((p) => p.barcode === code);
  const now = Date.now();
  const line = (p: ProductHit | undefined, qty: number) => ({ sku: p?.sku ?? "?", name: p?.name ?? null, qty });
  const orders: OrderView[] = [
    {
      id: "0190f0f0-0000-7000-8000-00000000000a", store: "GN01", origin: "store", placed_by: "Park (manager)",
      placed_ms: now - 26 * 3600_000, note: "weekend promotion", lines: [line(items[0], 24), line(items[6], 12)],
      approved_lines: [line(items[0], 20), line(items[6], 12)], status: "dispatched", status_at_ms: now - 40 * 60_000,
      status_by: "hq.kim", shipment: "0190f0f0-0000-7000-8000-0000000005a1", cancellable: false,
    },
    {
      id: "0190f0f0-0000-7000-8000-00000000000b", store: "GN01", origin: "hq_proposal", placed_by: "hq.kim",
      placed_ms: now - 3 * 3600_000, note: null, lines: [line(items[27], 6)], approved_lines: null,
      status: "requested", status_at_ms: null, status_by: null, shipment: null, cancellable: true,
    },
  ];
  const deliveries: DeliveryView[] = [
    {
      shipment: "0190f0f0-0000-7000-8000-0000000005a1", store: "GN01", stop_no: 2, stops_total: 3,
      driver_name: "Lee Driver", vehicle: "12가 3456", from: "WH01", dispatched_ms: now - 40 * 60_000,
      orders: [orders[0]!.id], lines: [line(items[0], 20), line(items[6], 12)], status: "dispatched",
      status_at_ms: now - 40 * 60_000, eta_ms: now + 12 * 60_000, distance_m: 5_400, stops_before: 0,
      eta_at_ms: now - 10_000, arrived_ms: null, received: false, receiving: null,
    },
    {
      shipment: "0190f0f0-0000-7000-8000-0000000005a2", store: "GN01", stop_no: 1, stops_total: 1,
      driver_name: "Choi Driver", vehicle: "34나 7788", from: "WH01", dispatched_ms: now - 90 * 60_000,
      orders: [], lines: [line(items[11], 8)], status: "arrived", status_at_ms: now - 4 * 60_000,
      eta_ms: null, distance_m: null, stops_before: null, eta_at_ms: null, arrived_ms: now - 4 * 60_000,
      received: false, receiving: null,
    },
  ];
  const who = () => {
    const s = getStaff();
    if (!s) throw ui("not_unlocked", "the till is locked: unlock it with a staff PIN");
    return s;
  };
  const manager = (what: string) => {
    const s = who();
    if (s.role !== "store_manager") throw ui("manager_only", `only a store manager can ${what}`);
    return s;
  };
  return {
    request_stock: (a) => {
      const s = manager("ask the warehouse for stock");
      const lines = (a.lines as StockRequestLine[]) ?? [];
      if (!lines.length) throw ui("empty_request", "nothing to request: add at least one SKU with a quantity");
      const merged = new Map<string, number>();
      for (const l of lines) {
        const p = byCode(l.sku);
        if (!p) throw ui("unknown_item", `no product with SKU or barcode "${l.sku}" in this till's catalog`);
        if (!Number.isInteger(l.qty) || l.qty < 1 || l.qty > 100_000)
          throw ui("quantity_out_of_range", `quantity ${l.qty} for ${l.sku} is out of range: use 1 to 100000`);
        merged.set(p.sku, (merged.get(p.sku) ?? 0) + l.qty);
      }
      const o: OrderView = {
        id: crypto.randomUUID(), store: "GN01", origin: "store", placed_by: s.display_name, placed_ms: Date.now(),
        note: (a.note as string | null) ?? null, lines: [...merged].map(([sku, qty]) => line(bySku.get(sku), qty)),
        approved_lines: null, status: "requested", status_at_ms: null, status_by: null, shipment: null, cancellable: true,
      };
      orders.unshift(o);
      bump();
      return o;
    },
    replenishment_orders: () => (who(), orders),
    cancel_order: (a) => {
      const s = manager("cancel a stock request");
      const o = orders.find((x) => x.id === a.id);
      if (!o) throw ui("unknown_order", `no order ${String(a.id)} of this store at this till`);
      if (o.status !== "requested")
        throw ui("order_not_cancellable", `order ${o.id} is already ${o.status}; only a request head office has not acted on can be cancelled at the till`);
      Object.assign(o, { status: "cancelled", status_at_ms: Date.now(), status_by: s.display_name, cancellable: false });
      bump();
      return o;
    },
    deliveries: () => (who(), deliveries),
    receive_delivery: (a) => {
      const s = who();
      const d = deliveries.find((x) => x.shipment === a.shipment);
      if (!d) throw ui("unknown_delivery", `no delivery of shipment ${String(a.shipment)} to this store at this till`);
      if (d.receiving) throw ui("already_received", `shipment ${d.shipment} was already received at this store by ${d.receiving.received_by}; it cannot be received twice`);
      const counted = new Map<string, CountedLine>();
      for (const c of (a.counted as CountedLine[]) ?? []) {
        if (c.damaged > c.received) throw ui("count_out_of_range", `count for ${c.sku} is out of range`);
        counted.set(byCode(c.sku)?.sku ?? c.sku, c);
      }
      const lines: ReceivedLineView[] = [];
      const push = (sku: string, name: string | null, expected: number, c?: CountedLine) => {
        const received = c?.received ?? 0;
        const damaged = c?.damaged ?? 0;
        lines.push({ sku, name, expected, received, damaged, shortage: Math.max(0, expected - received), extra: Math.max(0, received - expected), good: received - damaged });
      };
      for (const l of d.lines) {
        push(l.sku, l.name, l.qty, counted.get(l.sku));
        counted.delete(l.sku);
      }
      for (const [sku, c] of counted) if (c.received > 0) push(sku, bySku.get(sku)?.name ?? null, 0, c);
      const sum = (f: (l: ReceivedLineView) => number) => lines.reduce((n, l) => n + f(l), 0);
      const r: ReceivingView = {
        id: crypto.randomUUID(), shipment: d.shipment, store: "GN01", lines, received_by: s.display_name, received_ms: Date.now(),
        note: (a.note as string | null) ?? null, has_discrepancy: lines.some((l) => l.expected !== l.received || l.damaged > 0),
        shortage_units: sum((l) => l.shortage), damaged_units: sum((l) => l.damaged), extra_units: sum((l) => l.extra),
      };
      Object.assign(d, { receiving: r, received: true, status: "received", status_at_ms: r.received_ms, eta_ms: null });
      bump();
      return r;
    },
  };
}
