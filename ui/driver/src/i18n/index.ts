// Korean and English. Every string the driver page shows is a key of the
// English dictionary (en.ts); ko.ts has the same keys. The choice is
// remembered in localStorage and set as <html lang>. Korean is the default
// unless the phone's language is something else.

import { en } from "./en";
import { ko } from "./ko";

export type Lang = "en" | "ko";
export type Key = keyof typeof en;
export type Vars = Record<string, string | number>;
export type T = (key: Key, vars?: Vars) => string;

export const dictionaries: Record<Lang, Record<Key, string>> = { en, ko };
/** Where the choice is remembered. */
export const STORAGE_KEY = "storelink.driver.lang";

/** `{name}` placeholders filled from `vars`. */
export function translate(lang: Lang, key: Key, vars?: Vars): string {
  const s = dictionaries[lang][key] ?? dictionaries.en[key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (vars[name] !== undefined ? String(vars[name]) : m));
}

/** The language to start with: the stored choice, else Korean unless the phone says otherwise. */
export function detectLang(stored: string | null, browser: string | undefined): Lang {
  if (stored === "en" || stored === "ko") return stored;
  if (browser === undefined || browser === "") return "ko";
  return browser.toLowerCase().startsWith("ko") ? "ko" : "en";
}

/** The other language (what the switch button offers). */
export function otherLang(lang: Lang): Lang {
  return lang === "ko" ? "en" : "ko";
}

/** The language of this phone: stored, else detected. */
export function loadLang(): Lang {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null;
  }
  return detectLang(stored, typeof navigator !== "undefined" ? navigator.language : undefined);
}

/** Remember `lang` and set it on the document. */
export function saveLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // private mode: the choice lasts for this visit only
  }
  document.documentElement.lang = lang;
}

/** The label of a code the hub sends (`status.arrived`), or the code itself when unknown. */
export function translateCode(lang: Lang, prefix: string, code: string): string {
  const key = `${prefix}.${code}` as Key;
  return dictionaries[lang][key] ?? code;
}
