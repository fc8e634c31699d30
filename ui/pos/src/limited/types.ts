// STAND-IN SHAPES — replace with the generated ts-rs types when the till
// core's limited editions / coupons (issue 7, owner C: pos-agent/src/limited.rs
// and the desktop commands) land and `ui/pos/src/api/types` is regenerated.
//
// They mirror contract section C by hand. Every screen, the cart logic, the
// Tauri wrappers and the dev mock import these names from THIS file only, so
// the switch is one line per type here, e.g.
//   export type { LimitedStatus } from "../api/types/LimitedStatus";
//   export type { SaleQuote as LimitedSaleQuote } from "../api/types/SaleQuote";
//   export type { SaleRequest as LimitedSaleRequest } from "../api/types/SaleRequest";
// Never copy these into `api/types` (generated, never hand-edited).

import type { SaleQuote } from "../api/types/SaleQuote";
import type { SaleRequest } from "../api/types/SaleRequest";

/** `Till::limited(sku)`: where one limited item / coupon campaign stands at this till. */
export interface LimitedStatus {
  /** `sku:<SKU>` or `coupon:<uuid>`. */
  key: string;
  sku: string | null;
  label: string;
  active: boolean;
  /** Active and inside its start/end window by the till's (HLC) clock. */
  on_sale_now: boolean;
  starts_at_ms: number | null;
  ends_at_ms: number | null;
  /** What this till may still sell (its rights minus its active holds). */
  available: number;
  rights: number;
  held: number;
  store_left: number;
  elsewhere_left: number;
  total_left: number;
  /** Longest hold in minutes; 0 = no holds. */
  hold_minutes: number;
  /** This till has asked the hub for more and not been answered yet. */
  request_open: boolean;
}

/** Where a hold stands (`expired` = `held` past its expiry by the till's clock). */
export type HoldState = "held" | "released" | "sold" | "expired";

/** `Till::holds()` / `hold_limited`: units kept for a customer. */
export interface LimitHoldView {
  id: string;
  sku: string;
  label: string;
  qty: number;
  note: string;
  placed_at_ms: number;
  expires_at_ms: number;
  status: HoldState;
}

/** `SaleQuote.coupon`: the coupon typed on the pay step, as the core prices it. */
export interface CouponQuote {
  code: string;
  label: string;
  /** Money off the sale (minor units); 0 when refused. */
  discount: number;
  /** Why it does not apply (the core's sentence), or null when it does. */
  refused: string | null;
}

/** `Till::clock_guard()`: is the till's clock too far from the hub's for time deals? */
export interface ClockGuard {
  offset_ms: number | null;
  deals_paused: boolean;
}

/** `SaleQuote` with the issue-7 fields (optional here: an older shell does not send them). */
export type LimitedSaleQuote = SaleQuote & {
  limited?: LimitedStatus[];
  coupon?: CouponQuote | null;
};

/** `SaleRequest` with the issue-7 fields (`#[serde(default)]` on the Rust side). */
export type LimitedSaleRequest = SaleRequest & {
  /** A hold whose units this sale buys. */
  hold: string | null;
  /** A coupon code typed on the pay step (needs a member). */
  coupon_code: string | null;
};
