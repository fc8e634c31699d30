// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { TenderKind } from "./TenderKind";


/** `amount: null` = whatever is left to pay. */
export type TenderRequest = { kind: TenderKind, amount: number | null, };
