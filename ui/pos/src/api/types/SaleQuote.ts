// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { QuotedLine } from "./QuotedLine";


export type SaleQuote = { lines: Array<QuotedLine>, gross: number, discount: number, total: number, currency: string, needs_approval: boolean, discount_limit_pct: number, };
