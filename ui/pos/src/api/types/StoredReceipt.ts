// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { ReturnRecord } from "./ReturnRecord";
import type { SaleRecord } from "./SaleRecord";


export type StoredReceipt = { "type": "sale", sale: SaleRecord, returns: Array<ReturnRecord>, price_labels: Array<string | null>, } | { "type": "return", "return": ReturnRecord, };
