// Live map (issue 5): every active driver on a Leaflet map — a marker with
// driver, vehicle, speed and online/offline, the track of their shipment so
// far, the stops of the active shipments coloured by status with their
// geofence circles — and beside it the drivers with the ETA to their next
// stop and the stops' progress. The tiles come from the hub's /map/settings
// (none = a plain background; everything else is drawn the same). First load:
// /drivers/live, the active shipments and each driver's track, then the view
// is fitted; after that `positions` and `shipment` messages of the events
// socket update the map in place (see logistics/mapview.ts), and a `lagged`
// message or a reconnect reloads everything (the tracks merge without
// duplicates). HQ roles only: store managers get no positions.

import "../logistics/logistics.css";

import { useEffect, useRef, useState } from "preact/hooks";

import { EtaText, StatusBadge } from "../components/logistics";
import { Badge, Card, ErrorBanner, Notice, PageHeader, dynKey, useNum, useSession } from "../components/ui";
import { formatTime } from "../format";
import { type T } from "../i18n";
import { live } from "../live/socket";
import { logisticsApi } from "../logistics/api";
import { LiveMapModel, type DriverState } from "../logistics/live";
import { distanceText, etaLabel, rank, shortId, speedKmh } from "../logistics/logic";
import { type MapLabels, LiveMapView, driverColour } from "../logistics/mapview";
import type { MapSettings, PositionsEvent, ShipmentEvent, ShipmentJson, StopJson } from "../logistics/types";

/** How often online/offline and the ETAs are re-evaluated. */
const CLOCK_MS = 5_000;
/** The side list follows the map at most this often. */
const LIST_MS = 300;

declare global {
  interface Window {
    /** The live map's view, for the browser tests (`snapshot()`). */
    __storelinkLiveMap?: LiveMapView;
  }
}

function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function labelsFor(t: T): MapLabels {
  return {
    driver: (d, online) => {
      const parts = [d.name];
      if (d.vehicle) parts.push(d.vehicle);
      const kmh = speedKmh(d.speedMps);
      if (kmh !== null) parts.push(`${kmh} km/h`);
      parts.push(online ? t("logi.online") : t("logi.offline"));
      return parts.join(" · ");
    },
    stop: (s, st) => {
      const parts = [`${st.stop_no}. ${st.store} ${st.store_name}`, t(dynKey(`logi.status.${st.status}`))];
      if (rank(st.status) < rank("arrived")) {
        const m = etaLabel(st.eta_ms, Date.now());
        parts.push(t(m.key, m.vars));
      }
      if (s.driver_name ?? s.driver) parts.push(s.driver_name ?? s.driver ?? "");
      return parts.join(" · ");
    },
  };
}

export function LiveMapPage() {
  const { t } = useSession();
  const mapEl = useRef<HTMLDivElement>(null);
  const modelRef = useRef(new LiveMapModel());
  const viewRef = useRef<LiveMapView | null>(null);
  const [settings, setSettings] = useState<MapSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [, setTick] = useState(0);
  const [stale, setStale] = useState(false);
  const tRef = useRef(t);
  tRef.current = t;

  // The map itself: created once the settings are known, removed with the page.
  useEffect(() => {
    const ctl = new AbortController();
    logisticsApi.mapSettings(ctl.signal).then(setSettings, (e: unknown) => {
      if (!ctl.signal.aborted) setError(e);
    });
    return () => ctl.abort();
  }, []);

  useEffect(() => {
    if (!settings || !mapEl.current) return;
    const model = modelRef.current;
    const view = new LiveMapView(mapEl.current, settings, model, labelsFor(tRef.current));
    viewRef.current = view;
    window.__storelinkLiveMap = view;
    let initialDone = false;
    let listTimer: ReturnType<typeof setTimeout> | null = null;
    let gone = false;
    const bump = () => {
      if (listTimer || gone) return;
      listTimer = setTimeout(() => {
        listTimer = null;
        setTick((n) => n + 1);
      }, LIST_MS);
    };
    view.onDrawn = () => {
      if (initialDone) view.fitOnce();
      bump();
    };

    const fetchTracks = async () => {
      const wanted = model.takeWantedTracks();
      await Promise.all(
        wanted.map((w) =>
          (w.shipment ? logisticsApi.shipmentTrack(w.shipment) : logisticsApi.driverTrack(w.driver, startOfToday())).then(
            (track) => {
              if (gone) return;
              model.loadTrack({ ...track, driver: track.driver || w.driver });
              view.schedule();
            },
            (e: unknown) => !gone && setError(e),
          ),
        ),
      );
    };

    const loadAll = async () => {
      try {
        const [drivers, onRoad, there] = await Promise.all([
          logisticsApi.liveDrivers(),
          logisticsApi.shipments({ status: "dispatched" }),
          logisticsApi.shipments({ status: "arrived" }),
        ]);
        if (gone) return;
        model.loadDrivers(drivers, Date.now());
        model.loadShipments([...onRoad, ...there]);
        await fetchTracks();
        if (gone) return;
        setError(null);
        setStale(false);
      } catch (e) {
        if (!gone) setError(e);
      }
      initialDone = true;
      view.draw();
    };

    const off = live.subscribe((e) => {
      const m = e as unknown as { type: string };
      if (m.type === "positions") {
        const ev = m as PositionsEvent;
        if (!Array.isArray(ev.points)) return;
        model.applyPositions(ev.points, Date.now());
        void fetchTracks();
        view.schedule();
      } else if (m.type === "shipment") {
        model.applyShipment((m as ShipmentEvent).shipment);
        void fetchTracks();
        view.schedule();
      } else if (m.type === "lagged") {
        setStale(true);
        void loadAll();
      }
    });
    // A reconnect may have missed messages: read everything again.
    let wasLive = live.status === "live";
    const offStatus = live.onStatus((s) => {
      if (s === "live" && !wasLive && initialDone) void loadAll();
      wasLive = s === "live";
    });
    const clock = setInterval(() => {
      model.refreshOnline(Date.now());
      view.schedule();
      bump();
    }, CLOCK_MS);

    void loadAll();
    return () => {
      gone = true;
      off();
      offStatus();
      clearInterval(clock);
      if (listTimer) clearTimeout(listTimer);
      view.destroy();
      viewRef.current = null;
      if (window.__storelinkLiveMap === view) delete window.__storelinkLiveMap;
    };
  }, [settings]);

  useEffect(() => {
    viewRef.current?.setLabels(labelsFor(t));
  }, [t]);

  const model = modelRef.current;
  const drivers = [...model.drivers.values()];
  const now = Date.now();
  const online = drivers.filter((d) => model.online(d, now)).length;

  return (
    <div data-testid="page-map">
      <PageHeader
        title={t("nav.map")}
        sub={t("logi.map_subtitle", { drivers: drivers.length, online, shipments: model.shipments.size })}
      />
      {stale && <Notice kind="warn">{t("logi.stale")}</Notice>}
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <div class="live-map-layout">
        <div class="live-map-wrap">
          <div ref={mapEl} class="live-map" data-testid="live-map" data-tiles={settings ? String(!!settings.tile_url?.trim()) : ""} />
          {settings && !settings.tile_url?.trim() && (
            <div class="live-map-note" data-testid="map-no-tiles">
              {t("logi.no_tiles")}
            </div>
          )}
        </div>
        <aside class="live-side">
          <DriverList drivers={drivers} model={model} now={now} onPick={(d) => viewRef.current?.panTo(d)} />
          <StopList shipments={[...model.shipments.values()]} now={now} />
        </aside>
      </div>
    </div>
  );
}

function DriverList({ drivers, model, now, onPick }: { drivers: DriverState[]; model: LiveMapModel; now: number; onPick: (driver: string) => void }) {
  const { t, lang } = useSession();
  const num = useNum();
  const sorted = drivers.slice().sort((a, b) => Number(model.online(b, now)) - Number(model.online(a, now)) || a.name.localeCompare(b.name));
  const stopName = (d: DriverState) => {
    if (!d.nextStop) return null;
    const st = d.shipment ? model.shipments.get(d.shipment)?.stops.find((x) => x.store === d.nextStop) : undefined;
    return st ? `${st.stop_no}. ${st.store} ${st.store_name}` : d.nextStop;
  };
  return (
    <Card title={t("logi.drivers")} testid="live-drivers">
      {sorted.length === 0 && <p class="muted small">{t("logi.no_active_drivers")}</p>}
      <ul class="live-list">
        {sorted.map((d) => {
          const on = model.online(d, now);
          const points = model.tracks.get(d.driver)?.points.length ?? 0;
          const kmh = speedKmh(d.speedMps);
          return (
            <li
              key={d.driver}
              class="live-driver"
              data-testid={`live-driver-${d.driver}`}
              data-online={String(on)}
              data-points={points}
              data-next-stop={d.nextStop ?? ""}
              onClick={() => onPick(d.driver)}
            >
              <div class="live-driver-head">
                <span class="live-swatch" style={{ background: driverColour(d.driver) }} />
                <strong>{d.name}</strong>
                {d.vehicle && <span class="mono small muted">{d.vehicle}</span>}
                <span class="spacer" />
                <Badge tone={on ? "good" : "muted"}>{on ? t("logi.online") : t("logi.offline")}</Badge>
              </div>
              <div class="small muted">
                {d.last ? (
                  <>
                    {kmh !== null ? `${kmh} km/h · ` : ""}
                    {t("logi.last_point", { at: formatTime(d.last.ts_ms, lang) })} · {t("logi.points", { n: num(points) })}
                  </>
                ) : (
                  t("logi.waiting_first_point")
                )}
              </div>
              {d.nextStop && (
                <div class="small" data-testid="live-driver-next">
                  {t("logi.next_stop")}: <strong>{stopName(d)}</strong> · <EtaText etaMs={d.etaMs} now={now} testid="live-driver-eta" /> ·{" "}
                  {distanceText(d.distanceM)}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

function StopList({ shipments, now }: { shipments: ShipmentJson[]; now: number }) {
  const { t, lang } = useSession();
  const stopLine = (s: ShipmentJson, st: StopJson) => (
    <li key={st.store} class="live-stop" data-testid={`live-stop-${s.id}-${st.store}`} data-status={st.status}>
      <span class="live-stop-no">{st.stop_no}</span>
      <span class="live-stop-name">
        <strong class="mono">{st.store}</strong> {st.store_name}
        {(st.lat === null || st.lon === null) && <span class="warn-text small"> · {t("logi.no_location")}</span>}
      </span>
      <StatusBadge status={st.status} />
      <span class="small muted live-stop-when">
        {st.arrived_ms !== null ? formatTime(st.arrived_ms, lang) : rank(st.status) < rank("arrived") ? <EtaText etaMs={st.eta_ms} now={now} /> : ""}
      </span>
    </li>
  );
  return (
    <Card title={t("logi.stops")} testid="live-stops">
      {shipments.length === 0 && <p class="muted small">{t("logi.no_active_shipments")}</p>}
      {shipments.map((s) => (
        <div key={s.id} class="live-ship">
          <div class="small">
            <span class="mono">{shortId(s.id)}</span> · {s.driver_name ?? s.driver ?? "—"} {s.vehicle && <span class="mono muted">{s.vehicle}</span>}
          </div>
          <ul class="live-list">{s.stops.slice().sort((a, b) => a.stop_no - b.stop_no).map((st) => stopLine(s, st))}</ul>
        </div>
      ))}
    </Card>
  );
}
