// How the driver page writes distances, times and ETAs: metres under a
// kilometre, then kilometres with one decimal (none from 100 km); clock times
// as HH:MM on the phone's clock; an ETA as its clock time and whole minutes
// left (rounded up, so "1 min" until it is really now).

import type { T } from "./i18n";

/** `850 m`, `1.2 km`, `123 km`. */
export function formatDistance(m: number): string {
  if (!Number.isFinite(m) || m < 0) return "–";
  if (m < 1000) return `${Math.round(m)} m`;
  const km = m / 1000;
  return km < 100 ? `${km.toFixed(1)} km` : `${Math.round(km)} km`;
}

/** `14:05` on the phone's clock. */
export function formatClock(ms: number): string {
  const date = new Date(ms);
  const hh = String(date.getHours()).padStart(2, "0");
  const mm = String(date.getMinutes()).padStart(2, "0");
  return `${hh}:${mm}`;
}

/** Whole minutes until `etaMs`, rounded up; 0 when it is due. */
export function minutesLeft(etaMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((etaMs - nowMs) / 60_000));
}

/** The ETA line: "ETA 14:05 · about 12 min", "Arriving now", or that it is not known yet. */
export function etaText(t: T, etaMs: number | null, nowMs: number): string {
  if (etaMs === null || !Number.isFinite(etaMs)) return t("track.eta_unknown");
  const min = minutesLeft(etaMs, nowMs);
  if (min <= 0) return t("track.eta_now");
  return t("track.eta", { time: formatClock(etaMs), min });
}
