// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { ReturnLine } from "./ReturnLine";
import type { Tender } from "./Tender";


export type ReturnRecord = { id: string, receipt: string, original_sale: string, original_receipt: string, store: string, till: string, lines: Array<ReturnLine>, refunds: Array<Tender>, total_refund: number, currency: string, returned_at_ms: number, };
