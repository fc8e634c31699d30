// Error display: a headline per code in the cashier's language plus the
// shell's message; never an empty message. Discount and scan input parsing.
import { describe, expect, it } from "vitest";

import { parseDiscountInput, parseScan, showError } from "../src/logic/errors";
import { parseMoney } from "../src/format";

describe("errors", () => {
  it("shows a translated headline and the shell's message", () => {
    const e = { code: "unknown_item", message: 'no product with SKU or barcode "999" in this till\'s catalog' };
    expect(showError("en", e)).toEqual({ code: "unknown_item", title: "Unknown barcode or SKU", message: e.message });
    expect(showError("ko", e).title).toBe("알 수 없는 바코드 또는 SKU");
  });
  it("covers the refusals the till shows", () => {
    for (const code of ["invalid_quantity", "tender_short", "over_return", "approval_required", "approval_refused", "locked", "no_open_shift"]) {
      expect(showError("en", { code, message: "x" }).title, code).not.toBeNull();
    }
  });
  it("never shows nothing", () => {
    expect(showError("en", { code: "brand_new", message: "" }).message).toBe("Something went wrong");
    expect(showError("en", { code: "brand_new", message: "disk full" })).toEqual({ code: "brand_new", title: null, message: "disk full" });
  });
  it("parses discounts", () => {
    const krw = (s: string) => parseMoney(s, "KRW");
    expect(parseDiscountInput("10", "percent", krw)).toEqual({ kind: "percent", value: 10 });
    expect(parseDiscountInput("15%", "amount", krw)).toEqual({ kind: "percent", value: 15 });
    expect(parseDiscountInput("5,000", "amount", krw)).toEqual({ kind: "amount", value: 5000 });
    expect(parseDiscountInput("101", "percent", krw)).toBeNull();
    expect(parseDiscountInput("0", "amount", krw)).toBeNull();
    expect(parseDiscountInput("2.5", "percent", krw)).toBeNull();
  });
  it("parses scans with an optional quantity", () => {
    expect(parseScan(" 8801234567890 ")).toEqual({ code: "8801234567890", qty: 1 });
    expect(parseScan("3*TS100-BLA-M")).toEqual({ code: "TS100-BLA-M", qty: 3 });
    expect(parseScan("")).toBeNull();
  });
});
