// Replenishment and deliveries at the till: the ETA text of a delivery and the
// sell screen's banner, the stock request lines, the receiving count (scan,
// +/−, damaged, shortages and extras, the confirm summary and what is sent),
// and the refusal headlines by code in both languages.
import { describe, expect, it } from "vitest";

import { translate } from "../src/i18n";
import { showError } from "../src/logic/errors";
import {
  ETA_STALE_MS,
  addRequestLine,
  countReducer,
  countSummary,
  deliveryBanner,
  etaText,
  lineState,
  minutesUntil,
  openDeliveries,
  parseQty,
  setRequestQty,
  startCount,
  statusTone,
  toCounted,
  toRequest,
} from "../src/logic/logistics";
import type { DeliveryView } from "../src/logistics/types";

const NOW = 1_700_000_000_000;
const MIN = 60_000;

const delivery = (patch: Partial<DeliveryView> = {}): DeliveryView => ({
  shipment: "s-1",
  store: "GN01",
  stop_no: 2,
  stops_total: 3,
  driver_name: "Park",
  vehicle: "12가3456",
  from: "WH01",
  dispatched_ms: NOW - 30 * MIN,
  orders: ["o-1"],
  lines: [
    { sku: "TEE", name: "Tee", qty: 10 },
    { sku: "JKT", name: "Jacket", qty: 4 },
  ],
  status: "dispatched",
  status_at_ms: NOW - 30 * MIN,
  eta_ms: null,
  distance_m: null,
  stops_before: null,
  eta_at_ms: null,
  arrived_ms: null,
  received: false,
  receiving: null,
  ...patch,
});

describe("ETA text", () => {
  it("rounds minutes up and never says 0", () => {
    expect(minutesUntil(NOW + 12 * MIN + 1, NOW)).toBe(13);
    expect(minutesUntil(NOW + 12 * MIN, NOW)).toBe(12);
    expect(minutesUntil(NOW + 5_000, NOW)).toBe(1);
    expect(minutesUntil(NOW - 5 * MIN, NOW)).toBe(1);
  });
  it("says where the truck is, in order of what matters", () => {
    const t = (d: DeliveryView) => {
      const e = etaText(d, NOW);
      return [e.key, e.vars, e.tone];
    };
    expect(t(delivery({ eta_ms: NOW + 25 * MIN, eta_at_ms: NOW }))).toEqual(["logi.eta_min", { min: 25 }, "way"]);
    expect(t(delivery({ eta_ms: NOW + 8 * MIN, eta_at_ms: NOW }))).toEqual(["logi.eta_min", { min: 8 }, "soon"]);
    expect(t(delivery({ eta_ms: NOW + 8 * MIN, eta_at_ms: NOW, stops_before: 1 }))).toEqual([
      "logi.eta_min_stops",
      { min: 8, stops: 1 },
      "soon",
    ]);
    expect(t(delivery({ eta_ms: NOW - MIN, eta_at_ms: NOW - 30_000 }))).toEqual(["logi.eta_due", {}, "soon"]);
    expect(t(delivery({ eta_ms: NOW + 20 * MIN, eta_at_ms: NOW - ETA_STALE_MS - 1 }))).toEqual([
      "logi.eta_stale",
      { min: 20 },
      "way",
    ]);
    expect(t(delivery())).toEqual(["logi.eta_on_way", {}, "way"]);
    expect(t(delivery({ status: "arrived", eta_ms: NOW + MIN }))).toEqual(["logi.eta_arrived", {}, "arrived"]);
    expect(t(delivery({ arrived_ms: NOW - MIN }))).toEqual(["logi.eta_arrived", {}, "arrived"]);
    expect(t(delivery({ status: "received", received: true }))).toEqual(["logi.eta_received", {}, "done"]);
    expect(t(delivery({ status: "cancelled" }))).toEqual(["logi.eta_cancelled", {}, "done"]);
  });
  it("reads well in both languages", () => {
    expect(translate("en", "logi.banner_eta", { min: 12 })).toBe("Delivery arriving in ~12 min");
    expect(translate("ko", "logi.banner_eta", { min: 12 })).toBe("배송 약 12분 후 도착");
    expect(translate("en", "logi.banner_arrived")).toBe("Delivery arrived — count it in");
  });
});

describe("delivery banner", () => {
  it("shows nothing when nothing is on its way", () => {
    expect(deliveryBanner([], NOW)).toBeNull();
    expect(deliveryBanner([delivery({ received: true, status: "received" }), delivery({ status: "cancelled" })], NOW)).toBeNull();
    expect(openDeliveries([delivery({ received: true }), delivery({ shipment: "s-2" })]).map((d) => d.shipment)).toEqual(["s-2"]);
  });
  it("prefers a truck at the door, else the soonest one, and counts the others", () => {
    const soon = delivery({ shipment: "soon", eta_ms: NOW + 4 * MIN, eta_at_ms: NOW });
    const later = delivery({ shipment: "later", eta_ms: NOW + 40 * MIN, eta_at_ms: NOW });
    const unknown = delivery({ shipment: "unknown" });
    const b = deliveryBanner([later, unknown, soon], NOW);
    expect(b).toMatchObject({ key: "logi.banner_eta", shipment: "soon", tone: "soon", more: 2 });
    expect(b?.vars.min).toBe(4);
    const door = delivery({ shipment: "door", status: "arrived", arrived_ms: NOW - MIN });
    expect(deliveryBanner([soon, door], NOW)).toMatchObject({ key: "logi.banner_arrived", shipment: "door", more: 1 });
    expect(deliveryBanner([unknown], NOW)).toMatchObject({ key: "logi.banner_on_way", vars: { driver: "Park" } });
    expect(deliveryBanner([delivery({ eta_ms: NOW + 9 * MIN, eta_at_ms: NOW, stops_before: 2 })], NOW)?.key).toBe(
      "logi.banner_eta_stops",
    );
  });
});

describe("stock request lines", () => {
  it("parses quantities 1 to 100000 only", () => {
    expect(parseQty(" 12 ")).toBe(12);
    expect(parseQty("100000")).toBe(100_000);
    for (const bad of ["0", "100001", "1.5", "-3", "", "abc", "1e3"]) expect(parseQty(bad), bad).toBeNull();
  });
  it("adds the same SKU to its line, sets and removes", () => {
    let lines = addRequestLine([], "TEE", "Tee", 3);
    lines = addRequestLine(lines, "JKT", "Jacket", 1);
    lines = addRequestLine(lines, "TEE", "Tee", 2);
    expect(lines).toEqual([
      { sku: "TEE", name: "Tee", qty: 5 },
      { sku: "JKT", name: "Jacket", qty: 1 },
    ]);
    expect(addRequestLine(lines, "TEE", "Tee", 99_999)[0]?.qty).toBe(100_000);
    lines = setRequestQty(lines, "JKT", 0);
    expect(toRequest(setRequestQty(lines, "TEE", 7))).toEqual([{ sku: "TEE", qty: 7 }]);
  });
});

describe("receiving count", () => {
  it("counts scans up, adds extras, clamps and keeps damaged within the count", () => {
    let s = startCount(delivery());
    expect(s.lines.map((l) => [l.sku, l.expected, l.received])).toEqual([
      ["TEE", 10, 0],
      ["JKT", 4, 0],
    ]);
    for (let i = 0; i < 8; i++) s = countReducer(s, { type: "scan", sku: "TEE", name: null });
    s = countReducer(s, { type: "scan", sku: "SOCK", name: "Socks" });
    s = countReducer(s, { type: "inc", sku: "SOCK" });
    expect(s.last).toBe("SOCK");
    s = countReducer(s, { type: "damaged", sku: "TEE", damaged: 9 });
    expect(s.lines[0]).toMatchObject({ received: 8, damaged: 8 });
    s = countReducer(s, { type: "damaged", sku: "TEE", damaged: 1 });
    s = countReducer(s, { type: "dec", sku: "JKT" });
    expect(s.lines[1]?.received).toBe(0);
    s = countReducer(s, { type: "set", sku: "TEE", received: 0 });
    expect(s.lines[0]).toMatchObject({ received: 0, damaged: 0 });
    s = countReducer(s, { type: "set", sku: "TEE", received: 8 });
    s = countReducer(s, { type: "damaged", sku: "TEE", damaged: 1 });
    s = countReducer(s, { type: "set", sku: "TEE", received: Number.NaN });
    expect(s.lines[0]?.received).toBe(0);
    s = countReducer(s, { type: "set", sku: "TEE", received: 8 });
    s = countReducer(s, { type: "damaged", sku: "TEE", damaged: 1 });
    expect(s.lines.map((l) => [l.sku, l.expected, l.received, l.damaged, lineState(l)])).toEqual([
      ["TEE", 10, 8, 1, "short"],
      ["JKT", 4, 0, 0, "uncounted"],
      ["SOCK", 0, 2, 0, "extra"],
    ]);
  });
  it("summarises shortages, extras and damage and sends only what was counted", () => {
    let s = startCount(delivery());
    s = countReducer(s, { type: "set", sku: "TEE", received: 8 });
    s = countReducer(s, { type: "damaged", sku: "TEE", damaged: 1 });
    s = countReducer(s, { type: "scan", sku: "SOCK", name: "Socks" });
    s = countReducer(s, { type: "scan", sku: "SOCK", name: "Socks" });
    const sum = countSummary(s);
    expect(sum).toMatchObject({ expected: 14, received: 10, shortage: 6, extra: 2, damaged: 1, good: 9, uncounted: 1, exact: false });
    expect(sum.problems.map((l) => l.sku)).toEqual(["TEE", "JKT", "SOCK"]);
    expect(toCounted(s)).toEqual([
      { sku: "TEE", received: 8, damaged: 1 },
      { sku: "SOCK", received: 2, damaged: 0 },
    ]);
  });
  it("all as expected is exact; start over forgets the count", () => {
    let s = countReducer(startCount(delivery()), { type: "scan", sku: "SOCK", name: null });
    s = countReducer(s, { type: "all_expected" });
    expect(s.lines.map((l) => l.received)).toEqual([10, 4, 1]);
    expect(countSummary(s).extra).toBe(1);
    s = countReducer(s, { type: "reset", delivery: delivery() });
    s = countReducer(s, { type: "all_expected" });
    const sum = countSummary(s);
    expect(sum.exact).toBe(true);
    expect(sum.problems).toEqual([]);
    expect(s.lines.map(lineState)).toEqual(["exact", "exact"]);
    s = countReducer(s, { type: "damaged", sku: "JKT", damaged: 1 });
    expect(lineState(s.lines[1]!)).toBe("damaged");
    expect(countSummary(s).exact).toBe(false);
  });
});

describe("status tags and refusals", () => {
  it("colours the lifecycle", () => {
    expect(statusTone("requested")).toBe("");
    expect(statusTone("dispatched")).toBe("tag-accent");
    expect(statusTone("arrived")).toBe("tag-warn");
    expect(statusTone("received")).toBe("tag-good");
    expect(statusTone("cancelled")).toBe("tag-bad");
  });
  it("has a headline for every refusal code of the shell", () => {
    for (const code of [
      "empty_request",
      "quantity_out_of_range",
      "count_out_of_range",
      "counted_twice",
      "too_many_order_lines",
      "unknown_order",
      "order_not_cancellable",
      "unknown_delivery",
      "already_received",
      "delivery_cancelled",
    ]) {
      for (const lang of ["en", "ko"] as const) {
        const s = showError(lang, { code, message: "the core's sentence" });
        expect(s.title, `${lang} ${code}`).toBeTruthy();
        expect(s.message).toBe("the core's sentence");
      }
    }
  });
});
