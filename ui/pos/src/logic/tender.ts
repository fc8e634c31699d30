// Split tender in the Pay dialog, as pure functions. The cashier types an
// amount (or nothing = the rest) and presses Cash, Card or Other; each press
// appends a tender with an explicit amount. `settleLocal` mirrors the core's
// rules (pos-agent sell::settle) so "still to pay" and "change due" update
// on the keystroke; `settle_preview` from the shell is the source of truth
// and replaces it when it answers. Only cash can exceed what is due.

import type { TenderKind } from "../api/types/TenderKind";
import type { TenderRequest } from "../api/types/TenderRequest";

export interface LocalSettlement {
  /** Σ tendered. */
  paid: number;
  /** Still to pay (0 when covered). */
  remaining: number;
  /** Cash to hand back. */
  changeDue: number;
  /** Card/other over the amount due by this much (only cash gives change); 0 = fine. */
  excess: number;
}

export function settleLocal(total: number, tenders: TenderRequest[]): LocalSettlement {
  const explicit = tenders.reduce((n, t) => n + (t.amount ?? 0), 0);
  const rest = Math.max(0, total - explicit);
  const handed = tenders.map((t) => ({ kind: t.kind, amount: t.amount ?? rest }));
  const paid = handed.reduce((n, t) => n + t.amount, 0);
  if (paid < total) return { paid, remaining: total - paid, changeDue: 0, excess: 0 };
  const over = paid - total;
  const cash = handed.filter((t) => t.kind === "cash").reduce((n, t) => n + t.amount, 0);
  if (over > cash) return { paid, remaining: 0, changeDue: 0, excess: over - cash };
  return { paid, remaining: 0, changeDue: over, excess: 0 };
}

/**
 * Add a tender of `kind`: `amount` null = whatever is still to pay. Nothing is
 * added when that is zero (already covered) or when the amount is not positive.
 */
export function addTender(
  tenders: TenderRequest[],
  total: number,
  kind: TenderKind,
  amount: number | null,
): TenderRequest[] {
  const { remaining } = settleLocal(total, tenders);
  const value = amount ?? remaining;
  if (value <= 0) return tenders;
  return [...tenders, { kind, amount: value }];
}

export function removeTender(tenders: TenderRequest[], index: number): TenderRequest[] {
  return tenders.filter((_, i) => i !== index);
}

/** Can the sale be completed with these tenders? */
export function canComplete(total: number, tenders: TenderRequest[]): boolean {
  const s = settleLocal(total, tenders);
  return total >= 0 && s.remaining === 0 && s.excess === 0 && (tenders.length > 0 || total === 0);
}

/**
 * Quick cash amounts to offer for a total: the exact amount, then the next
 * round notes above it (KRW 1,000/5,000/10,000/50,000 steps; 2-digit
 * currencies 1/5/10/20/50/100 units), distinct, at most four.
 */
export function quickCash(total: number, digits: number): number[] {
  if (total <= 0) return [];
  const unit = 10 ** digits;
  const steps = digits === 0 ? [1000, 5000, 10000, 50000] : [5, 10, 20, 50, 100].map((s) => s * unit);
  const out = [total];
  for (const s of steps) {
    const v = Math.ceil(total / s) * s;
    if (!out.includes(v)) out.push(v);
    if (out.length >= 4) break;
  }
  return out;
}
