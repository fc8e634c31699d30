// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { SaleLine } from "./SaleLine";
import type { Tender } from "./Tender";


export type SaleRecord = { id: string, receipt: string, store: string, till: string, cashier: string | null, member: string | null, lines: Array<SaleLine>, tenders: Array<Tender>, total: number, change_given: number, currency: string, sold_at_ms: number, };
