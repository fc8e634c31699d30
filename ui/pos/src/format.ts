// Money, number and time formatting for the till. Money travels as integer
// minor units with an ISO 4217 code (KRW has no minor unit: 29000 means
// ₩29,000; USD 1999 means $19.99); the number of digits comes from the
// platform's currency data (Intl), never from a table of our own. Same rules
// as the HQ console (ui/hq/src/format.ts).

import type { Lang } from "./i18n";

const LOCALES: Record<Lang, string> = { en: "en-US", ko: "ko-KR" };

export function localeOf(lang: Lang): string {
  return LOCALES[lang];
}

const digitCache = new Map<string, number>();

/** Minor-unit digits of a currency (KRW 0, USD 2, BHD 3); 2 when unknown. */
export function currencyDigits(currency: string): number {
  const code = currency.toUpperCase();
  const hit = digitCache.get(code);
  if (hit !== undefined) return hit;
  let d = 2;
  try {
    d =
      new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
        .maximumFractionDigits ?? 2;
  } catch {
    d = 2;
  }
  digitCache.set(code, d);
  return d;
}

const fmtCache = new Map<string, Intl.NumberFormat>();

/** `29000, "KRW"` → `₩29,000`; `1999, "USD"` → `$19.99`; negative with a minus. */
export function formatMoney(minor: number, currency: string, lang: Lang): string {
  const code = currency.toUpperCase();
  const d = currencyDigits(code);
  const key = `${lang}|${code}`;
  let f = fmtCache.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat(localeOf(lang), {
        style: "currency",
        currency: code,
        minimumFractionDigits: d,
        maximumFractionDigits: d,
      });
    } catch {
      return `${(minor / 10 ** d).toFixed(d)} ${currency}`;
    }
    fmtCache.set(key, f);
  }
  return f.format(minor / 10 ** d);
}

/**
 * What a person typed as an amount → minor units, or null when it is not a
 * valid amount of that currency (`"19.999"` in USD, `"1.5"` in KRW, `"-3"`).
 * Thousands separators and a leading currency sign are accepted.
 */
export function parseMoney(input: string, currency: string): number | null {
  const s = input.trim().replace(/[,\s_]/g, "").replace(/^[₩$€£¥]/, "");
  if (!/^\d+(\.\d*)?$/.test(s)) return null;
  const d = currencyDigits(currency);
  const [whole = "0", frac = ""] = s.split(".");
  if (frac.length > d) return null;
  const minor = Number(whole) * 10 ** d + Number(frac.padEnd(d, "0") || "0");
  return Number.isSafeInteger(minor) ? minor : null;
}

/** Minor units → the plain decimal a person edits (`1999` USD → `"19.99"`). */
export function moneyInput(minor: number, currency: string): string {
  const d = currencyDigits(currency);
  return d === 0 ? String(minor) : (minor / 10 ** d).toFixed(d);
}

export function formatNumber(n: number, lang: Lang): string {
  return new Intl.NumberFormat(localeOf(lang)).format(n);
}

export function formatDateTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(localeOf(lang), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(new Date(ms));
}

export function formatTime(ms: number, lang: Lang): string {
  return new Intl.DateTimeFormat(localeOf(lang), {
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(new Date(ms));
}

/** `5 min ago` / `5분 전`, from the largest fitting unit. */
export function formatAgo(ms: number, now: number, lang: Lang): string {
  const rtf = new Intl.RelativeTimeFormat(localeOf(lang), { numeric: "auto", style: "short" });
  const s = Math.round((ms - now) / 1000);
  const a = Math.abs(s);
  if (a < 60) return rtf.format(s, "second");
  if (a < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (a < 86400) return rtf.format(Math.round(s / 3600), "hour");
  return rtf.format(Math.round(s / 86400), "day");
}

/** Korean phone numbers grouped with dashes (`01012345678` → `010-1234-5678`); else as given. */
export function formatPhone(phone: string): string {
  const d = phone.replace(/[\s-]/g, "");
  if (!/^0\d{8,10}$/.test(d)) return phone;
  if (d.startsWith("02")) {
    return d.length === 9 ? `02-${d.slice(2, 5)}-${d.slice(5)}` : `02-${d.slice(2, 6)}-${d.slice(6)}`;
  }
  return d.length === 10
    ? `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`
    : `${d.slice(0, 3)}-${d.slice(3, 7)}-${d.slice(7)}`;
}
