import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { detectLang, dictionaries, translate } from "../src/i18n";

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

  it("has Korean text for words people read", () => {
    expect(ko["nav.dashboard"]).toBe("대시보드");
    const hangul = Object.values(ko).filter((v) => /[\uac00-\ud7a3]/.test(v)).length;
    expect(hangul / Object.keys(ko).length).toBeGreaterThan(0.9);
  });

  it("defines every key the sources use, including built ones", () => {
    const used = new Set<string>();
    for (const file of sources(fileURLToPath(new URL("../src", import.meta.url)))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\("([a-z_]+\.[a-z_.]+)"/g)) used.add(m[1] ?? "");
    }
    for (const k of used) expect(en, k).toHaveProperty([k]);
    for (const prefix of ["nav.", "role.", "live.", "tills.cmd.", "tills.status.", "reason."]) {
      expect(Object.keys(en).some((k) => k.startsWith(prefix)), prefix).toBe(true);
    }
    for (const r of ["hq_admin", "hq_staff", "store_manager", "cashier", "driver"]) expect(en).toHaveProperty([`role.${r}`]);
    for (const s of ["live", "connecting", "offline"]) expect(en).toHaveProperty([`live.${s}`]);
    for (const c of ["lock", "unlock", "force_sync", "show_message"]) expect(en).toHaveProperty([`tills.cmd.${c}`]);
  });

  it("fills placeholders and picks the starting language", () => {
    expect(translate("en", "pager.range", { from: 1, to: 50, total: 200 })).toBe("1–50 of 200");
    expect(translate("ko", "pager.range", { from: 1, to: 50, total: 200 })).toBe("200개 중 1–50");
    expect(detectLang("en", "ko-KR")).toBe("en");
    expect(detectLang(null, "ko-KR")).toBe("ko");
    expect(detectLang("xx", "en-GB")).toBe("en");
    expect(detectLang(null, undefined)).toBe("en");
  });
});
