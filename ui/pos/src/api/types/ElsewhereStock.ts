// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { StoreStock } from "./StoreStock";


/** `online: false` = the cached rows of the last successful fetch (`as_of_ms`). */
export type ElsewhereStock = { sku: string, stores: Array<StoreStock>, as_of_ms: number | null, online: boolean, };
