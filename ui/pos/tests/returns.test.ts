// Returns arithmetic: never more than left, zero lines dropped.
import { describe, expect, it } from "vitest";

import { returnItems, returnTotal } from "../src/logic/returns";

const lines = [
  { sku: "A", name: "Tee", sold: 2, returned: 1, left: 1, unit_refund: 15000 },
  { sku: "B", name: "Jeans", sold: 1, returned: 0, left: 1, unit_refund: 79000 },
];

describe("returns", () => {
  it("clamps to what is left and leaves out zero lines", () => {
    expect(returnItems(lines, { A: 5, B: 0 })).toEqual([{ code: "A", qty: 1, discount: null }]);
    expect(returnTotal(lines, { A: 1, B: 1 })).toBe(94000);
    expect(returnItems(lines, {})).toEqual([]);
  });
});
