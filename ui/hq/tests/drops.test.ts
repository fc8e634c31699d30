import { describe, expect, it } from "vitest";

import { createdKey, dropPath } from "../src/drops/api";
import {
  type DropForm,
  dropOfEvent,
  dropPhase,
  emptyDropForm,
  initialDrops,
  leftShare,
  manualSum,
  reduceDrops,
  touchesDetail,
  upsertDrop,
  validateDropForm,
} from "../src/drops/logic";
import type { DropDetail, DropSummary } from "../src/drops/types";
import { pagesFor } from "../src/roles";

const STORES = ["GN01", "HD02", "BS03"];

function summary(key: string, left: number, patch: Partial<DropSummary> = {}): DropSummary {
  return {
    key,
    label: `Drop ${key}`,
    kind: "sku",
    sku: key.replace(/^sku:/, ""),
    code: null,
    total: 100,
    sold: 100 - left,
    left,
    held: 0,
    pool: 10,
    active: true,
    rule: "equal",
    starts_at_ms: null,
    ends_at_ms: null,
    hold_minutes: 15,
    ...patch,
  };
}

function detail(s: DropSummary): DropDetail {
  return {
    summary: s,
    stores: [{ store: "GN01", name: "Gangnam", target: 50, rights: 40, sold: 10, held: 0, in_flight: 0, requests_open: 0, tills: [] }],
    recalls_open: 0,
    duplicate_redemptions: [],
  };
}

function form(patch: Partial<DropForm>): DropForm {
  return { ...emptyDropForm(), label: "Collab jacket", sku: "JK-COLLAB-M", total: "10", ...patch };
}

describe("drop events", () => {
  it("reads a drop message and ignores every other message", () => {
    const s = summary("sku:A", 7);
    expect(dropOfEvent({ type: "drop", ...s } as { type: string })).toEqual(s);
    expect(dropOfEvent({ type: "sale" })).toBeNull();
    expect(dropOfEvent({ type: "drop" })).toBeNull();
  });

  it("updates the counts of the drop it names in place, keeping the others and the order", () => {
    let st = reduceDrops(initialDrops(), { type: "list", list: [summary("sku:A", 10), summary("sku:B", 5)] });
    st = reduceDrops(st, { type: "drop", ...summary("sku:B", 4) });
    expect(st.list!.map((d) => [d.key, d.left, d.sold])).toEqual([
      ["sku:A", 10, 90],
      ["sku:B", 4, 96],
    ]);
  });

  it("puts a drop it did not know first", () => {
    let st = reduceDrops(initialDrops(), { type: "list", list: [summary("sku:A", 10)] });
    st = reduceDrops(st, { type: "drop", ...summary("coupon:1", 3, { kind: "coupon", code: "WELCOME" }) });
    expect(st.list!.map((d) => d.key)).toEqual(["coupon:1", "sku:A"]);
    expect(upsertDrop([], summary("sku:Z", 1))).toHaveLength(1);
  });

  it("moves the open detail's big number only for its own drop", () => {
    let st = reduceDrops(initialDrops(), { type: "list", list: [summary("sku:A", 10), summary("sku:B", 5)] });
    st = reduceDrops(st, { type: "detail", detail: detail(summary("sku:A", 10)) });
    st = reduceDrops(st, { type: "drop", ...summary("sku:B", 1) });
    expect(st.detail!.summary.left).toBe(10);
    st = reduceDrops(st, { type: "drop", ...summary("sku:A", 9, { held: 2, pool: 3 }) });
    expect(st.detail!.summary).toMatchObject({ left: 9, sold: 91, held: 2, pool: 3 });
    // the per-store rows stay until the detail is fetched again
    expect(st.detail!.stores[0]!.rights).toBe(40);
  });

  it("asks for the detail again after its own drop's message or a lag, not for others", () => {
    let st = reduceDrops(initialDrops(), { type: "detail", detail: detail(summary("sku:A", 10)) });
    expect(touchesDetail(st, { type: "drop", ...summary("sku:A", 9) } as { type: string })).toBe(true);
    expect(touchesDetail(st, { type: "drop", ...summary("sku:B", 9) } as { type: string })).toBe(false);
    expect(touchesDetail(st, { type: "sale" })).toBe(false);
    expect(touchesDetail(st, { type: "lagged" })).toBe(true);
    st = reduceDrops(st, { type: "detail", detail: null });
    expect(touchesDetail(st, { type: "lagged" })).toBe(false);
  });

  it("marks the page stale on lag until the list is read again", () => {
    let st = reduceDrops(initialDrops(), { type: "lagged" });
    expect(st.stale).toBe(true);
    st = reduceDrops(st, { type: "list", list: [] });
    expect(st.stale).toBe(false);
  });

  it("does not invent a list before the first load", () => {
    const st = reduceDrops(initialDrops(), { type: "drop", ...summary("sku:A", 1) });
    expect(st.list).toBeNull();
  });
});

describe("drop phase and gauge", () => {
  const now = 1_000_000;
  it("tells ended, scheduled, over, sold out and on sale apart", () => {
    expect(dropPhase(summary("k", 5, { active: false }), now)).toBe("ended");
    expect(dropPhase(summary("k", 5, { starts_at_ms: now + 1 }), now)).toBe("scheduled");
    expect(dropPhase(summary("k", 5, { starts_at_ms: now }), now)).toBe("on");
    expect(dropPhase(summary("k", 5, { ends_at_ms: now }), now)).toBe("over");
    expect(dropPhase(summary("k", 0), now)).toBe("sold_out");
    expect(dropPhase(summary("k", 1), now)).toBe("on");
  });
  it("shares left of total, clamped", () => {
    expect(leftShare({ left: 25, total: 100 })).toBe(0.25);
    expect(leftShare({ left: 0, total: 0 })).toBe(0);
    expect(leftShare({ left: 120, total: 100 })).toBe(1);
  });
});

describe("new drop form", () => {
  const check = (f: DropForm) => validateDropForm(f, STORES, "KRW");

  it("builds the body of a SKU drop split equally over every store", () => {
    const { errors, body } = check(form({ holdMinutes: "20" }));
    expect(errors).toEqual([]);
    expect(body).toEqual({ label: "Collab jacket", sku: "JK-COLLAB-M", total: 10, rule: "equal", hold_minutes: 20 });
  });

  it("accepts a manual grid that adds up to the total and sends it per store", () => {
    const f = form({ rule: "manual", manual: { GN01: "5", HD02: "3", BS03: "2" } });
    expect(manualSum(f, STORES)).toBe(10);
    const { errors, body } = check(f);
    expect(errors).toEqual([]);
    expect(body!.manual).toEqual({ GN01: 5, HD02: 3, BS03: 2 });
  });

  it("refuses a manual grid whose sum is not the total, either way, saying both numbers", () => {
    for (const [manual, sum] of [
      [{ GN01: "5", HD02: "3" }, 8],
      [{ GN01: "5", HD02: "3", BS03: "3" }, 11],
    ] as const) {
      const { errors, body } = check(form({ rule: "manual", manual }));
      expect(body).toBeNull();
      expect(errors).toContainEqual({ field: "manual", key: "drops.err.manual_sum", vars: { sum, total: 10 } });
    }
  });

  it("counts only the chosen stores in the grid and sends them", () => {
    const f = form({ rule: "manual", stores: ["HD02", "GN01"], manual: { GN01: "6", HD02: "4", BS03: "99" } });
    const { errors, body } = check(f);
    expect(errors).toEqual([]);
    expect(body!.stores).toEqual(["GN01", "HD02"]);
    expect(body!.manual).toEqual({ GN01: 6, HD02: 4 });
  });

  it("refuses a cell that is not a whole number and names the store", () => {
    const { errors } = check(form({ rule: "manual", manual: { GN01: "5.5", HD02: "4.5" } }));
    expect(errors).toContainEqual({ field: "manual", key: "drops.err.manual_value", vars: { stores: "GN01, HD02" } });
  });

  it("ignores the grid under the other rules", () => {
    const { errors, body } = check(form({ rule: "weighted_by_sales", manual: { GN01: "1" } }));
    expect(errors).toEqual([]);
    expect(body!.manual).toBeUndefined();
  });

  it("refuses a missing name, SKU, a zero or huge total and bad hold minutes", () => {
    const fields = (f: DropForm) => check(f).errors.map((e) => e.field);
    expect(fields(form({ label: "  " }))).toEqual(["label"]);
    expect(fields(form({ sku: "" }))).toEqual(["sku"]);
    expect(fields(form({ total: "0" }))).toEqual(["total"]);
    expect(fields(form({ total: "1000001" }))).toEqual(["total"]);
    expect(fields(form({ total: "1,000,000" }))).toEqual([]);
    expect(fields(form({ holdMinutes: "-1" }))).toEqual(["hold_minutes"]);
    expect(fields(form({ holdMinutes: "" }))).toEqual([]);
    expect(fields(form({ stores: ["XX9"] }))).toEqual(["stores"]);
  });

  it("builds a coupon's terms: code in capitals, percent or amount, minimum spend in minor units", () => {
    const pct = check(form({ kind: "coupon", sku: "", code: "welcome-10", discountMode: "percent", discountValue: "10", minSpend: "50,000" }));
    expect(pct.errors).toEqual([]);
    expect(pct.body!.sku).toBeUndefined();
    expect(pct.body!.coupon).toEqual({ code: "WELCOME-10", discount: { percent: 10 }, min_spend: 50_000 });
    const amt = validateDropForm(form({ kind: "coupon", code: "SAVE5", discountMode: "amount", discountValue: "5.50", minSpend: "" }), STORES, "USD");
    expect(amt.body!.coupon).toEqual({ code: "SAVE5", discount: { amount: 550 }, min_spend: 0 });
  });

  it("refuses bad coupon terms", () => {
    const fields = (p: Partial<DropForm>) =>
      check(form({ kind: "coupon", code: "OK-1", discountMode: "percent", discountValue: "10", ...p })).errors.map((e) => e.field);
    expect(fields({})).toEqual([]);
    expect(fields({ code: "NO SPACES" })).toEqual(["code"]);
    expect(fields({ discountValue: "0" })).toEqual(["discount"]);
    expect(fields({ discountValue: "101" })).toEqual(["discount"]);
    expect(fields({ discountMode: "amount", discountValue: "1.5" })).toEqual(["discount"]); // KRW has no minor unit
    expect(fields({ minSpend: "abc" })).toEqual(["min_spend"]);
  });

  it("needs the end after the start and sends both as epoch ms", () => {
    expect(check(form({ startsAt: "2026-12-01T10:00", endsAt: "2026-12-01T10:00" })).errors.map((e) => e.key)).toEqual(["drops.err.window"]);
    const ok = check(form({ startsAt: "2026-12-01T10:00", endsAt: "2026-12-01T12:00" }));
    expect(ok.body!.ends_at_ms! - ok.body!.starts_at_ms!).toBe(2 * 3_600_000);
    expect(check(form({ startsAt: "not a date" })).errors.map((e) => e.key)).toEqual(["drops.err.window_invalid"]);
  });
});

describe("drops api and navigation", () => {
  it("encodes the key in the path", () => {
    expect(dropPath("sku:TS-1/B", "/end")).toBe("/drops/sku%3ATS-1%2FB/end");
  });
  it("finds the new drop's key in a summary or a detail answer", () => {
    expect(createdKey(summary("sku:A", 1))).toBe("sku:A");
    expect(createdKey(detail(summary("sku:B", 1)))).toBe("sku:B");
    expect(createdKey(null)).toBeNull();
    expect(createdKey({})).toBeNull();
  });
  it("shows Drops to HQ roles only", () => {
    expect(pagesFor("hq_admin")).toContain("drops");
    expect(pagesFor("hq_staff")).toContain("drops");
    expect(pagesFor("store_manager")).not.toContain("drops");
  });
});
