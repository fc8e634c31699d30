// Limited editions, holds, coupons and the clock guard at the till: the line
// badge, what blocks paying, the coupon line of the pay step, holds, the cart's
// hold/coupon fields of the SaleRequest, and the refusal headlines by code.
import { describe, expect, it } from "vitest";

import type { ProductHit } from "../src/api/types/ProductHit";
import { translate } from "../src/i18n";
import { en } from "../src/i18n/en";
import { ko } from "../src/i18n/ko";
import type { LimitHoldView, LimitedSaleQuote, LimitedStatus } from "../src/limited/types";
import { cartReducer, emptyCart, toSaleRequest } from "../src/logic/cart";
import { LIMITED_ERROR_CODES, isCouponError, showError } from "../src/logic/errors";
import {
  cartHoldOf,
  checkHoldQty,
  clockBanner,
  couponAllowsPay,
  couponView,
  holdMinutesLeft,
  holdState,
  limitedBadge,
  limitedFor,
  limitedProblems,
  normaliseCoupon,
  sortHolds,
} from "../src/logic/limited";

const status = (patch: Partial<LimitedStatus> = {}): LimitedStatus => ({
  key: "sku:JK-1",
  sku: "JK-1",
  label: "Collab jacket",
  active: true,
  on_sale_now: true,
  starts_at_ms: null,
  ends_at_ms: null,
  available: 3,
  rights: 3,
  held: 0,
  store_left: 5,
  elsewhere_left: 40,
  total_left: 45,
  hold_minutes: 30,
  request_open: false,
  ...patch,
});

const quote = (patch: Partial<LimitedSaleQuote> = {}): LimitedSaleQuote => ({
  lines: [],
  gross: 100_000,
  discount: 0,
  total: 100_000,
  currency: "KRW",
  needs_approval: false,
  discount_limit_pct: 10,
  limited: [status()],
  coupon: null,
  ...patch,
});

const hit = (sku: string, price: number): ProductHit => ({
  sku, name: `Item ${sku}`, price, barcode: null, style: null, colour: null, size: null,
  category: null, active: true, current_price: null, price_label: null, stock: 1,
});

const hold = (patch: Partial<LimitHoldView> = {}): LimitHoldView => ({
  id: "h-1", sku: "JK-1", label: "Collab jacket", qty: 2, note: "Ms Kim", placed_at_ms: 1_000, expires_at_ms: 1_000 + 30 * 60_000, status: "held",
  ...patch,
});

describe("limited line badge", () => {
  it("says how many are left at this till when the line fits", () => {
    const b = limitedBadge(status({ available: 3 }), 2);
    expect(b).toMatchObject({ state: "ok", available: 3 });
    expect(translate("en", b.key, b.vars)).toBe("Limited · 3 left at this till");
    expect(translate("ko", b.key, b.vars)).toBe("한정 · 이 포스에 3개 남음");
  });

  it("warns when the line asks for more than this till may sell, naming the other stores' count", () => {
    const b = limitedBadge(status({ available: 3, elsewhere_left: 40 }), 4);
    expect(b.state).toBe("over");
    expect(translate("en", b.key, b.vars)).toBe("Limited · only 3 left at this till; 40 in other stores");
  });

  it("says used up here when nothing is available, and not on sale outside the window or after the end", () => {
    const used = limitedBadge(status({ available: 0, elsewhere_left: 12 }), 1);
    expect(used.state).toBe("used_up");
    expect(translate("en", used.key, used.vars)).toBe("Limited · used up at this till; 12 left in other stores");
    expect(limitedBadge(status({ on_sale_now: false }), 1).state).toBe("not_on_sale");
    expect(limitedBadge(status({ active: false, available: 3 }), 1).state).toBe("not_on_sale");
  });

  it("counts the units of the hold being sold as available for its SKU", () => {
    expect(limitedBadge(status({ available: 0 }), 2, 2)).toMatchObject({ state: "ok", available: 2 });
    expect(limitedBadge(status({ available: 1 }), 4, 2)).toMatchObject({ state: "over", available: 3 });
  });

  it("finds a SKU's status in the quote and nothing for other SKUs or an older shell's quote", () => {
    expect(limitedFor(quote(), "JK-1")?.label).toBe("Collab jacket");
    expect(limitedFor(quote(), "TEE")).toBeNull();
    expect(limitedFor(quote({ limited: undefined }), "JK-1")).toBeNull();
    expect(limitedFor(null, "JK-1")).toBeNull();
  });

  it("blocks paying only for limited lines over what may be sold", () => {
    const lines = [
      { sku: "TEE", qty: 9 },
      { sku: "JK-1", qty: 3 },
    ];
    expect(limitedProblems(lines, quote(), null)).toEqual([]);
    const over = limitedProblems([{ sku: "JK-1", qty: 4 }], quote(), null);
    expect(over.map((p) => [p.sku, p.badge.state])).toEqual([["JK-1", "over"]]);
    const withHold = limitedProblems([{ sku: "JK-1", qty: 4 }], quote(), { id: "h", sku: "JK-1", qty: 1, note: "" });
    expect(withHold).toEqual([]);
  });
});

describe("coupon on the pay step", () => {
  const applied = { code: "WELCOME10", label: "Welcome 10%", discount: 10_000, refused: null };

  it("normalises what was typed", () => {
    expect(normaliseCoupon(" welcome 10 ")).toBe("WELCOME10");
    expect(normaliseCoupon("   ")).toBeNull();
  });

  it("shows the discount from a fresh quote for the same code", () => {
    const v = couponView("WELCOME10", true, quote({ coupon: applied }), true);
    expect(v).toEqual({ state: "applied", code: "WELCOME10", label: "Welcome 10%", discount: 10_000 });
    expect(couponAllowsPay(v)).toBe(true);
  });

  it("shows the core's refusal and blocks completing until the coupon is removed", () => {
    const v = couponView("WELCOME10", true, quote({ coupon: { ...applied, discount: 0, refused: "this member has already used this coupon" } }), true);
    expect(v).toEqual({ state: "refused", code: "WELCOME10", reason: "this member has already used this coupon" });
    expect(couponAllowsPay(v)).toBe(false);
  });

  it("asks for a member before asking the core", () => {
    const v = couponView("WELCOME10", false, quote({ coupon: applied }), true);
    expect(v.state).toBe("needs_member");
    expect(couponAllowsPay(v)).toBe(false);
  });

  it("waits for a quote of the current cart and of the same code", () => {
    expect(couponView("WELCOME10", true, quote({ coupon: applied }), false).state).toBe("pending");
    expect(couponView("OTHER", true, quote({ coupon: applied }), true).state).toBe("pending");
    expect(couponView("WELCOME10", true, quote({ coupon: undefined }), true).state).toBe("pending");
    expect(couponAllowsPay({ state: "pending", code: "X" })).toBe(false);
    expect(couponView(null, false, null, true)).toEqual({ state: "none" });
  });
});

describe("holds", () => {
  it("shows a held hold past its expiry as expired, others as they are", () => {
    const h = hold();
    expect(holdState(h, h.expires_at_ms - 1)).toBe("held");
    expect(holdState(h, h.expires_at_ms)).toBe("expired");
    expect(holdState(hold({ status: "sold" }), h.expires_at_ms + 1)).toBe("sold");
    expect(holdMinutesLeft(h, h.expires_at_ms - 61_000)).toBe(2);
    expect(holdMinutesLeft(h, h.expires_at_ms + 5)).toBe(0);
  });

  it("lists active holds first, soonest to lapse first, then finished ones newest first", () => {
    const now = 10_000;
    const list = [
      hold({ id: "old-released", status: "released", placed_at_ms: 1 }),
      hold({ id: "late", expires_at_ms: now + 900_000 }),
      hold({ id: "expired", expires_at_ms: now - 1, placed_at_ms: 5 }),
      hold({ id: "soon", expires_at_ms: now + 60_000 }),
    ];
    expect(sortHolds(list, now).map((h) => h.id)).toEqual(["soon", "late", "expired", "old-released"]);
  });

  it("checks the Hold dialog's quantity against what this till may hold", () => {
    expect(checkHoldQty("2", status({ available: 3 }))).toBe(2);
    expect(checkHoldQty("4", status({ available: 3 }))).toEqual({ error: "limited.hold_qty_over", vars: { n: 3 } });
    expect(checkHoldQty("0", status())).toEqual({ error: "limited.hold_qty_invalid" });
    expect(checkHoldQty("1.5", status())).toEqual({ error: "limited.hold_qty_invalid" });
    expect(checkHoldQty("1", status({ hold_minutes: 0 }))).toEqual({ error: "limited.hold_not_allowed" });
  });

  it("sells only an active hold", () => {
    const h = hold();
    expect(cartHoldOf(h, 2_000)).toEqual({ id: "h-1", sku: "JK-1", qty: 2, note: "Ms Kim" });
    expect(cartHoldOf(h, h.expires_at_ms)).toBeNull();
    expect(cartHoldOf(hold({ status: "released" }), 2_000)).toBeNull();
  });
});

describe("cart with a hold and a coupon", () => {
  it("puts the held units into the cart and sends the hold with the sale", () => {
    const h = cartHoldOf(hold({ qty: 2 }), 2_000)!;
    let c = cartReducer(emptyCart, { type: "sellHold", hold: h, hit: hit("JK-1", 390_000) });
    expect(c.lines.map((l) => [l.sku, l.qty])).toEqual([["JK-1", 2]]);
    expect(toSaleRequest(c, [], null)).toMatchObject({ hold: "h-1", items: [{ code: "JK-1", qty: 2, discount: null }] });
    // A line already there keeps its larger quantity.
    c = cartReducer(cartReducer(emptyCart, { type: "add", hit: hit("JK-1", 390_000), qty: 3 }), { type: "sellHold", hold: h, hit: hit("JK-1", 390_000) });
    expect(c.lines[0]!.qty).toBe(3);
    expect(c.hold?.id).toBe("h-1");
  });

  it("drops the hold when its line is removed or the sale is cleared", () => {
    const h = cartHoldOf(hold(), 2_000)!;
    let c = cartReducer(emptyCart, { type: "add", hit: hit("TEE", 10_000) });
    c = cartReducer(c, { type: "sellHold", hold: h, hit: hit("JK-1", 390_000) });
    c = cartReducer(c, { type: "remove", index: 0 });
    expect(c.hold?.id).toBe("h-1");
    c = cartReducer(c, { type: "remove", index: 0 });
    expect(c.hold).toBeNull();
    c = cartReducer(cartReducer(emptyCart, { type: "sellHold", hold: h, hit: hit("JK-1", 1) }), { type: "clear" });
    expect(toSaleRequest(c, [], null)).toMatchObject({ hold: null, coupon_code: null });
  });

  it("prices the cart again when a coupon is put on or off, and when the member changes with a coupon on", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("TEE", 60_000) });
    const rev = c.rev;
    c = cartReducer(c, { type: "coupon", code: "WELCOME10" });
    expect(c.rev).toBe(rev + 1);
    expect(toSaleRequest(c, [], null).coupon_code).toBe("WELCOME10");
    const before = c.rev;
    c = cartReducer(c, { type: "member", member: { id: "m", phone: "01012345678", name: "Lee", birth_year: null, home_store: null, signed_up_at_ms: null, marketing_consent: null } });
    expect(c.rev).toBe(before + 1);
    c = cartReducer(c, { type: "coupon", code: null });
    expect(toSaleRequest(c, [], null).coupon_code).toBeNull();
    // Without a coupon a member change does not re-price (as before issue 7).
    const r2 = c.rev;
    c = cartReducer(c, { type: "member", member: null });
    expect(c.rev).toBe(r2);
  });

  it("keeps a manager's approval when only the coupon changes", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("TEE", 60_000) });
    c = cartReducer(c, { type: "approve", pin: "9999" });
    c = cartReducer(c, { type: "coupon", code: "WELCOME10" });
    expect(c.approverPin).toBe("9999");
  });
});

describe("refusals of limited items and coupons", () => {
  it("has a headline for every code of the contract in both languages", () => {
    for (const code of LIMITED_ERROR_CODES) {
      const e = showError("en", { code, message: "detail from the core" });
      expect(e.title, code).not.toBeNull();
      expect(e.message).toBe("detail from the core");
      const k = showError("ko", { code, message: "x" }).title;
      expect(k, code).not.toBeNull();
      expect(k, code).not.toBe(e.title);
      expect(/[\uac00-\ud7a3]/.test(k ?? ""), code).toBe(true);
    }
    expect(Object.keys(en)).toEqual(expect.arrayContaining(LIMITED_ERROR_CODES.map((c) => `err.${c}`)));
    expect(Object.keys(ko).length).toBe(Object.keys(en).length);
  });

  it("keeps the core's sentence with its numbers under the headline", () => {
    const msg = "limited item: this till's allocation is used up; 12 left in other stores";
    expect(showError("en", { code: "limited_used_up", message: msg })).toEqual({
      code: "limited_used_up",
      title: "Limited item used up here",
      message: msg,
    });
  });

  it("tells coupon refusals from the others", () => {
    expect(LIMITED_ERROR_CODES.filter(isCouponError)).toEqual([
      "coupon_needs_member",
      "coupon_unknown",
      "coupon_not_on_now",
      "coupon_min_spend",
      "coupon_already_used",
      "coupons_used_up",
    ]);
  });
});

describe("clock guard banner", () => {
  it("shows only when deals are paused, with the offset in whole minutes either way", () => {
    expect(clockBanner(null)).toBeNull();
    expect(clockBanner({ offset_ms: 600_000, deals_paused: false })).toBeNull();
    const fast = clockBanner({ offset_ms: -600_000, deals_paused: true })!;
    expect(translate("en", fast.key, fast.vars)).toContain("10 min off");
    expect(clockBanner({ offset_ms: 330_000, deals_paused: true })!.vars).toEqual({ min: 6 });
    expect(clockBanner({ offset_ms: null, deals_paused: true })!.key).toBe("limited.clock_paused_unknown");
  });
});
