// Money from integer minor units with the currency's own fraction digits.
import { describe, expect, it } from "vitest";

import { currencyDigits, formatMoney, moneyInput, parseMoney, formatPhone } from "../src/format";

describe("money", () => {
  it("uses the currency's fraction digits", () => {
    expect(currencyDigits("KRW")).toBe(0);
    expect(currencyDigits("usd")).toBe(2);
    expect(currencyDigits("BHD")).toBe(3);
  });
  it("formats minor units", () => {
    expect(formatMoney(39000, "KRW", "en")).toBe("₩39,000");
    expect(formatMoney(1999, "USD", "en")).toBe("$19.99");
    expect(formatMoney(1234, "BHD", "en")).toContain("1.234");
    expect(formatMoney(39000, "KRW", "ko")).toBe("₩39,000");
  });
  it("parses what a cashier types, refusing more digits than the currency has", () => {
    expect(parseMoney("50,000", "KRW")).toBe(50000);
    expect(parseMoney("₩10000", "KRW")).toBe(10000);
    expect(parseMoney("1.5", "KRW")).toBeNull();
    expect(parseMoney("19.99", "USD")).toBe(1999);
    expect(parseMoney("19.9", "USD")).toBe(1990);
    expect(parseMoney("19.999", "USD")).toBeNull();
    expect(parseMoney("-3", "USD")).toBeNull();
    expect(parseMoney("", "USD")).toBeNull();
    expect(moneyInput(1999, "USD")).toBe("19.99");
    expect(moneyInput(39000, "KRW")).toBe("39000");
  });
  it("groups Korean phone numbers", () => {
    expect(formatPhone("01012345678")).toBe("010-1234-5678");
    expect(formatPhone("+44 20")).toBe("+44 20");
  });
});
