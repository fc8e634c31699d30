// The sell screen's delivery banner (issue 5): "Delivery arriving in ~N min"
// while a truck is on its way to this store (from the hub's ETA the till
// keeps, `deliveries`), "Delivery arrived — count it in" once it is at the
// door, nothing otherwise. Asks every 15 s and re-renders every 20 s so the
// minutes count down between answers; a click opens the Deliveries screen.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { DeliveryView } from "../logistics/types";
import { deliveryBanner } from "../logic/logistics";
import { useApp } from "./ui";

const ASK_EVERY_MS = 15_000;
const TICK_MS = 20_000;

export function DeliveryBanner(props: { onOpen: () => void }): JSX.Element | null {
  const { t } = useApp();
  const [deliveries, setDeliveries] = useState<DeliveryView[]>([]);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    let alive = true;
    const ask = () =>
      api.deliveries().then(
        (d) => {
          if (!alive) return;
          setDeliveries(d);
          setNow(Date.now());
        },
        () => undefined,
      );
    void ask();
    const asking = setInterval(() => void ask(), ASK_EVERY_MS);
    const ticking = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => {
      alive = false;
      clearInterval(asking);
      clearInterval(ticking);
    };
  }, []);
  const b = deliveryBanner(deliveries, now);
  if (!b) return null;
  const cls = b.tone === "arrived" ? "banner-good" : "banner-info";
  return (
    <button
      type="button"
      class={`banner ${cls} delivery-banner`}
      onClick={props.onOpen}
      data-testid="delivery-banner"
      data-tone={b.tone}
      data-shipment={b.shipment}
      data-min={b.vars.min ?? ""}
    >
      <svg class="delivery-icon" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
        <path fill="currentColor" d="M3 5h11v9H3zM15 8h3.5L21 11v3h-6zM6.5 18.5a1.8 1.8 0 1 0 0-3.6 1.8 1.8 0 0 0 0 3.6zm11 0a1.8 1.8 0 1 0 0-3.6 1.8 1.8 0 0 0 0 3.6z" />
      </svg>
      <span class="grow">{t(b.key, b.vars)}</span>
      {b.more > 0 && <span class="muted small">{t("logi.banner_more", { n: b.more })}</span>}
      <span class="link-like">{t("logi.banner_open")}</span>
    </button>
  );
}
