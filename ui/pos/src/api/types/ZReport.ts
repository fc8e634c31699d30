// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { ShiftSummary } from "./ShiftSummary";


export type ZReport = { summary: ShiftSummary, counted_cash: number, over_short: number, text: string, };
