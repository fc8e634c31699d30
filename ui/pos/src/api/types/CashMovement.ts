// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { CashMovementKind } from "./CashMovementKind";


export type CashMovement = { id: string, at_ms: number, kind: CashMovementKind, amount: number, reason: string, by: string, };
