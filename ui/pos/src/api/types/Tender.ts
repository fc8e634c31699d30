// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { TenderKind } from "./TenderKind";


export type Tender = { kind: TenderKind, amount: number, };
