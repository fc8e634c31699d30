// The colour × size grid of a style: which variant sits in which cell.

import type { ProductHit } from "../api/types/ProductHit";
import type { VariantGrid } from "../api/types/VariantGrid";

/** The variant of `grid` in colour `colour` and size `size`, if the style has one. */
export function variantCell(grid: VariantGrid, colour: string, size: string): ProductHit | undefined {
  return grid.cells.find((c) => (c.colour ?? "") === colour && (c.size ?? "") === size);
}

/** Σ stock of a colour row. */
export function colourStock(grid: VariantGrid, colour: string): number {
  return grid.cells.filter((c) => (c.colour ?? "") === colour).reduce((n, c) => n + c.stock, 0);
}
