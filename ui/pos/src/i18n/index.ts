// English and Korean for every string of the till. Every string the screens
// show is a key of the English dictionary (en.ts); ko.ts must have the same
// keys (its type makes a missing key a compile error, and a unit test checks
// placeholders match). The choice is remembered in localStorage and set as
// <html lang>.

import { en } from "./en";
import { ko } from "./ko";

export type Lang = "en" | "ko";
export type Key = keyof typeof en;
export type Vars = Record<string, string | number>;
export type T = (key: Key, vars?: Vars) => string;

export const LANGS: Lang[] = ["en", "ko"];
export const dictionaries: Record<Lang, Record<Key, string>> = { en, ko };
export const STORAGE_KEY = "storelink.pos.lang";

/** `{name}` placeholders filled from `vars`. */
export function translate(lang: Lang, key: Key, vars?: Vars): string {
  const s = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) =>
    vars[name] !== undefined ? String(vars[name]) : m,
  );
}

/** The word for a code (`tender.card`), or the code itself when there is none. */
export function translateCode(lang: Lang, prefix: string, code: string): string {
  const key = `${prefix}.${code}` as Key;
  return dictionaries[lang][key] ?? code;
}

/** Does the dictionary have this key? (error codes from a newer shell may not) */
export function hasKey(key: string): key is Key {
  return key in en;
}

export function detectLang(stored: string | null, browser: string | undefined): Lang {
  if (stored === "en" || stored === "ko") return stored;
  return browser?.toLowerCase().startsWith("ko") ? "ko" : "en";
}

export function loadLang(): Lang {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null;
  }
  return detectLang(stored, typeof navigator !== "undefined" ? navigator.language : undefined);
}

export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // private mode: the choice lasts for this session only
  }
  document.documentElement.lang = lang;
}
