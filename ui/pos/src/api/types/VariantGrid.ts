// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { ProductHit } from "./ProductHit";


/** `sizes` in garment order (XS, S, M, L, XL, … then numeric, then other). */
export type VariantGrid = { style: string, name: string, colours: Array<string>, sizes: Array<string>, cells: Array<ProductHit>, };
