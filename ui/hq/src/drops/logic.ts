// The Drops page's pure logic: folding `drop` messages of the live socket
// into the list and the open detail, and the New-drop form — what the user
// typed → either the `POST /api/v1/drops` body or the fields to fix (the
// manual per-store grid must add up to the total, exactly as the hub checks).

import { parseMoney } from "../format";
import type { CouponDiscount, CreateDrop, DropDetail, DropEvent, DropRule, DropSummary } from "./types";

/** The largest total of one drop (`sync_proto::escrow::MAX_ESCROW_QTY`). */
export const MAX_DROP_TOTAL = 1_000_000;
/** Longest hold the form accepts (a week), in minutes. */
export const MAX_HOLD_MINUTES = 7 * 24 * 60;
/** Coupon codes as the till accepts them: upper-case letters, digits and `-`. */
export const COUPON_CODE = /^[A-Z0-9][A-Z0-9-]{1,31}$/;

// ---------------------------------------------------------------------------
// Live state

/** What the page shows: the list, the open drop, and whether events were lost. */
export interface DropsState {
  list: DropSummary[] | null;
  detail: DropDetail | null;
  /** `lagged` arrived: some events were dropped, the page must refetch. */
  stale: boolean;
}

export type DropsAction =
  | { type: "list"; list: DropSummary[] }
  | { type: "detail"; detail: DropDetail | null }
  | { type: "lagged" }
  | DropEvent;

export function initialDrops(): DropsState {
  return { list: null, detail: null, stale: false };
}

/** The drop summary a live message carries, or null for any other message. */
export function dropOfEvent(e: { type: string }): DropSummary | null {
  if (e.type !== "drop") return null;
  const { type: _type, ...summary } = e as DropEvent;
  return typeof summary.key === "string" ? summary : null;
}

/** Replace the drop with the same key in place, or put a new one first. */
export function upsertDrop(list: DropSummary[], s: DropSummary): DropSummary[] {
  const i = list.findIndex((d) => d.key === s.key);
  if (i < 0) return [s, ...list];
  const out = list.slice();
  out[i] = s;
  return out;
}

export function reduceDrops(state: DropsState, action: DropsAction): DropsState {
  switch (action.type) {
    case "list":
      return { ...state, list: action.list, stale: false };
    case "detail":
      return { ...state, detail: action.detail };
    case "lagged":
      return { ...state, stale: true };
    case "drop": {
      const s = dropOfEvent(action);
      if (!s) return state;
      const list = state.list ? upsertDrop(state.list, s) : state.list;
      const detail = state.detail && state.detail.summary.key === s.key ? { ...state.detail, summary: s } : state.detail;
      return { ...state, list, detail };
    }
    default:
      return state;
  }
}

/** Should the open detail's per-store table be fetched again after this message? */
export function touchesDetail(state: DropsState, e: { type: string }): boolean {
  if (!state.detail) return false;
  if (e.type === "lagged") return true;
  const s = dropOfEvent(e);
  return s !== null && s.key === state.detail.summary.key;
}

/** Where a drop stands, for its badge. */
export function dropPhase(d: DropSummary, nowMs: number): "ended" | "scheduled" | "sold_out" | "on" | "over" {
  if (!d.active) return "ended";
  if (d.ends_at_ms != null && nowMs >= d.ends_at_ms) return "over";
  if (d.starts_at_ms != null && nowMs < d.starts_at_ms) return "scheduled";
  if (d.left <= 0) return "sold_out";
  return "on";
}

// ---------------------------------------------------------------------------
// New drop form

/** The form as typed (all text, as inputs hold it). */
export interface DropForm {
  kind: "sku" | "coupon";
  label: string;
  sku: string;
  code: string;
  discountMode: "percent" | "amount";
  discountValue: string;
  minSpend: string;
  total: string;
  rule: DropRule;
  /** Store code → typed count (manual rule). */
  manual: Record<string, string>;
  /** Stores taking part (empty = every store). */
  stores: string[];
  holdMinutes: string;
  /** `datetime-local` values ("" = none). */
  startsAt: string;
  endsAt: string;
}

export function emptyDropForm(): DropForm {
  return {
    kind: "sku",
    label: "",
    sku: "",
    code: "",
    discountMode: "percent",
    discountValue: "",
    minSpend: "",
    total: "",
    rule: "equal",
    manual: {},
    stores: [],
    holdMinutes: "15",
    startsAt: "",
    endsAt: "",
  };
}

export type DropField =
  | "label"
  | "sku"
  | "code"
  | "discount"
  | "min_spend"
  | "total"
  | "stores"
  | "manual"
  | "hold_minutes"
  | "window";

/** One thing to fix: the field and the dictionary key (+ values) of the message. */
export interface DropFormError {
  field: DropField;
  key: string;
  vars?: Record<string, string | number>;
}

/** A whole number ≥ 0 typed in a box (digits only, thousands separators allowed); null otherwise. */
export function parseCount(s: string): number | null {
  const t = s.trim().replace(/[,\s_]/g, "");
  if (!/^\d{1,9}$/.test(t)) return null;
  return Number(t);
}

/** The stores a manual grid covers: the chosen ones, else every store. */
export function gridStores(form: DropForm, allStores: string[]): string[] {
  return form.stores.length ? allStores.filter((s) => form.stores.includes(s)) : allStores;
}

/** Σ of the manual grid over `stores` (a blank or invalid cell counts 0). */
export function manualSum(form: DropForm, stores: string[]): number {
  return stores.reduce((n, s) => n + (parseCount(form.manual[s] ?? "") ?? 0), 0);
}

/** `datetime-local` text → ms since epoch (in the browser's zone); null for blank/invalid. */
export function parseLocalDateTime(s: string): number | null {
  if (!s.trim()) return null;
  const ms = new Date(s).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Check the form like the hub will and build the request body. `allStores`
 * are the store codes the user may pick (warehouses excluded); `currency`
 * reads the money fields.
 */
export function validateDropForm(
  form: DropForm,
  allStores: string[],
  currency: string,
): { errors: DropFormError[]; body: CreateDrop | null } {
  const errors: DropFormError[] = [];
  const label = form.label.trim();
  if (!label || label.length > 200) errors.push({ field: "label", key: "drops.err.label" });

  const body: CreateDrop = { label, total: 0, rule: form.rule, hold_minutes: 0 };

  if (form.kind === "sku") {
    const sku = form.sku.trim();
    if (!sku) errors.push({ field: "sku", key: "drops.err.sku" });
    body.sku = sku;
  } else {
    const code = form.code.trim().toUpperCase();
    if (!COUPON_CODE.test(code)) errors.push({ field: "code", key: "drops.err.code" });
    let discount: CouponDiscount | null = null;
    if (form.discountMode === "percent") {
      const p = parseCount(form.discountValue.replace(/%$/, ""));
      if (p === null || p < 1 || p > 100) errors.push({ field: "discount", key: "drops.err.percent" });
      else discount = { percent: p };
    } else {
      const a = parseMoney(form.discountValue, currency);
      if (a === null || a <= 0) errors.push({ field: "discount", key: "drops.err.amount" });
      else discount = { amount: a };
    }
    let minSpend: number | null = 0;
    if (form.minSpend.trim()) {
      minSpend = parseMoney(form.minSpend, currency);
      if (minSpend === null || minSpend < 0) {
        errors.push({ field: "min_spend", key: "drops.err.min_spend" });
        minSpend = null;
      }
    }
    if (discount && minSpend !== null) body.coupon = { code, discount, min_spend: minSpend };
  }

  const total = parseCount(form.total);
  if (total === null || total < 1 || total > MAX_DROP_TOTAL) {
    errors.push({ field: "total", key: "drops.err.total", vars: { max: MAX_DROP_TOTAL } });
  } else {
    body.total = total;
  }

  const unknown = form.stores.filter((s) => !allStores.includes(s));
  const stores = gridStores(form, allStores);
  if (unknown.length) errors.push({ field: "stores", key: "drops.err.unknown_store", vars: { stores: unknown.join(", ") } });
  else if (stores.length === 0) errors.push({ field: "stores", key: "drops.err.no_stores" });
  if (form.stores.length) body.stores = stores;

  if (form.rule === "manual") {
    const manual: Record<string, number> = {};
    const bad = stores.filter((s) => {
      const raw = form.manual[s] ?? "";
      if (!raw.trim()) {
        manual[s] = 0;
        return false;
      }
      const n = parseCount(raw);
      if (n === null) return true;
      manual[s] = n;
      return false;
    });
    if (bad.length) {
      errors.push({ field: "manual", key: "drops.err.manual_value", vars: { stores: bad.join(", ") } });
    } else if (total !== null) {
      const sum = manualSum(form, stores);
      if (sum !== total) errors.push({ field: "manual", key: "drops.err.manual_sum", vars: { sum, total } });
    }
    body.manual = manual;
  }

  const hold = parseCount(form.holdMinutes === "" ? "0" : form.holdMinutes);
  if (hold === null || hold > MAX_HOLD_MINUTES) errors.push({ field: "hold_minutes", key: "drops.err.hold", vars: { max: MAX_HOLD_MINUTES } });
  else body.hold_minutes = hold;

  const starts = parseLocalDateTime(form.startsAt);
  const ends = parseLocalDateTime(form.endsAt);
  if ((form.startsAt.trim() && starts === null) || (form.endsAt.trim() && ends === null)) {
    errors.push({ field: "window", key: "drops.err.window_invalid" });
  } else if (starts !== null && ends !== null && ends <= starts) {
    errors.push({ field: "window", key: "drops.err.window" });
  }
  if (starts !== null) body.starts_at_ms = starts;
  if (ends !== null) body.ends_at_ms = ends;

  return errors.length ? { errors, body: null } : { errors, body };
}

/** "Left / total" as a fraction 0..1 for the big gauge (0 when the total is 0). */
export function leftShare(d: Pick<DropSummary, "left" | "total">): number {
  if (d.total <= 0) return 0;
  return Math.max(0, Math.min(1, d.left / d.total));
}

/** Tills of a store that are online / all, for the per-store table. */
export function tillsOnline(tills: { online: boolean }[]): { online: number; all: number } {
  return { online: tills.filter((t) => t.online).length, all: tills.length };
}
