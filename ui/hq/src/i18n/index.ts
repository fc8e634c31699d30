// Korean and English. Every string the console shows is a key of the English
// dictionary (en.ts); ko.ts must have the same keys (the type checker and a
// unit test both enforce it). The choice is remembered in localStorage and
// set as <html lang>.

import { en } from "./en";
import { ko } from "./ko";

export type Lang = "en" | "ko";
export type Key = keyof typeof en;
export type Vars = Record<string, string | number>;

export const LANGS: Lang[] = ["ko", "en"];
export const dictionaries: Record<Lang, Record<Key, string>> = { en, ko };
export const STORAGE_KEY = "storelink.hq.lang";

/** `{name}` placeholders filled from `vars`. */
export function translate(lang: Lang, key: Key, vars?: Vars): string {
  const s = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) =>
    vars[name] !== undefined ? String(vars[name]) : m,
  );
}

/** The language to start with: the stored choice, else the browser's. */
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
    // private mode: the choice lasts for this page only
  }
  document.documentElement.lang = lang;
}

export type T = (key: Key, vars?: Vars) => string;

/**
 * The label of a code the hub sends (`reason.sale`, `tender.card`,
 * `action.user.create`): the dictionary's word when there is one, else the
 * code itself — a new code from a newer hub shows as it is, never as a key.
 */
export function translateCode(lang: Lang, prefix: string, code: string): string {
  const key = `${prefix}.${code}` as Key;
  return dictionaries[lang][key] ?? code;
}
