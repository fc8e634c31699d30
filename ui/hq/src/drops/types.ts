// The hub's drop shapes as the console uses them: the generated ts-rs types
// (ui/hq/src/api/types, from hub-server/src/drops.rs and api/drops.rs) under the names the
// Drops page imports. Never hand-edit the generated files.

import type { DropSummary } from "../api/types/DropSummary";

export type { DropKind } from "../api/types/DropKind";
export type { DropRule } from "../api/types/DropRule";
export type { DropSummary } from "../api/types/DropSummary";
export type { DropTill } from "../api/types/DropTill";
export type { DropStore } from "../api/types/DropStore";
export type { DuplicateRedemption } from "../api/types/DuplicateRedemption";
export type { DropDetail } from "../api/types/DropDetail";
export type { DropCouponDiscount as CouponDiscount } from "../api/types/DropCouponDiscount";
export type { DropCouponInput as CouponTerms } from "../api/types/DropCouponInput";
export type { CreateDrop } from "../api/types/CreateDrop";
export type { PullBack } from "../api/types/PullBack";

/** The live socket's `drop` message (one arm of the generated `Event`). */
export type DropEvent = { type: "drop" } & DropSummary;
