// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { SaleRecord } from "./SaleRecord";


export type SaleReceipt = { sale: SaleRecord, price_labels: Array<string | null>, };
