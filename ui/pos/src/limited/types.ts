// The till's limited editions, holds, coupons and clock guard as the screens use them: the
// generated ts-rs types (ui/pos/src/api/types, from pos-agent and the desktop shell) under
// the names the screens import. Never hand-edit the generated files.

export type { LimitedStatus } from "../api/types/LimitedStatus";
export type { HoldState } from "../api/types/HoldState";
export type { LimitHoldView } from "../api/types/LimitHoldView";
export type { CouponQuote } from "../api/types/CouponQuote";
export type { ClockGuard } from "../api/types/ClockGuard";
export type { SaleQuote as LimitedSaleQuote } from "../api/types/SaleQuote";
export type { SaleRequest as LimitedSaleRequest } from "../api/types/SaleRequest";
