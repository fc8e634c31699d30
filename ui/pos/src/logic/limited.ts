// Limited editions, holds, first-come coupons and the time-deal clock guard
// at the till, as pure functions the screens call: the badge of a cart line
// ("Limited · 3 left at this till"), whether a cart can be paid, the coupon
// line of the pay step, what a hold shows and how long it has left, and the
// clock banner. The core decides (it refuses a sale that would oversell);
// these only say beforehand what it will say.

import type { Key, Vars } from "../i18n";
import type { ClockGuard, CouponQuote, LimitHoldView, LimitedSaleQuote, LimitedStatus, HoldState } from "../limited/types";

/** A hold the cart is selling (`SaleRequest.hold`). */
export interface CartHold {
  id: string;
  sku: string;
  qty: number;
  note: string;
}

/** What the badge of a limited line says. */
export type LimitedBadgeState = "ok" | "over" | "used_up" | "not_on_sale";

export interface LimitedBadge {
  state: LimitedBadgeState;
  /** What this line may sell: the till's available plus the units of the hold being sold. */
  available: number;
  elsewhere: number;
  key: Key;
  vars: Vars;
}

/** The status of `sku` in a quote (null: not limited, or the quote does not say). */
export function limitedFor(quote: LimitedSaleQuote | null, sku: string): LimitedStatus | null {
  return quote?.limited?.find((s) => s.sku === sku) ?? null;
}

/**
 * The badge of a cart line of a limited SKU. `heldQty` is the units of a
 * hold the cart sells for this SKU (they count as available for it).
 */
export function limitedBadge(status: LimitedStatus, lineQty: number, heldQty = 0): LimitedBadge {
  const available = status.available + heldQty;
  const elsewhere = status.elsewhere_left;
  if (!status.active || !status.on_sale_now) {
    return { state: "not_on_sale", available, elsewhere, key: "limited.badge_not_on_sale", vars: {} };
  }
  if (available <= 0) {
    return { state: "used_up", available: 0, elsewhere, key: "limited.badge_used_up", vars: { elsewhere } };
  }
  if (lineQty > available) {
    return { state: "over", available, elsewhere, key: "limited.badge_over", vars: { n: available, elsewhere } };
  }
  return { state: "ok", available, elsewhere, key: "limited.badge_ok", vars: { n: available } };
}

/** Units of `hold` that count for `sku`'s line. */
export function heldFor(hold: CartHold | null, sku: string): number {
  return hold && hold.sku === sku ? hold.qty : 0;
}

/** Lines the core would refuse (limited and over what may be sold); empty = fine. */
export function limitedProblems(
  lines: { sku: string; qty: number }[],
  quote: LimitedSaleQuote | null,
  hold: CartHold | null,
): { sku: string; badge: LimitedBadge }[] {
  const out: { sku: string; badge: LimitedBadge }[] = [];
  for (const l of lines) {
    const s = limitedFor(quote, l.sku);
    if (!s) continue;
    const badge = limitedBadge(s, l.qty, heldFor(hold, l.sku));
    if (badge.state !== "ok") out.push({ sku: l.sku, badge });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Coupon on the pay step

export type CouponView =
  | { state: "none" }
  /** Typed, not priced yet (the quote for this cart has not come back). */
  | { state: "pending"; code: string }
  /** A member must be attached first (checked here before asking the core). */
  | { state: "needs_member"; code: string }
  | { state: "applied"; code: string; label: string; discount: number }
  | { state: "refused"; code: string; reason: string };

/** Normalise what the cashier typed as a coupon code (upper case, no spaces); null when empty. */
export function normaliseCoupon(input: string): string | null {
  const s = input.trim().toUpperCase().replace(/\s+/g, "");
  return s ? s : null;
}

/**
 * The coupon line of the pay step: the code in the cart, whether a member is
 * attached, and the quote (only when it is for the current cart: `fresh`).
 */
export function couponView(
  code: string | null,
  hasMember: boolean,
  quote: LimitedSaleQuote | null,
  fresh: boolean,
): CouponView {
  if (!code) return { state: "none" };
  if (!hasMember) return { state: "needs_member", code };
  const q: CouponQuote | null | undefined = fresh ? quote?.coupon : undefined;
  if (!q || q.code.toUpperCase() !== code) return { state: "pending", code };
  if (q.refused !== null && q.refused !== undefined) return { state: "refused", code, reason: q.refused };
  return { state: "applied", code, label: q.label, discount: q.discount };
}

/** May the sale be completed as far as the coupon goes? (a refused coupon must be removed first) */
export function couponAllowsPay(v: CouponView): boolean {
  return v.state === "none" || v.state === "applied";
}

// ---------------------------------------------------------------------------
// Holds

/** The state a hold shows now: a `held` hold past its expiry is `expired` (no write needed). */
export function holdState(h: Pick<LimitHoldView, "status" | "expires_at_ms">, nowMs: number): HoldState {
  if (h.status === "held" && h.expires_at_ms <= nowMs) return "expired";
  return h.status;
}

/** Whole minutes a hold has left (rounded up; 0 once over). */
export function holdMinutesLeft(h: Pick<LimitHoldView, "expires_at_ms">, nowMs: number): number {
  return Math.max(0, Math.ceil((h.expires_at_ms - nowMs) / 60_000));
}

/** Active holds first (soonest to expire first), then the finished ones, newest first. */
export function sortHolds(holds: LimitHoldView[], nowMs: number): LimitHoldView[] {
  const active = (h: LimitHoldView) => holdState(h, nowMs) === "held";
  return holds.slice().sort((a, b) => {
    const aa = active(a);
    const ba = active(b);
    if (aa !== ba) return aa ? -1 : 1;
    return aa ? a.expires_at_ms - b.expires_at_ms : b.placed_at_ms - a.placed_at_ms;
  });
}

/** When a hold placed now would lapse. */
export function holdExpiry(nowMs: number, holdMinutes: number): number {
  return nowMs + holdMinutes * 60_000;
}

/** The quantity typed in the Hold dialog → a number, or the dictionary key of what is wrong. */
export function checkHoldQty(input: string, status: Pick<LimitedStatus, "available" | "hold_minutes">): number | { error: Key; vars?: Vars } {
  if (status.hold_minutes <= 0) return { error: "limited.hold_not_allowed" };
  const s = input.trim();
  if (!/^\d{1,7}$/.test(s) || Number(s) < 1) return { error: "limited.hold_qty_invalid" };
  const n = Number(s);
  if (n > status.available) return { error: "limited.hold_qty_over", vars: { n: status.available } };
  return n;
}

/** The cart hold for "sell held", or null when the hold cannot be sold now. */
export function cartHoldOf(h: LimitHoldView, nowMs: number): CartHold | null {
  if (holdState(h, nowMs) !== "held") return null;
  return { id: h.id, sku: h.sku, qty: h.qty, note: h.note };
}

// ---------------------------------------------------------------------------
// Clock guard

/** The banner when time deals are paused (null: no banner). Minutes are rounded, at least 1. */
export function clockBanner(g: ClockGuard | null): { key: Key; vars: Vars } | null {
  if (!g || !g.deals_paused) return null;
  if (g.offset_ms === null) return { key: "limited.clock_paused_unknown", vars: {} };
  const min = Math.max(1, Math.round(Math.abs(g.offset_ms) / 60_000));
  return { key: "limited.clock_paused", vars: { min } };
}
