// The time-deal clock guard banner (issue 7): when the till's clock is more
// than five minutes from the hub's, the core stops applying time-deal prices
// (`clock_guard().deals_paused`) and this banner says so, with how far off
// the clock is, so the cashier knows why the deal price is not given. Asked
// at start and once a minute; a shell without the command shows nothing.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { ClockGuard } from "../limited/types";
import { clockBanner } from "../logic/limited";
import { useApp } from "./ui";

const EVERY_MS = 60_000;

export function ClockGuardBanner(): JSX.Element | null {
  const { t } = useApp();
  const [guard, setGuard] = useState<ClockGuard | null>(null);
  useEffect(() => {
    let alive = true;
    const ask = () =>
      api.clockGuard().then(
        (g) => alive && setGuard(g),
        () => undefined,
      );
    void ask();
    const timer = setInterval(() => void ask(), EVERY_MS);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, []);
  const b = clockBanner(guard);
  if (!b || !guard) return null;
  return (
    <div class="banner banner-warn clock-guard" role="alert" data-testid="clock-guard" data-offset-ms={guard.offset_ms ?? ""}>
      {t(b.key, b.vars)}
    </div>
  );
}
