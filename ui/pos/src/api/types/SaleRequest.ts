// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { Discount } from "./Discount";
import type { SaleItem } from "./SaleItem";
import type { TenderRequest } from "./TenderRequest";


export type SaleRequest = { items: Array<SaleItem>, tenders: Array<TenderRequest>, cashier: string | null, member_phone: string | null, sold_at_ms: number | null, cart_discount: Discount | null, approver_pin: string | null, };
