// STAND-IN SHAPES — replace with the generated ts-rs types when the hub's
// drops API (issue 7, owner B: hub-server/src/api/drops.rs) lands.
//
// These mirror contract section B (`/api/v1/drops*` and `Event::Drop`) by
// hand so the console can be built before the hub exists. Every screen and
// test imports the drop types from THIS file only, so switching to the
// generated ones is one line per type here, e.g.
//   export type { DropSummary } from "../api/types/DropSummary";
// Never copy these into `api/types` (generated, never hand-edited).

/** `sku` (a limited edition of one SKU) or `coupon` (a first-come coupon). */
export type DropKind = "sku" | "coupon";

/** How the total is split over the stores. */
export type DropRule = "equal" | "weighted_by_sales" | "manual";

/** One drop as the list shows it (`GET /api/v1/drops`, `Event::Drop`). */
export interface DropSummary {
  /** `sku:<SKU>` or `coupon:<uuid>`. */
  key: string;
  label: string;
  kind: DropKind;
  sku?: string | null;
  code?: string | null;
  total: number;
  sold: number;
  left: number;
  held: number;
  /** Rights still with the hub (not handed to any till). */
  pool: number;
  active: boolean;
  rule: DropRule;
  starts_at_ms?: number | null;
  ends_at_ms?: number | null;
  hold_minutes: number;
}

/** One till's share of a drop. */
export interface DropTill {
  actor: string;
  till_no?: number | null;
  rights: number;
  sold: number;
  held: number;
  online: boolean;
}

/** One store's row of a drop's detail. */
export interface DropStore {
  store: string;
  name: string;
  target: number;
  rights: number;
  sold: number;
  held: number;
  in_flight: number;
  requests_open: number;
  tills: DropTill[];
}

/** A member who redeemed one coupon campaign more than once (offline tills). */
export interface DuplicateRedemption {
  member: string;
  count: number;
}

/** `GET /api/v1/drops/{key}`. */
export interface DropDetail {
  summary: DropSummary;
  stores: DropStore[];
  recalls_open: number;
  duplicate_redemptions: DuplicateRedemption[];
}

/** A coupon's discount: a percent of the sale or a fixed amount (minor units). */
export type CouponDiscount = { percent: number } | { amount: number };

/** Terms of a first-come coupon. */
export interface CouponTerms {
  code: string;
  discount: CouponDiscount;
  /** Smallest sale total the coupon applies to (minor units). */
  min_spend: number;
}

/** `POST /api/v1/drops` body. */
export interface CreateDrop {
  label: string;
  sku?: string;
  coupon?: CouponTerms;
  total: number;
  rule: DropRule;
  manual?: Record<string, number>;
  stores?: string[];
  hold_minutes: number;
  starts_at_ms?: number;
  ends_at_ms?: number;
}

/** `POST /api/v1/drops/{key}/pull-back` body. */
export interface PullBack {
  stores?: string[];
}

/** The live socket's `drop` message: `{type: "drop", ...DropSummary}`. */
export type DropEvent = { type: "drop" } & DropSummary;
