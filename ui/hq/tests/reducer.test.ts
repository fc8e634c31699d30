import { describe, expect, it } from "vitest";

import type { Dashboard } from "../src/api/types/Dashboard";
import type { Event as LiveEvent } from "../src/api/types/Event";
import { FEED_MAX, type LiveContext, initialLive, reduce } from "../src/live/reducer";
import { backoffMs, parseEvent } from "../src/live/socket";
import { creatableRoles, pagesFor } from "../src/roles";

const SEOUL = 540;
const day = "2026-11-21";
const at = (h: number, m = 0) => Date.UTC(2026, 10, 21, h - 9, m); // local Seoul hour h
const ctx: LiveContext = { date: day, offset: SEOUL, store: null };

function dashboard(): Dashboard {
  return {
    date: day,
    last_week_date: "2026-11-14",
    tz: "+09:00",
    business_tz: "+09:00",
    store: null,
    today: { sales: 2, returns: 0, items: 3, gross: 100_000, refunds: 0, net: 100_000 },
    last_week: { sales: 3, returns: 0, items: 3, gross: 80_000, refunds: 0, net: 80_000 },
    by_hour: [{ hour: 10, today: 100_000, last_week: 80_000 }],
    by_store: [{ store: "GN01", name: "Gangnam", sales: 2, today: 100_000, last_week: 80_000 }],
    top_products: [],
    by_cashier: [{ cashier: "kim", store: "GN01", sales: 2, items: 3, revenue: 100_000 }],
  };
}

function sale(receipt: string, total: number, when: number, store = "GN01", cashier: string | null = "kim"): LiveEvent {
  return { type: "sale", store, receipt, total, currency: "KRW", sold_at_ms: when, till: "t1", cashier, items: 1 };
}

describe("live dashboard reducer", () => {
  it("adds a sale to totals, its hour, its store and its cashier, and the feed", () => {
    let s = reduce(initialLive(), { type: "loaded", dashboard: dashboard() }, ctx);
    s = reduce(s, sale("GN01-01-000003", 29_000, at(14, 5)), ctx);
    const d = s.dashboard!;
    expect(d.today).toEqual({ sales: 3, returns: 0, items: 4, gross: 129_000, refunds: 0, net: 129_000 });
    expect(d.last_week.net).toBe(80_000);
    expect(d.by_hour.find((h) => h.hour === 14)?.today).toBe(29_000);
    expect(d.by_hour.find((h) => h.hour === 10)?.today).toBe(100_000);
    expect(d.by_store.find((x) => x.store === "GN01")?.today).toBe(129_000);
    expect(d.by_cashier.find((c) => c.cashier === "kim")).toMatchObject({ revenue: 129_000, sales: 3, items: 4 });
    expect(s.feed[0]?.receipt).toBe("GN01-01-000003");
    expect(s.events).toBe(1);
  });

  it("counts a sale once even if the event comes twice", () => {
    let s = reduce(initialLive(), { type: "loaded", dashboard: dashboard() }, ctx);
    s = reduce(s, sale("R1", 10_000, at(11)), ctx);
    s = reduce(s, sale("R1", 10_000, at(11)), ctx);
    expect(s.dashboard!.today.sales).toBe(3);
    expect(s.feed).toHaveLength(1);
  });

  it("adds new stores and cashiers, ignores other days and filtered stores", () => {
    let s = reduce(initialLive(), { type: "loaded", dashboard: dashboard() }, ctx);
    s = reduce(s, sale("HD-1", 5_000, at(9), "HD02", "lee"), ctx);
    expect(s.dashboard!.by_store.find((x) => x.store === "HD02")?.today).toBe(5_000);
    expect(s.dashboard!.by_cashier.find((x) => x.cashier === "lee")?.sales).toBe(1);
    const yesterday = at(9) - 86_400_000;
    s = reduce(s, sale("OLD", 7_000, yesterday), ctx);
    expect(s.dashboard!.today.net).toBe(105_000);
    expect(s.feed[0]?.receipt).toBe("OLD");
    const gnOnly = { ...ctx, store: "GN01" };
    const before = s;
    s = reduce(s, sale("HD-2", 5_000, at(9), "HD02"), gnOnly);
    expect(s).toBe(before);
  });

  it("takes returns off the day (net of returns)", () => {
    let s = reduce(initialLive(), { type: "loaded", dashboard: dashboard() }, ctx);
    s = reduce(s, { type: "return", store: "GN01", receipt: "R9", total_refund: 20_000, currency: "KRW", returned_at_ms: at(10, 30) }, ctx);
    expect(s.dashboard!.today).toMatchObject({ sales: 2, returns: 1, refunds: 20_000, gross: 100_000, net: 80_000 });
    expect(s.dashboard!.by_hour.find((h) => h.hour === 10)?.today).toBe(80_000);
    expect(s.feed[0]?.amount).toBe(-20_000);
  });

  it("keeps the feed bounded, tracks tills and alerts, flags lag", () => {
    let s = initialLive();
    for (let i = 0; i < FEED_MAX + 5; i++) s = reduce(s, sale(`R${i}`, 1_000, at(12, i % 60)), ctx);
    expect(s.feed).toHaveLength(FEED_MAX);
    expect(s.dashboard).toBeNull();
    s = reduce(
      s,
      { type: "till", actor: "a1", store: "GN01", till_no: 1, app_version: "0.1.0", online: true, last_seen_ms: 1, unsent_ops: 0, last_error: null, locked: true, revoked: false, enrolled_at_ms: 0, pending_commands: 0, protocol_version: 1, acked_seq: 0, cursor: 0 },
      ctx,
    );
    expect(s.tills.a1?.locked).toBe(true);
    s = reduce(s, { type: "stock_alert", location: "GN01", sku: "TSH", qty: -1, level: "negative" }, ctx);
    s = reduce(s, { type: "stock_alert", location: "GN01", sku: "TSH", qty: -2, level: "negative" }, ctx);
    expect(s.alerts).toHaveLength(1);
    expect(s.alerts[0]?.qty).toBe(-2);
    s = reduce(s, { type: "lagged" }, ctx);
    expect(s.stale).toBe(true);
    s = reduce(s, { type: "loaded", dashboard: dashboard() }, ctx);
    expect(s.stale).toBe(false);
  });
});

describe("event socket helpers and roles", () => {
  it("parses only event objects", () => {
    expect(parseEvent('{"type":"lagged"}')).toEqual({ type: "lagged" });
    expect(parseEvent("not json")).toBeNull();
    expect(parseEvent('{"no":"type"}')).toBeNull();
    expect(parseEvent(new ArrayBuffer(2))).toBeNull();
  });

  it("backs off up to 15 s", () => {
    expect(backoffMs(0)).toBe(500);
    expect(backoffMs(1)).toBe(1000);
    expect(backoffMs(10)).toBe(15_000);
  });

  it("shows each role only its pages", () => {
    expect(pagesFor("hq_admin")).toContain("audit");
    expect(pagesFor("hq_staff")).not.toContain("users");
    expect(pagesFor("hq_staff")).not.toContain("audit");
    expect(pagesFor("store_manager")).not.toContain("catalog");
    expect(pagesFor("store_manager")).not.toContain("stores");
    expect(pagesFor("cashier")).toEqual([]);
    expect(pagesFor("driver")).toEqual([]);
    expect(creatableRoles("store_manager")).toEqual(["cashier"]);
    expect(creatableRoles("hq_staff")).toEqual([]);
  });
});
