// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { SaleItem } from "./SaleItem";


/** `items` empty = everything still returnable. */
export type ReturnRequest = { receipt: string, items: Array<SaleItem>, };
