// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { CashMovement } from "./CashMovement";
import type { Shift } from "./Shift";
import type { Tender } from "./Tender";


export type ShiftSummary = { shift: Shift, sales_count: number, returns_count: number, gross_sales: number, discounts: number, net_sales: number, refunds: number, sales_by_tender: Array<Tender>, refunds_by_tender: Array<Tender>, cash_in: number, cash_out: number, movements: Array<CashMovement>, expected_cash: number, first_receipt: string | null, last_receipt: string | null, };
