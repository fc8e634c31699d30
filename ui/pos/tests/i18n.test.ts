// Every English string has a Korean one with the same placeholders.
import { describe, expect, it } from "vitest";

import { en } from "../src/i18n/en";
import { ko } from "../src/i18n/ko";
import { detectLang, translate, translateCode } from "../src/i18n";

const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n", () => {
  it("has the same keys and placeholders in both languages", () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect(vars(ko[k]), k).toEqual(vars(en[k]));
      expect(ko[k].trim().length, k).toBeGreaterThan(0);
    }
  });
  it("fills placeholders", () => {
    expect(translate("en", "status.unsent", { n: 3 })).toBe("3 unsent");
    expect(translate("ko", "status.unsent", { n: 3 })).toBe("미전송 3건");
  });
  it("labels codes, falling back to the code itself", () => {
    expect(translateCode("ko", "tender", "card")).toBe("카드");
    expect(translateCode("en", "tender", "voucher")).toBe("voucher");
  });
  it("picks the stored language, else the browser's", () => {
    expect(detectLang("ko", "en-US")).toBe("ko");
    expect(detectLang(null, "ko-KR")).toBe("ko");
    expect(detectLang("xx", "de")).toBe("en");
  });
});
