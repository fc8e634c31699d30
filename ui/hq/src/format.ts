// Money, number and time formatting. Money travels as integer minor units
// with an ISO 4217 code (KRW has no minor unit: 29000 means ₩29,000; USD
// 1999 means $19.99; BHD has three digits); the number of digits comes from
// the platform's currency data, never from a table of our own.

import { currencyDigits } from "../../shared/money";
import type { Lang } from "./i18n";

export { currencyDigits, moneyInput, parseMoney } from "../../shared/money";

const LOCALES: Record<Lang, string> = { en: "en-US", ko: "ko-KR" };

export function localeOf(lang: Lang): string {
  return LOCALES[lang];
}


/** `29000, "KRW"` → `₩29,000`; `1999, "USD"` → `$19.99`. */
export function formatMoney(minor: number, currency: string, lang: Lang): string {
  const d = currencyDigits(currency);
  const value = minor / 10 ** d;
  try {
    return new Intl.NumberFormat(localeOf(lang), {
      style: "currency",
      currency: currency.toUpperCase(),
      minimumFractionDigits: d,
      maximumFractionDigits: d,
    }).format(value);
  } catch {
    return `${value.toFixed(d)} ${currency}`;
  }
}

/** Short money for chart axes: `₩1.2M` / `₩120만`. */
export function formatMoneyCompact(minor: number, currency: string, lang: Lang): string {
  const value = minor / 10 ** currencyDigits(currency);
  try {
    return new Intl.NumberFormat(localeOf(lang), {
      style: "currency",
      currency: currency.toUpperCase(),
      notation: "compact",
      maximumFractionDigits: 1,
    }).format(value);
  } catch {
    return String(value);
  }
}


export function formatNumber(n: number, lang: Lang): string {
  return new Intl.NumberFormat(localeOf(lang)).format(n);
}

export function formatPercent(ratio: number, lang: Lang): string {
  return new Intl.NumberFormat(localeOf(lang), { style: "percent", maximumFractionDigits: 1 }).format(
    ratio,
  );
}

/** Date and time in the viewer's time zone (or `timeZone` when given). */
export function formatDateTime(ms: number, lang: Lang, timeZone?: string): string {
  return new Intl.DateTimeFormat(localeOf(lang), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
    timeZone,
  }).format(new Date(ms));
}

export function formatTime(ms: number, lang: Lang, timeZone?: string): string {
  return new Intl.DateTimeFormat(localeOf(lang), {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
    timeZone,
  }).format(new Date(ms));
}

/** `5 s ago` / `5초 전`, from the largest fitting unit. */
export function formatAgo(ms: number, now: number, lang: Lang): string {
  const rtf = new Intl.RelativeTimeFormat(localeOf(lang), { numeric: "auto", style: "short" });
  const s = Math.round((ms - now) / 1000);
  const a = Math.abs(s);
  if (a < 60) return rtf.format(s, "second");
  if (a < 3600) return rtf.format(Math.round(s / 60), "minute");
  if (a < 86400) return rtf.format(Math.round(s / 3600), "hour");
  return rtf.format(Math.round(s / 86400), "day");
}

/** The `tz` parameter of the reports for an offset in minutes east of UTC: `+09:00`. */
export function tzParam(offsetMinutesEast: number): string {
  const sign = offsetMinutesEast < 0 ? "-" : "+";
  const a = Math.abs(offsetMinutesEast);
  const hh = String(Math.floor(a / 60)).padStart(2, "0");
  const mm = String(a % 60).padStart(2, "0");
  return `${sign}${hh}:${mm}`;
}

/** The browser's offset (minutes east of UTC) at `date`. */
export function browserOffset(date = new Date()): number {
  return -date.getTimezoneOffset();
}

/** `YYYY-MM-DD` of `ms` in the zone `offsetMinutesEast` from UTC. */
export function dateInOffset(ms: number, offsetMinutesEast: number): string {
  return new Date(ms + offsetMinutesEast * 60_000).toISOString().slice(0, 10);
}

/** Hour of day (0–23) of `ms` in the zone `offsetMinutesEast` from UTC. */
export function hourInOffset(ms: number, offsetMinutesEast: number): number {
  return new Date(ms + offsetMinutesEast * 60_000).getUTCHours();
}

/**
 * A phone number as people write it: Korean numbers grouped with dashes
 * (`01012345678` → `010-1234-5678`, `0212345678` → `02-1234-5678`); anything
 * else as given.
 */
export function formatPhone(phone: string): string {
  const d = phone.replace(/[\s-]/g, "");
  if (!/^0\d{8,10}$/.test(d)) return phone;
  if (d.startsWith("02")) {
    return d.length === 9 ? `02-${d.slice(2, 5)}-${d.slice(5)}` : `02-${d.slice(2, 6)}-${d.slice(6)}`;
  }
  return d.length === 10 ? `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}` : `${d.slice(0, 3)}-${d.slice(3, 7)}-${d.slice(7)}`;
}

/** Every `YYYY-MM-DD` from `from` to `to` (inclusive; at most 400 days). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const d = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`).getTime();
  if (Number.isNaN(d.getTime()) || Number.isNaN(end)) return out;
  while (d.getTime() <= end && out.length < 400) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}
