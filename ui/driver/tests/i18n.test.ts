// Both languages are complete: same keys, same placeholders, none empty,
// Korean really Korean, every key the sources use defined (including the
// ones built from the GPS, wake-lock, role and status codes), and the
// starting language and the switch.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { detectLang, dictionaries, otherLang, translate, translateCode } from "../src/i18n";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f: string) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|tsx)$/.test(f) ? [p] : [];
  });
}

describe("i18n", () => {
  const en = dictionaries.en;
  const ko = dictionaries.ko;

  it("has every key in both languages, none empty", () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(en)) expect(v.trim(), `en ${k}`).not.toBe("");
    for (const [k, v] of Object.entries(ko)) expect(v.trim(), `ko ${k}`).not.toBe("");
  });

  it("uses the same placeholders in both languages", () => {
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(ko[k]), k).toEqual(placeholders(en[k]));
    }
  });

  it("is Korean in Korean", () => {
    const hangul = Object.values(ko).filter((v) => /[\uac00-\ud7a3]/.test(v)).length;
    // Only the switch's own label ("English") has no Hangul.
    expect(Object.keys(ko).length - hangul).toBeLessThanOrEqual(1);
    expect(ko["track.arrive"]).toBe("도착");
  });

  it("defines every key the sources use, including the ones built from codes", () => {
    const used = new Set<string>();
    for (const file of sources(fileURLToPath(new URL("../src", import.meta.url)))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\("([a-z_]+\.[a-z_.]+)"/g)) used.add(m[1] ?? "");
      for (const m of text.matchAll(/translate\(lang, "([a-z_]+\.[a-z_.]+)"/g)) used.add(m[1] ?? "");
    }
    expect(used.size).toBeGreaterThan(30);
    for (const k of used) expect(en, k).toHaveProperty([k]);
    for (const g of ["off", "waiting", "ok", "denied", "unavailable", "unsupported"]) expect(en).toHaveProperty([`gps.${g}`]);
    for (const w of ["on", "off", "unsupported"]) expect(en).toHaveProperty([`wake.${w}`]);
    for (const r of ["hq_admin", "hq_staff", "store_manager", "cashier", "driver"]) expect(en).toHaveProperty([`role.${r}`]);
    for (const s of ["requested", "approved", "picked", "dispatched", "arrived", "received", "cancelled"])
      expect(en).toHaveProperty([`status.${s}`]);
  });

  it("fills placeholders, names codes, and picks and switches the language", () => {
    expect(translate("en", "buffer.waiting", { n: 12 })).toBe("12 positions waiting");
    expect(translate("ko", "buffer.waiting", { n: 12 })).toBe("전송 대기 위치 12개");
    expect(translateCode("ko", "status", "arrived")).toBe("도착");
    expect(translateCode("en", "status", "in_orbit")).toBe("in_orbit");
    expect(detectLang("en", "ko-KR")).toBe("en");
    expect(detectLang(null, "ko-KR")).toBe("ko");
    expect(detectLang("xx", "en-GB")).toBe("en");
    expect(detectLang(null, undefined)).toBe("ko");
    expect(otherLang("ko")).toBe("en");
    expect(otherLang("en")).toBe("ko");
  });
});
