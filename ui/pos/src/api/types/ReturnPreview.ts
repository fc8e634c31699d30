// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { ReturnableLine } from "./ReturnableLine";
import type { SaleRecord } from "./SaleRecord";
import type { TenderKind } from "./TenderKind";


export type ReturnPreview = { sale: SaleRecord, lines: Array<ReturnableLine>, refund_to: Array<TenderKind>, };
