// Deliveries (issue 5): this store's deliveries — what is on the truck, the
// driver and vehicle, where the truck is ("arriving in ~N min", arrived),
// and once counted in, the receiving with its shortages, damages and extras.
// "Receive" opens the counting screen; the second tab is Request stock (a
// store manager asks the warehouse; this store's orders and their status).

import type { JSX } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { UiError } from "../api/types/UiError";
import { Btn, ErrorBox, useApp } from "../components/ui";
import { formatTime } from "../format";
import type { Key } from "../i18n";
import { etaText, statusTone } from "../logic/logistics";
import type { DeliveryView } from "../logistics/types";
import { Receive } from "./Receive";
import { RequestStock } from "./RequestStock";

const REFRESH_MS = 15_000;

type Tab = "deliveries" | "request";

export function Deliveries(): JSX.Element {
  const { t } = useApp();
  const [tab, setTab] = useState<Tab>("deliveries");
  const [receiving, setReceiving] = useState<DeliveryView | null>(null);

  if (receiving) {
    return <Receive delivery={receiving} onBack={() => setReceiving(null)} />;
  }
  return (
    <div class="page deliveries-page">
      <div class="seg" role="tablist">
        <button role="tab" class={`tab ${tab === "deliveries" ? "active" : ""}`} aria-selected={tab === "deliveries"} onClick={() => setTab("deliveries")} data-testid="logi-tab-deliveries">
          {t("logi.tab_deliveries")}
        </button>
        <button role="tab" class={`tab ${tab === "request" ? "active" : ""}`} aria-selected={tab === "request"} onClick={() => setTab("request")} data-testid="logi-tab-request">
          {t("logi.tab_request")}
        </button>
      </div>
      {tab === "deliveries" ? <DeliveryList onReceive={setReceiving} /> : <RequestStock />}
    </div>
  );
}

function DeliveryList(props: { onReceive: (d: DeliveryView) => void }): JSX.Element {
  const { t, lang } = useApp();
  const [list, setList] = useState<DeliveryView[] | null>(null);
  const [err, setErr] = useState<UiError | null>(null);
  const [now, setNow] = useState(Date.now());

  const load = useCallback(() => {
    api.deliveries().then(
      (d) => {
        setList(d);
        setErr(null);
        setNow(Date.now());
      },
      (e: UiError) => setErr(e),
    );
  }, []);
  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  return (
    <div class="stack">
      <div class="row">
        <h1 class="grow">{t("logi.tab_deliveries")}</h1>
        <Btn onClick={load} testid="deliveries-refresh">{t("logi.refresh")}</Btn>
      </div>
      <ErrorBox error={err} testid="deliveries-error" />
      {list !== null && list.length === 0 && (
        <p class="muted" data-testid="deliveries-empty">{t("logi.deliveries_none")}</p>
      )}
      <div class="delivery-list" data-testid="delivery-list">
        {(list ?? []).map((d) => {
          const eta = etaText(d, now);
          const units = d.lines.reduce((n, l) => n + l.qty, 0);
          const r = d.receiving;
          return (
            <div class={`card delivery-card eta-${eta.tone}`} key={d.shipment} data-testid="delivery-row" data-shipment={d.shipment} data-status={d.status} data-received={String(d.received)}>
              <div class="row">
                <span class={`tag ${statusTone(d.status)}`} data-testid="delivery-status">{t(`logi.status.${d.status}` as Key)}</span>
                <strong class="grow" data-testid="delivery-eta" data-tone={eta.tone}>{t(eta.key, eta.vars)}</strong>
                <span class="muted small">{t("logi.stop", { n: d.stop_no, total: d.stops_total })}</span>
              </div>
              <div class="muted small">
                {t("logi.driver", { driver: d.driver_name, vehicle: d.vehicle })} · {t("logi.dispatched_at", { time: formatTime(d.dispatched_ms, lang) })}
                {d.arrived_ms != null && <> · {t("logi.arrived_at", { time: formatTime(d.arrived_ms, lang) })}</>}
              </div>
              <div class="delivery-lines small">
                {d.lines.map((l) => (
                  <span class="chip" key={l.sku}>
                    {l.name ?? l.sku} <span class="mono muted">{l.sku}</span> × {l.qty}
                  </span>
                ))}
                <span class="muted">{t("logi.units", { n: units })}</span>
              </div>
              {r ? (
                <div class={`small ${r.has_discrepancy ? "warn-text" : "good-text"}`} data-testid="delivery-receiving">
                  {t("logi.received_by", { by: r.received_by, time: formatTime(r.received_ms, lang) })} ·{" "}
                  {r.has_discrepancy
                    ? t("logi.discrepancy", { short: r.shortage_units, damaged: r.damaged_units, extra: r.extra_units })
                    : t("logi.no_discrepancy")}
                </div>
              ) : (
                !d.received &&
                d.status !== "cancelled" && (
                  <div class="row-end">
                    <Btn kind={eta.tone === "arrived" ? "primary" : "plain"} onClick={() => props.onReceive(d)} testid="delivery-receive">
                      {t("logi.receive")}
                    </Btn>
                  </div>
                )
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
