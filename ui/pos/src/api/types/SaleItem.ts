// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { Discount } from "./Discount";


export type SaleItem = { code: string, qty: number, discount: Discount | null, };
