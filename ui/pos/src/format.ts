// Money, number and time formatting for the till. Money travels as integer
// minor units with an ISO 4217 code (KRW has no minor unit: 29000 means
// ₩29,000; USD 1999 means $19.99); the number of digits comes from the
// platform's currency data (Intl), never from a table of our own. Same rules
// as the HQ console (ui/hq/src/format.ts).

import { currencyDigits } from "../../shared/money";
import type { Lang } from "./i18n";

export { currencyDigits, moneyInput, parseMoney } from "../../shared/money";

const LOCALES: Record<Lang, string> = { en: "en-US", ko: "ko-KR" };

export function localeOf(lang: Lang): string {
  return LOCALES[lang];
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
