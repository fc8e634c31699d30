// Today's shipments: one card per shipment with its stops in route order and
// one big button — Start (or Continue, once started) — that opens tracking.

import type { DriverToday, ShipmentJson } from "../api/types";
import { formatClock } from "../format";
import type { Lang, T } from "../i18n";
import { translateCode } from "../i18n";
import { allDone, routeOrder } from "../track/route";

export function Today(props: {
  t: T;
  lang: Lang;
  today: DriverToday | null;
  readAtMs: number | null;
  error: string | null;
  starting: string | null;
  active: string | null;
  onStart: (s: ShipmentJson) => void;
  onRefresh: () => void;
  onLogout: () => void;
}) {
  const { t, today } = props;
  return (
    <main class="screen" data-testid="today-screen">
      <div class="row-between">
        <h1>{t("today.title")}</h1>
        <button type="button" class="btn-small" data-testid="refresh" onClick={props.onRefresh}>
          {t("today.refresh")}
        </button>
      </div>
      {today ? <p class="muted">{t("today.hello", { name: today.driver_name })}</p> : <p class="muted">{t("today.loading")}</p>}
      {props.error && props.readAtMs !== null ? (
        <div class="alert">{t("today.stale", { error: props.error, time: formatClock(props.readAtMs) })}</div>
      ) : props.error ? (
        <div class="alert alert-bad">{t("error.generic", { error: props.error })}</div>
      ) : null}
      {today && today.shipments.length === 0 ? <p class="empty">{t("today.none")}</p> : null}
      {today?.shipments.map((s) => (
        <ShipmentCard key={s.id} {...props} shipment={s} />
      ))}
      <button type="button" class="btn btn-plain" data-testid="logout" onClick={props.onLogout}>
        {t("today.logout")}
      </button>
    </main>
  );
}

function ShipmentCard(props: {
  t: T;
  lang: Lang;
  shipment: ShipmentJson;
  starting: string | null;
  active: string | null;
  onStart: (s: ShipmentJson) => void;
}) {
  const { t, shipment: s } = props;
  const done = allDone(s);
  const started = s.started_ms !== null || props.active === s.id;
  return (
    <article class={`card${done ? " card-done" : ""}`} data-testid="shipment-card" data-shipment={s.id}>
      <div class="row-between">
        <strong class="mono">{s.id.slice(0, 8)}</strong>
        <span class={`badge badge-${s.status}`}>{translateCode(props.lang, "status", s.status)}</span>
      </div>
      <div class="muted">
        {t("today.stops", { n: s.stops.length })}
        {s.vehicle ? ` · ${t("today.vehicle", { plate: s.vehicle })}` : ""}
      </div>
      <ol class="stop-mini">
        {routeOrder(s).map((st) => (
          <li key={st.store} class={`stop-mini-${st.status}`}>
            {st.store_name} <span class="muted">({translateCode(props.lang, "status", st.status)})</span>
          </li>
        ))}
      </ol>
      {!done ? (
        <button
          type="button"
          class="btn btn-go"
          data-testid="start-button"
          disabled={props.starting !== null}
          onClick={() => props.onStart(s)}
        >
          {props.starting === s.id ? t("today.starting") : started ? t("today.continue") : t("today.start")}
        </button>
      ) : null}
    </article>
  );
}
