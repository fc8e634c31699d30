// The cart of the Sell screen as a pure reducer. A scanned product is added
// at once from its ProductHit (optimistic line, price = current price) so the
// screen paints within a frame; every change bumps `rev`, the screen then asks
// the shell for `quote_sale` and `applyQuote` reconciles the lines with the
// core's pricing only if the quote is for the current `rev` (a late quote of
// an older cart is dropped). Totals shown are the quote's when it is fresh,
// else a local estimate flagged `estimated`.

import type { Discount } from "../api/types/Discount";
import type { Member } from "../api/types/Member";
import type { ProductHit } from "../api/types/ProductHit";
import type { TenderRequest } from "../api/types/TenderRequest";
import type { LimitedSaleQuote, LimitedSaleRequest } from "../limited/types";
import type { CartHold } from "./limited";

/** Largest quantity of one line (sync_proto::validate::MAX_LINE_QTY). */
export const MAX_LINE_QTY = 10_000;

export interface CartLine {
  sku: string;
  /** What was scanned or picked (sent as the SaleItem code). */
  code: string;
  name: string;
  qty: number;
  unitPrice: number;
  /** The cashier's discount on this line, if any. */
  discount: Discount | null;
  /** Discount in minor units on this line (quoted, incl. spread cart discount). */
  discountAmount: number;
  lineTotal: number;
  priceLabel: string | null;
  colour: string | null;
  size: string | null;
  /** Stock at this store when the line was added. */
  stock: number | null;
  /** Priced by the core (false until the first quote after a change). */
  quoted: boolean;
}

export interface Cart {
  lines: CartLine[];
  cartDiscount: Discount | null;
  member: Member | null;
  /** A manager's PIN given for this cart's discount. */
  approverPin: string | null;
  /** A hold this sale buys (its units count as available for its SKU). */
  hold: CartHold | null;
  /** Coupon code typed on the pay step (normalised), priced by the quote. */
  couponCode: string | null;
  quote: LimitedSaleQuote | null;
  /** The `rev` the quote was made for. */
  quoteRev: number;
  /** Bumped on every change of items, discounts or member. */
  rev: number;
  /** Index of the selected line (keyboard +/−, discount, remove); −1 = none. */
  selected: number;
  /** The SKU of the line the last add touched (to flash it and time the paint). */
  lastAdded: string | null;
  /** Counts adds, so a repeat scan of the same SKU is noticed too. */
  addSeq: number;
}

export const emptyCart: Cart = {
  lines: [],
  cartDiscount: null,
  member: null,
  approverPin: null,
  hold: null,
  couponCode: null,
  quote: null,
  quoteRev: -1,
  rev: 0,
  selected: -1,
  lastAdded: null,
  addSeq: 0,
};

export type CartAction =
  | { type: "add"; hit: ProductHit; code?: string; qty?: number }
  | { type: "setQty"; index: number; qty: number }
  | { type: "inc"; index: number; by: number }
  | { type: "remove"; index: number }
  | { type: "lineDiscount"; index: number; discount: Discount | null }
  | { type: "cartDiscount"; discount: Discount | null }
  | { type: "member"; member: Member | null }
  | { type: "approve"; pin: string | null }
  | { type: "sellHold"; hold: CartHold; hit: ProductHit }
  | { type: "coupon"; code: string | null }
  | { type: "select"; index: number }
  | { type: "quoted"; quote: LimitedSaleQuote; rev: number }
  | { type: "clear" };

/** Price of a product as a line would get it now. */
export function hitPrice(hit: ProductHit): number {
  return hit.current_price ?? hit.price ?? 0;
}

/** Minor units a discount takes off `gross` (never more than gross; percent rounds down). */
export function discountAmount(d: Discount | null, gross: number): number {
  if (!d || gross <= 0) return 0;
  if (d.kind === "amount") return Math.max(0, Math.min(d.value, gross));
  const pct = Math.max(0, Math.min(100, d.value));
  return Math.floor((gross * pct) / 100);
}

function estimateLine(l: CartLine): CartLine {
  const gross = l.qty * l.unitPrice;
  const discountAmountLocal = discountAmount(l.discount, gross);
  return { ...l, discountAmount: discountAmountLocal, lineTotal: gross - discountAmountLocal, quoted: false };
}

function bump(c: Cart, patch: Partial<Cart>): Cart {
  // Any change voids an approval given for the previous discounts.
  return { ...c, ...patch, rev: c.rev + 1, approverPin: patch.approverPin ?? null };
}

export function cartReducer(c: Cart, a: CartAction): Cart {
  switch (a.type) {
    case "add": {
      const qty = a.qty ?? 1;
      const i = c.lines.findIndex((l) => l.sku === a.hit.sku);
      if (i >= 0) {
        const old = c.lines[i]!;
        const lines = c.lines.slice();
        lines[i] = estimateLine({ ...old, qty: Math.min(MAX_LINE_QTY, old.qty + qty) });
        return bump(c, { lines, selected: i, lastAdded: old.sku, addSeq: c.addSeq + 1 });
      }
      const line = estimateLine({
        sku: a.hit.sku,
        code: a.code ?? a.hit.sku,
        name: a.hit.name,
        qty,
        unitPrice: hitPrice(a.hit),
        discount: null,
        discountAmount: 0,
        lineTotal: 0,
        priceLabel: a.hit.price_label,
        colour: a.hit.colour,
        size: a.hit.size,
        stock: a.hit.stock,
        quoted: false,
      });
      const lines = [...c.lines, line];
      return bump(c, { lines, selected: lines.length - 1, lastAdded: line.sku, addSeq: c.addSeq + 1 });
    }
    case "setQty":
    case "inc": {
      const old = c.lines[a.index];
      if (!old) return c;
      const qty = a.type === "setQty" ? a.qty : old.qty + a.by;
      if (qty <= 0) return cartReducer(c, { type: "remove", index: a.index });
      const lines = c.lines.slice();
      lines[a.index] = estimateLine({ ...old, qty: Math.min(MAX_LINE_QTY, Math.floor(qty)) });
      return bump(c, { lines, selected: a.index });
    }
    case "remove": {
      const gone = c.lines[a.index];
      if (!gone) return c;
      const lines = c.lines.filter((_, i) => i !== a.index);
      // Removing the held item's line means the hold is not sold with this sale.
      const hold = c.hold && c.hold.sku === gone.sku ? null : c.hold;
      return bump(c, { lines, hold, selected: Math.min(a.index, lines.length - 1), quote: lines.length ? c.quote : null });
    }
    case "sellHold": {
      // The held units go into the cart: the line gets at least the hold's quantity.
      const i = c.lines.findIndex((l) => l.sku === a.hold.sku);
      const qty = Math.min(MAX_LINE_QTY, a.hold.qty);
      if (i >= 0) {
        const old = c.lines[i]!;
        const lines = c.lines.slice();
        lines[i] = estimateLine({ ...old, qty: Math.max(old.qty, qty) });
        return bump(c, { lines, hold: a.hold, selected: i, lastAdded: old.sku, addSeq: c.addSeq + 1 });
      }
      const added = cartReducer(c, { type: "add", hit: a.hit, code: a.hold.sku, qty });
      return { ...added, hold: a.hold };
    }
    case "coupon":
      return bump(c, { couponCode: a.code, approverPin: c.approverPin });
    case "lineDiscount": {
      const old = c.lines[a.index];
      if (!old) return c;
      const lines = c.lines.slice();
      lines[a.index] = estimateLine({ ...old, discount: a.discount });
      return bump(c, { lines });
    }
    case "cartDiscount":
      return bump(c, { cartDiscount: a.discount, lines: c.lines.map(estimateLine) });
    case "member":
      // A coupon's price depends on the member (needs one; once per member): price again.
      return c.couponCode ? { ...c, member: a.member, rev: c.rev + 1 } : { ...c, member: a.member };
    case "approve":
      return { ...c, approverPin: a.pin };
    case "select":
      return { ...c, selected: c.lines.length ? Math.max(0, Math.min(a.index, c.lines.length - 1)) : -1 };
    case "quoted":
      return applyQuote(c, a.quote, a.rev);
    case "clear":
      return { ...emptyCart, rev: c.rev + 1, addSeq: c.addSeq };
  }
}

/** Take the core's pricing for the cart it was asked about; drop it if the cart changed since. */
export function applyQuote(c: Cart, q: LimitedSaleQuote, rev: number): Cart {
  if (rev !== c.rev) return c;
  const lines = c.lines.map((l) => {
    const ql = q.lines.find((x) => x.sku === l.sku);
    if (!ql) return l;
    return {
      ...l,
      name: ql.name,
      qty: ql.qty,
      unitPrice: ql.unit_price,
      discountAmount: ql.discount,
      lineTotal: ql.line_total,
      priceLabel: ql.price_label,
      colour: ql.colour ?? l.colour,
      size: ql.size ?? l.size,
      quoted: true,
    };
  });
  return { ...c, lines, quote: q, quoteRev: rev };
}

export interface CartTotals {
  items: number;
  gross: number;
  discount: number;
  total: number;
  /** Local estimate: the quote for the current cart has not come back yet. */
  estimated: boolean;
  needsApproval: boolean;
  limitPct: number | null;
}

export function cartTotals(c: Cart): CartTotals {
  const items = c.lines.reduce((n, l) => n + l.qty, 0);
  if (c.quote && c.quoteRev === c.rev) {
    return {
      items,
      gross: c.quote.gross,
      discount: c.quote.discount,
      total: c.quote.total,
      estimated: false,
      needsApproval: c.quote.needs_approval,
      limitPct: c.quote.discount_limit_pct,
    };
  }
  const gross = c.lines.reduce((n, l) => n + l.qty * l.unitPrice, 0);
  const lineDisc = c.lines.reduce((n, l) => n + l.discountAmount, 0);
  const cartDisc = discountAmount(c.cartDiscount, gross - lineDisc);
  const discount = lineDisc + cartDisc;
  return {
    items,
    gross,
    discount,
    total: gross - discount,
    estimated: c.lines.length > 0,
    needsApproval: c.quote?.needs_approval ?? false,
    limitPct: c.quote?.discount_limit_pct ?? null,
  };
}

/** The SaleRequest for the shell (the shell sets the real cashier). */
export function toSaleRequest(c: Cart, tenders: TenderRequest[], cashier: string | null): LimitedSaleRequest {
  return {
    items: c.lines.map((l) => ({ code: l.code, qty: l.qty, discount: l.discount })),
    tenders,
    cashier,
    member_phone: c.member?.phone ?? null,
    sold_at_ms: null,
    cart_discount: c.cartDiscount,
    approver_pin: c.approverPin,
    hold: c.hold?.id ?? null,
    coupon_code: c.couponCode,
  };
}
