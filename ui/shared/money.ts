// Money rules shared by the HQ console (ui/hq) and the till screens (ui/pos):
// amounts travel as integer minor units with an ISO 4217 code (KRW has no
// minor unit: 29000 means ₩29,000; USD 1999 means $19.99; BHD has three
// digits). The number of digits comes from the platform's currency data
// (Intl), never from a table of our own. Both apps' format.ts re-export these;
// only the language-dependent formatting stays in each app.

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

/**
 * What a person typed as an amount → minor units, or null when it is not a
 * valid amount of that currency (`"19.999"` in USD, `"1.5"` in KRW, `"-3"`).
 * Thousands separators and a leading currency sign are accepted; `"19."` is 19.
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
