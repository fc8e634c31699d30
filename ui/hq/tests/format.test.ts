import { describe, expect, it } from "vitest";

import {
  currencyDigits,
  dateInOffset,
  formatMoney,
  hourInOffset,
  moneyInput,
  parseMoney,
  tzParam,
} from "../src/format";

// Intl may use a narrow no-break space; compare on normal spaces.
const norm = (s: string) => s.replace(/\u00a0|\u202f/g, " ");

describe("money in minor units", () => {
  it("knows each currency's minor-unit digits", () => {
    expect(currencyDigits("KRW")).toBe(0);
    expect(currencyDigits("JPY")).toBe(0);
    expect(currencyDigits("USD")).toBe(2);
    expect(currencyDigits("eur")).toBe(2);
    expect(currencyDigits("BHD")).toBe(3);
    expect(currencyDigits("???")).toBe(2);
  });

  it("formats KRW without decimals and others with theirs", () => {
    expect(norm(formatMoney(29000, "KRW", "en"))).toBe("₩29,000");
    expect(norm(formatMoney(29000, "KRW", "ko"))).toBe("₩29,000");
    expect(norm(formatMoney(1999, "USD", "en"))).toBe("$19.99");
    expect(norm(formatMoney(-500, "USD", "en"))).toBe("-$5.00");
    expect(norm(formatMoney(1234, "BHD", "en"))).toContain("1.234");
    expect(norm(formatMoney(1250, "JPY", "en"))).toBe("¥1,250");
  });

  it("parses what a person types into minor units, refusing impossible amounts", () => {
    expect(parseMoney("29,000", "KRW")).toBe(29000);
    expect(parseMoney("₩29000", "KRW")).toBe(29000);
    expect(parseMoney("1.5", "KRW")).toBeNull();
    expect(parseMoney("19.99", "USD")).toBe(1999);
    expect(parseMoney("19.9", "USD")).toBe(1990);
    expect(parseMoney("19", "USD")).toBe(1900);
    expect(parseMoney("19.999", "USD")).toBeNull();
    expect(parseMoney("1.234", "BHD")).toBe(1234);
    expect(parseMoney("-3", "USD")).toBeNull();
    expect(parseMoney("abc", "USD")).toBeNull();
    expect(parseMoney("", "KRW")).toBeNull();
  });

  it("round-trips the edit value", () => {
    expect(moneyInput(29000, "KRW")).toBe("29000");
    expect(moneyInput(1999, "USD")).toBe("19.99");
    expect(parseMoney(moneyInput(1234, "BHD"), "BHD")).toBe(1234);
  });
});

describe("time zones of the reports", () => {
  it("writes the tz parameter", () => {
    expect(tzParam(540)).toBe("+09:00");
    expect(tzParam(0)).toBe("+00:00");
    expect(tzParam(-300)).toBe("-05:00");
    expect(tzParam(330)).toBe("+05:30");
  });

  it("finds the local date and hour of an instant", () => {
    const ms = Date.UTC(2026, 10, 21, 15, 30); // 15:30 UTC = 00:30 next day in Seoul
    expect(dateInOffset(ms, 540)).toBe("2026-11-22");
    expect(hourInOffset(ms, 540)).toBe(0);
    expect(dateInOffset(ms, 0)).toBe("2026-11-21");
    expect(hourInOffset(ms, -300)).toBe(10);
  });
});
