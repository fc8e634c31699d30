// The cart reducer: optimistic lines from a ProductHit, reconciliation with
// quote_sale for the current revision only, totals and the SaleRequest.
import { describe, expect, it } from "vitest";

import type { ProductHit } from "../src/api/types/ProductHit";
import type { SaleQuote } from "../src/api/types/SaleQuote";
import { applyQuote, cartReducer, cartTotals, discountAmount, emptyCart, toSaleRequest } from "../src/logic/cart";

const hit = (sku: string, price: number, current: number | null = null): ProductHit => ({
  sku, name: `Item ${sku}`, price, barcode: `88${sku}`, style: null, colour: "Black", size: "M",
  category: "Tops", active: true, current_price: current, price_label: current ? "Sale" : null, stock: 4,
});

describe("cart", () => {
  it("adds a scanned product at once with its current price, merging the same SKU", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("A", 10000, 8000), code: "88A" });
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatchObject({ sku: "A", code: "88A", qty: 1, unitPrice: 8000, lineTotal: 8000, quoted: false });
    const rev = c.rev;
    c = cartReducer(c, { type: "add", hit: hit("A", 10000, 8000) });
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]!.qty).toBe(2);
    expect(c.rev).toBe(rev + 1);
    expect(c.addSeq).toBe(2);
    c = cartReducer(c, { type: "add", hit: hit("B", 5000), qty: 3 });
    expect(c.selected).toBe(1);
    expect(cartTotals(c)).toMatchObject({ items: 5, gross: 31000, total: 31000, estimated: true });
  });

  it("changes quantities, removes at zero and caps at the line maximum", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("A", 100) });
    c = cartReducer(c, { type: "inc", index: 0, by: 1 });
    expect(c.lines[0]!.qty).toBe(2);
    c = cartReducer(c, { type: "setQty", index: 0, qty: 99999 });
    expect(c.lines[0]!.qty).toBe(10000);
    c = cartReducer(c, { type: "inc", index: 0, by: -10000 });
    expect(c.lines).toHaveLength(0);
    expect(c.selected).toBe(-1);
  });

  it("estimates line and cart discounts until the quote comes", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("A", 10000), qty: 2 });
    c = cartReducer(c, { type: "lineDiscount", index: 0, discount: { kind: "percent", value: 10 } });
    expect(c.lines[0]!.lineTotal).toBe(18000);
    c = cartReducer(c, { type: "cartDiscount", discount: { kind: "amount", value: 3000 } });
    expect(cartTotals(c)).toMatchObject({ gross: 20000, discount: 5000, total: 15000, estimated: true });
    expect(discountAmount({ kind: "amount", value: 999 }, 100)).toBe(100);
    expect(discountAmount({ kind: "percent", value: 33 }, 100)).toBe(33);
  });

  it("takes the quote only for the cart it was asked about", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("A", 10000) });
    const asked = c.rev;
    const q: SaleQuote = {
      lines: [{ sku: "A", code: "A", name: "Tee", qty: 1, unit_price: 9000, discount: 0, line_total: 9000, price_label: "Rule", colour: "Black", size: "M" }],
      gross: 9000, discount: 0, total: 9000, currency: "KRW", needs_approval: false, discount_limit_pct: 10, coupon: null, limited: [],
    };
    const c2 = cartReducer(c, { type: "add", hit: hit("B", 1) });
    expect(applyQuote(c2, q, asked)).toBe(c2); // stale: dropped
    c = applyQuote(c, q, asked);
    expect(c.lines[0]).toMatchObject({ name: "Tee", unitPrice: 9000, lineTotal: 9000, priceLabel: "Rule", quoted: true });
    expect(cartTotals(c)).toMatchObject({ total: 9000, estimated: false, needsApproval: false, limitPct: 10 });
  });

  it("voids a manager approval when the cart changes", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("A", 100) });
    c = cartReducer(c, { type: "approve", pin: "9999" });
    expect(toSaleRequest(c, [], "minji").approver_pin).toBe("9999");
    c = cartReducer(c, { type: "inc", index: 0, by: 1 });
    expect(c.approverPin).toBeNull();
  });

  it("builds the SaleRequest with every field of the contract", () => {
    let c = cartReducer(emptyCart, { type: "add", hit: hit("A", 100), code: "88A" });
    c = cartReducer(c, { type: "cartDiscount", discount: { kind: "percent", value: 5 } });
    c = cartReducer(c, { type: "member", member: { id: "m", phone: "01012345678", name: "Lee", birth_year: null, home_store: null, signed_up_at_ms: null, marketing_consent: null } });
    expect(toSaleRequest(c, [{ kind: "cash", amount: 100 }], "minji")).toEqual({
      items: [{ code: "88A", qty: 1, discount: null }],
      tenders: [{ kind: "cash", amount: 100 }],
      cashier: "minji",
      member_phone: "01012345678",
      sold_at_ms: null,
      cart_discount: { kind: "percent", value: 5 },
      approver_pin: null,
      hold: null,
      coupon_code: null,
    });
  });
});
