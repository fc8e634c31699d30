// The tracking screen: the status strip, the next stop with its distance and
// ETA in large type, the big "Arrived" button (with a confirmation), and the
// route's stops — the ones already served shown as done with their time.

import { useState } from "preact/hooks";

import type { ShipmentJson, StopJson } from "../api/types";
import { StatusStrip } from "../components/StatusStrip";
import { Confirm } from "../components/Confirm";
import { etaText, formatClock, formatDistance } from "../format";
import type { Lang, T } from "../i18n";
import { translateCode } from "../i18n";
import type { SenderStatus } from "../track/sender";
import type { TrackerState } from "../track/tracker";
import { allDone, isDone, nextStop, routeOrder, type EtaView } from "../track/route";

export function Track(props: {
  t: T;
  lang: Lang;
  shipment: ShipmentJson;
  eta: (stop: StopJson) => EtaView;
  online: boolean;
  sender: SenderStatus;
  tracker: TrackerState;
  nowMs: number;
  error: string | null;
  onArrive: (stop: StopJson) => Promise<void>;
  onSendNow: () => void;
  onFinish: () => void;
  onBack: () => void;
}) {
  const { t, shipment: s } = props;
  const [asking, setAsking] = useState<StopJson | null>(null);
  const [busy, setBusy] = useState(false);
  const next = nextStop(s);
  const stops = routeOrder(s);

  async function confirmArrive() {
    if (!asking) return;
    setBusy(true);
    try {
      await props.onArrive(asking);
      setAsking(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="screen track" data-testid="track-screen" data-shipment={s.id}>
      <StatusStrip
        t={t}
        online={props.online}
        sender={props.sender}
        tracker={props.tracker}
        nowMs={props.nowMs}
        onSendNow={props.onSendNow}
      />
      {props.error ? <div class="alert alert-bad" role="alert">{props.error}</div> : null}
      {next ? (
        <NextStop t={t} stop={next} total={stops.length} eta={props.eta(next)} nowMs={props.nowMs} onArrive={() => setAsking(next)} />
      ) : (
        <section class="next done" data-testid="all-done">
          <p class="next-name">{t("track.all_done")}</p>
          <button type="button" class="btn btn-go" data-testid="finish-button" onClick={props.onFinish}>
            {t("track.finish")}
          </button>
        </section>
      )}
      <h2>{t("track.stops")}</h2>
      <ol class="stops">
        {stops.map((st) => (
          <StopRow key={st.store} t={t} lang={props.lang} stop={st} next={next?.store === st.store} />
        ))}
      </ol>
      <div class="row-gap">
        <button type="button" class="btn btn-plain" data-testid="back-button" onClick={props.onBack}>
          {t("track.back")}
        </button>
        {!allDone(s) ? (
          <button type="button" class="btn btn-plain" data-testid="finish-button" onClick={props.onFinish}>
            {t("track.finish")}
          </button>
        ) : null}
      </div>
      {asking ? (
        <Confirm
          yes={busy ? t("track.arriving") : t("track.arrive_yes")}
          no={t("track.arrive_no")}
          busy={busy}
          onYes={confirmArrive}
          onNo={() => setAsking(null)}
        >
          {t("track.arrive_confirm", { store: asking.store_name })}
        </Confirm>
      ) : null}
    </main>
  );
}

function NextStop(props: { t: T; stop: StopJson; total: number; eta: EtaView; nowMs: number; onArrive: () => void }) {
  const { t, stop, eta } = props;
  return (
    <section class="next" data-testid="next-stop" data-store={stop.store}>
      <div class="muted">
        {t("track.next")} · {t("track.stop_no", { n: stop.stop_no, total: props.total })}
      </div>
      <p class="next-name" data-testid="next-stop-name">
        {stop.store_name}
      </p>
      <p class="next-distance" data-testid="next-stop-distance">
        {eta.distanceM !== null
          ? t("track.distance", { distance: formatDistance(eta.distanceM) })
          : stop.lat === null
            ? t("track.no_location")
            : t("track.no_position")}
      </p>
      <p class="next-eta" data-testid="next-stop-eta" data-source={eta.source ?? "none"}>
        {etaText(t, eta.etaMs, props.nowMs)}
        {eta.source ? <span class="muted small"> · {t(eta.source === "hub" ? "track.eta_hub" : "track.eta_phone")}</span> : null}
      </p>
      <button type="button" class="btn btn-arrive" data-testid="arrive-button" onClick={props.onArrive}>
        {t("track.arrive")}
      </button>
    </section>
  );
}

function StopRow(props: { t: T; lang: Lang; stop: StopJson; next: boolean }) {
  const { t, stop } = props;
  const done = isDone(stop);
  let when: string | null = null;
  if (stop.received_ms !== null) when = t("track.received_at", { time: formatClock(stop.received_ms) });
  else if (stop.arrived_ms !== null)
    when = t(stop.arrived_by === "geofence" ? "track.arrived_by_geofence" : "track.arrived_at", {
      time: formatClock(stop.arrived_ms),
    });
  const items = stop.lines.reduce((n, l) => n + l.qty, 0);
  return (
    <li
      class={`stop${done ? " stop-done" : ""}${props.next ? " stop-next" : ""}`}
      data-testid="stop-row"
      data-store={stop.store}
      data-status={stop.status}
    >
      <span class="stop-no">{done ? "✓" : stop.stop_no}</span>
      <div class="stop-body">
        <div class="stop-name">{stop.store_name}</div>
        <div class="muted small">
          {when ?? translateCode(props.lang, "status", stop.status)} · {t("track.items", { n: items })}
        </div>
      </div>
    </li>
  );
}
