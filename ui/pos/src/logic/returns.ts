// Returns screen arithmetic: the items to send and the refund to expect
// (the core decides the real refund; this is what the cashier sees first).

import type { ReturnableLine } from "../api/types/ReturnableLine";
import type { SaleItem } from "../api/types/SaleItem";

/** Quantities chosen per SKU, clamped to 0..left, as return items (zero lines left out). */
export function returnItems(lines: ReturnableLine[], qty: Record<string, number>): SaleItem[] {
  const out: SaleItem[] = [];
  for (const l of lines) {
    const q = Math.min(Math.max(0, Math.floor(qty[l.sku] ?? 0)), l.left);
    if (q > 0) out.push({ code: l.sku, qty: q, discount: null });
  }
  return out;
}

export function returnTotal(lines: ReturnableLine[], qty: Record<string, number>): number {
  return returnItems(lines, qty).reduce((n, it) => {
    const l = lines.find((x) => x.sku === it.code);
    return n + (l ? l.unit_refund * it.qty : 0);
  }, 0);
}
