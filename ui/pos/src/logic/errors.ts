// How a rejected command is shown: a short headline in the cashier's
// language chosen by the error code (unknown barcode, tender short, …) and
// the shell's own message underneath, which carries the specifics (which
// code, how much). Unknown codes show the message alone — never nothing.

import type { UiError } from "../api/types/UiError";
import { type Lang, hasKey, translate } from "../i18n";

export interface ShownError {
  code: string;
  title: string | null;
  message: string;
}

/** The refusals of limited editions, holds and coupons (contract section C's `UiError` codes). */
export const LIMITED_ERROR_CODES = [
  "limited_used_up",
  "limited_not_on_sale",
  "holds_not_allowed",
  "hold_unknown",
  "coupon_needs_member",
  "coupon_unknown",
  "coupon_not_on_now",
  "coupon_min_spend",
  "coupon_already_used",
  "coupons_used_up",
] as const;

/** Is this refusal about the coupon (the pay step shows it next to the coupon field)? */
export function isCouponError(code: string): boolean {
  return code.startsWith("coupon_") || code === "coupons_used_up";
}

/** Codes the shell may send → the headline key (`err.<code>` in the dictionaries). */
export function showError(lang: Lang, e: UiError): ShownError {
  const key = `err.${e.code}`;
  const title = hasKey(key) ? translate(lang, key) : null;
  const message = e.message?.trim() || (title ?? translate(lang, "err.unknown"));
  return { code: e.code, title, message };
}

/** `"10%"` → percent 10, `"5000"` → amount in minor units; null when invalid. */
export function parseDiscountInput(
  input: string,
  mode: "amount" | "percent",
  parseAmount: (s: string) => number | null,
): { kind: "amount" | "percent"; value: number } | null {
  const s = input.trim();
  if (!s) return null;
  if (mode === "percent" || s.endsWith("%")) {
    const n = Number(s.replace(/%$/, "").trim());
    if (!Number.isInteger(n) || n < 1 || n > 100) return null;
    return { kind: "percent", value: n };
  }
  const v = parseAmount(s);
  if (v === null || v <= 0) return null;
  return { kind: "amount", value: v };
}

/** `"3*8801234567890"` or `"3x…"` → 3 of the code; else 1 of the input. Null when empty. */
export function parseScan(input: string): { code: string; qty: number } | null {
  const s = input.trim();
  if (!s) return null;
  const m = /^(\d{1,5})\s*[*xX×]\s*(\S+)$/.exec(s);
  if (m) return { qty: Number(m[1]), code: m[2]! };
  return { code: s, qty: 1 };
}
