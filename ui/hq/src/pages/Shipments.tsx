// Shipments (issue 5): deliveries from the warehouse to the stores. The list
// (live from `shipment` messages), building a shipment from approved orders
// (choose the orders; the route is the order of the stops, rearranged with
// up / down), the open shipment's detail — pick, dispatch with a driver and a
// vehicle, cancel before dispatch, its stops with status, arrival time and
// ETA, and what each store counted in with shortages, damages and extras
// highlighted — and a Discrepancies tab listing the receivings that did not
// match (two receivings of one stop are flagged). Store managers see the
// deliveries to their store, read-only.

import { Fragment } from "preact";
import { useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

import { DiscrepancyBadges, EtaText, LinesText, ReceivingLines, StatusBadge } from "../components/logistics";
import {
  Badge,
  Card,
  DataTable,
  ErrorBanner,
  Field,
  Modal,
  Notice,
  PageHeader,
  dynKey,
  useAsync,
  useNum,
  useSession,
  useStoreNames,
  useSubmit,
} from "../components/ui";
import { formatDateTime, formatTime } from "../format";
import { live } from "../live/socket";
import { logisticsApi } from "../logistics/api";
import {
  type ListFilter,
  type LogiAction,
  type LogiState,
  LIFECYCLE,
  distanceText,
  effectiveLines,
  initialLogi,
  moveStop,
  nextAction,
  rank,
  reduceLogi,
  routeFor,
  shippable,
  shortId,
  totalQty,
  validateDispatch,
  validateShipment,
} from "../logistics/logic";
import type { OrderJson, PositionsEvent, ReceivingJson, ShipmentEvent, ShipmentJson, StopJson } from "../logistics/types";
import { setQuery, useRoute } from "../router";
import { canEdit } from "../roles";

/** Re-render the ETAs this often (they count down). */
const CLOCK_MS = 15_000;

export function ShipmentsPage() {
  const { t } = useSession();
  const route = useRoute();
  const tab = route.query.get("tab") === "discrepancies" ? "discrepancies" : "shipments";
  return (
    <div data-testid="page-shipments">
      <PageHeader title={t("nav.shipments")} sub={t("logi.shipments_subtitle")} />
      <div class="tabs" role="tablist">
        {(["shipments", "discrepancies"] as const).map((k) => (
          <button
            key={k}
            type="button"
            role="tab"
            data-testid={`tab-${k}`}
            class={tab === k ? "active" : ""}
            aria-selected={tab === k}
            onClick={() => setQuery({ tab: k === "shipments" ? null : k, shipment: null })}
          >
            {t(k === "shipments" ? "logi.tab.shipments" : "logi.tab.discrepancies")}
          </button>
        ))}
      </div>
      {tab === "discrepancies" ? <Discrepancies /> : <Shipments />}
    </div>
  );
}

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

function Shipments() {
  const { t, me } = useSession();
  const route = useRoute();
  const filter: ListFilter = { status: route.query.get("status") };
  const chosen = route.query.get("shipment");
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const [state, dispatch] = useReducer((s: LogiState, a: LogiAction) => reduceLogi(s, a, filterRef.current), undefined, initialLogi);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [building, setBuilding] = useState(false);
  const mayEdit = canEdit(me.role, "logistics");
  const now = useNow(CLOCK_MS);

  const load = () =>
    logisticsApi.shipments({ status: filter.status ?? undefined }).then(
      (list) => {
        dispatch({ type: "shipments", list });
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  useEffect(() => {
    void load();
  }, [filter.status]);
  useEffect(
    () =>
      live.subscribe((e) => {
        const m = e as unknown as { type: string };
        if (m.type === "shipment") dispatch(m as ShipmentEvent);
        else if (m.type === "positions") dispatch(m as PositionsEvent);
        else if (m.type === "lagged") {
          dispatch({ type: "lagged" });
          void load();
        }
      }),
    [filter.status],
  );

  const open = state.shipments?.find((s) => s.id === chosen) ?? null;
  const done = (text: string, s: ShipmentJson) => {
    setNotice(text);
    dispatch({ type: "shipment", shipment: s });
  };

  return (
    <>
      {notice && <Notice>{notice}</Notice>}
      {state.stale && <Notice kind="warn">{t("logi.stale")}</Notice>}
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <div class="filters filters-bar">
        <select
          data-testid="shipment-status-filter"
          aria-label={t("logi.status")}
          value={filter.status ?? ""}
          onChange={(e) => setQuery({ status: e.currentTarget.value || null, shipment: null })}
        >
          <option value="">{t("logi.all_statuses")}</option>
          {LIFECYCLE.filter((s) => s !== "requested").map((s) => (
            <option key={s} value={s}>
              {t(dynKey(`logi.status.${s}`))}
            </option>
          ))}
        </select>
        <span class="spacer" />
        {mayEdit && (
          <button type="button" class="btn btn-primary" data-testid="new-shipment" onClick={() => setBuilding(true)}>
            {t("logi.new_shipment")}
          </button>
        )}
      </div>
      <ShipmentList shipments={state.shipments} chosen={chosen} onOpen={(id) => setQuery({ shipment: id })} />
      {open && <ShipmentDetail shipment={open} mayEdit={mayEdit} now={now} onDone={done} onClose={() => setQuery({ shipment: null })} />}
      {building && (
        <ShipmentBuilder
          onClose={() => setBuilding(false)}
          onCreated={(s) => {
            setBuilding(false);
            done(t("logi.shipment_created", { n: s.stops.length }), s);
            setQuery({ shipment: s.id });
          }}
        />
      )}
    </>
  );
}

function ShipmentList({ shipments, chosen, onOpen }: { shipments: ShipmentJson[] | null; chosen: string | null; onOpen: (id: string) => void }) {
  const { t, lang } = useSession();
  return (
    <Card>
      <DataTable
        testid="shipments"
        rows={shipments}
        loading={shipments === null}
        rowKey={(s) => s.id}
        empty={t("logi.no_shipments")}
        onRow={(s) => onOpen(s.id)}
        columns={[
          {
            key: "id",
            label: t("logi.shipment"),
            render: (s) => (
              <span data-testid={`shipment-${s.id}`} class={`mono ${s.id === chosen ? "strong" : ""}`}>
                {shortId(s.id)}
              </span>
            ),
          },
          { key: "created", label: t("logi.created_at"), render: (s) => formatDateTime(s.created_ms, lang) },
          {
            key: "route",
            label: t("logi.route"),
            render: (s) => (
              <span class="route-chips">
                {s.from && <span class="mono small muted">{s.from} →</span>}
                {s.stops.map((st) => (
                  <span key={st.store} class={`route-chip st-${st.status}`} title={st.store_name}>
                    {st.stop_no}. {st.store}
                  </span>
                ))}
              </span>
            ),
          },
          {
            key: "driver",
            label: t("logi.driver"),
            render: (s) =>
              s.driver ? (
                <span>
                  {s.driver_name ?? s.driver} <span class="muted small mono">{s.vehicle}</span>
                </span>
              ) : (
                "—"
              ),
          },
          { key: "status", label: t("logi.status"), render: (s) => <StatusBadge status={s.status} testid="shipment-status" /> },
        ]}
      />
    </Card>
  );
}

type Confirming = "cancel" | "dispatch" | null;

function ShipmentDetail({
  shipment: s,
  mayEdit,
  now,
  onDone,
  onClose,
}: {
  shipment: ShipmentJson;
  mayEdit: boolean;
  now: number;
  onDone: (notice: string, s: ShipmentJson) => void;
  onClose: () => void;
}) {
  const { t, lang } = useSession();
  const [confirming, setConfirming] = useState<Confirming>(null);
  const next = nextAction(s);
  const pick = useSubmit(async () => onDone(t("logi.picked"), await logisticsApi.pick(s.id)));
  const cancel = useSubmit(async () => {
    const out = await logisticsApi.cancelShipment(s.id);
    setConfirming(null);
    onDone(t("logi.shipment_cancelled"), out);
  });
  const arrive = useSubmit(async (store: string) => onDone(t("logi.marked_arrived", { store }), await logisticsApi.arrive(s.id, store)));
  const mayCancel = mayEdit && rank(s.status) < rank("dispatched");

  return (
    <Card
      testid="shipment-detail"
      title={
        <span>
          {t("logi.shipment")} <span class="mono">{shortId(s.id)}</span> <StatusBadge status={s.status} testid="shipment-detail-status" />
        </span>
      }
      actions={
        <>
          {mayEdit && next === "pick" && (
            <button type="button" class="btn btn-primary btn-sm" data-testid="shipment-pick" disabled={pick.busy} onClick={() => void pick.run()}>
              {t("logi.pick")}
            </button>
          )}
          {mayEdit && next === "dispatch" && (
            <button type="button" class="btn btn-primary btn-sm" data-testid="shipment-dispatch" onClick={() => setConfirming("dispatch")}>
              {t("logi.dispatch")}
            </button>
          )}
          {mayCancel && (
            <button type="button" class="btn btn-danger btn-sm" data-testid="shipment-cancel" onClick={() => setConfirming("cancel")}>
              {t("logi.cancel_shipment")}
            </button>
          )}
          <button type="button" class="icon-btn" aria-label={t("common.close")} onClick={onClose}>
            ×
          </button>
        </>
      }
    >
      <ErrorBanner error={pick.error ?? arrive.error} onClose={() => (pick.setError(null), arrive.setError(null))} />
      <dl class="facts">
        <dt>{t("logi.from")}</dt>
        <dd class="mono">{s.from}</dd>
        <dt>{t("logi.created_at")}</dt>
        <dd>
          {formatDateTime(s.created_ms, lang)} · {s.created_by}
        </dd>
        <dt>{t("logi.driver")}</dt>
        <dd data-testid="shipment-driver">{s.driver ? `${s.driver_name ?? s.driver} (${s.driver})` : "—"}</dd>
        <dt>{t("logi.vehicle")}</dt>
        <dd class="mono" data-testid="shipment-vehicle">
          {s.vehicle ?? "—"}
        </dd>
        {s.dispatched_ms !== null && (
          <>
            <dt>{t("logi.dispatched_at")}</dt>
            <dd>{formatDateTime(s.dispatched_ms, lang)}</dd>
          </>
        )}
        {s.started_ms !== null && (
          <>
            <dt>{t("logi.started_at")}</dt>
            <dd>{formatDateTime(s.started_ms, lang)}</dd>
          </>
        )}
      </dl>
      <StopTable
        shipment={s}
        now={now}
        mayArrive={mayEdit}
        busy={arrive.busy}
        onArrive={(store) => void arrive.run(store)}
      />
      {confirming === "dispatch" && <DispatchForm shipment={s} onClose={() => setConfirming(null)} onDone={onDone} />}
      {confirming === "cancel" && (
        <Modal title={t("logi.cancel_shipment")} onClose={() => !cancel.busy && setConfirming(null)}>
          <div class="stack" data-testid="shipment-cancel-confirm">
            <p>{t("logi.cancel_shipment_confirm")}</p>
            <ErrorBanner error={cancel.error} />
            <div class="form-actions">
              <button type="button" class="btn" onClick={() => setConfirming(null)}>
                {t("common.no")}
              </button>
              <button type="button" class="btn btn-danger" data-testid="shipment-cancel-yes" disabled={cancel.busy} onClick={() => void cancel.run()}>
                {t("logi.cancel_shipment")}
              </button>
            </div>
          </div>
        </Modal>
      )}
    </Card>
  );
}

function StopTable({
  shipment: s,
  now,
  mayArrive,
  busy,
  onArrive,
}: {
  shipment: ShipmentJson;
  now: number;
  mayArrive: boolean;
  busy: boolean;
  onArrive: (store: string) => void;
}) {
  const { t, lang } = useSession();
  const num = useNum();
  const [openRecv, setOpenRecv] = useState<string | null>(null);
  const stops = s.stops.slice().sort((a, b) => a.stop_no - b.stop_no);
  const arrivedBy = (st: StopJson) => (st.arrived_by === "geofence" ? t("logi.by_geofence") : (st.arrived_by ?? ""));
  return (
    <div class="table-wrap">
      <table class="table" data-testid="stops">
        <thead>
          <tr>
            <th>#</th>
            <th>{t("common.store")}</th>
            <th>{t("logi.lines")}</th>
            <th>{t("logi.status")}</th>
            <th>{t("logi.arrived")}</th>
            <th>{t("logi.eta")}</th>
            <th>{t("logi.receiving")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {stops.map((st) => (
            <Fragment key={st.store}>
              <tr data-testid={`stop-${st.store}`} data-status={st.status}>
                <td>{st.stop_no}</td>
                <td>
                  <strong class="mono">{st.store}</strong> {st.store_name}
                  {(st.lat === null || st.lon === null) && (
                    <div class="small warn-text" data-testid={`stop-unplaced-${st.store}`}>
                      {t("logi.no_location")}
                    </div>
                  )}
                </td>
                <td>
                  <LinesText lines={st.lines} /> <span class="muted small">({num(totalQty(st.lines))})</span>
                </td>
                <td>
                  <StatusBadge status={st.status} testid="stop-status" />
                </td>
                <td data-testid="stop-arrived" data-arrived={st.arrived_ms ?? ""}>
                  {st.arrived_ms !== null ? (
                    <span>
                      {formatTime(st.arrived_ms, lang)} <span class="muted small">{arrivedBy(st)}</span>
                    </span>
                  ) : (
                    "—"
                  )}
                </td>
                <td>
                  {rank(st.status) < rank("arrived") && rank(s.status) >= rank("dispatched") ? (
                    <span>
                      <EtaText etaMs={st.eta_ms} now={now} testid="stop-eta" />{" "}
                      {st.distance_m !== null && <span class="muted small">{distanceText(st.distance_m)}</span>}
                    </span>
                  ) : (
                    "—"
                  )}
                </td>
                <td>
                  {st.receiving ? (
                    <button type="button" class="btn btn-ghost btn-sm" data-testid={`stop-receiving-${st.store}`} onClick={() => setOpenRecv(openRecv === st.store ? null : st.store)}>
                      <DiscrepancyBadges r={st.receiving} />
                    </button>
                  ) : st.received_ms !== null ? (
                    formatTime(st.received_ms, lang)
                  ) : (
                    "—"
                  )}
                </td>
                <td class="ta-right">
                  {mayArrive && st.status === "dispatched" && (
                    <button type="button" class="btn btn-sm" data-testid={`stop-arrive-${st.store}`} disabled={busy} onClick={() => onArrive(st.store)}>
                      {t("logi.mark_arrived")}
                    </button>
                  )}
                </td>
              </tr>
              {openRecv === st.store && st.receiving && (
                <tr class="sub-row">
                  <td colSpan={8}>
                    <ReceivingHead r={st.receiving} />
                    <ReceivingLines r={st.receiving} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ReceivingHead({ r }: { r: ReceivingJson }) {
  const { t, lang } = useSession();
  return (
    <div class="recv-head">
      {t("logi.received_by", { who: r.received_by, at: formatDateTime(r.received_ms, lang) })}
      {r.duplicate && (
        <Badge tone="bad" testid="receiving-duplicate">
          {t("logi.recv.duplicate")}
        </Badge>
      )}
      {r.note && <span class="muted small"> · {r.note}</span>}
    </div>
  );
}

function DispatchForm({ shipment, onClose, onDone }: { shipment: ShipmentJson; onClose: () => void; onDone: (notice: string, s: ShipmentJson) => void }) {
  const { t } = useSession();
  const drivers = useAsync((signal) => logisticsApi.drivers(signal), []);
  const [driver, setDriver] = useState("");
  const [vehicle, setVehicle] = useState("");
  const problem = validateDispatch(driver, vehicle);
  const submit = useSubmit(async () => {
    const p = validateDispatch(driver, vehicle);
    if (p) throw new Error(t(p.key, p.vars));
    const out = await logisticsApi.dispatch(shipment.id, { driver, vehicle: vehicle.trim() });
    onClose();
    onDone(t("logi.dispatched", { driver }), out);
  });
  return (
    <Modal title={t("logi.dispatch")} onClose={onClose}>
      <form
        class="form"
        data-testid="dispatch-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <ErrorBanner error={drivers.error} />
        <Field label={t("logi.driver")} hint={drivers.data && drivers.data.length === 0 ? t("logi.no_drivers") : undefined}>
          <select name="driver" data-testid="dispatch-driver" value={driver} onChange={(e) => setDriver(e.currentTarget.value)}>
            <option value="">—</option>
            {(drivers.data ?? []).map((u) => (
              <option key={u.username} value={u.username}>
                {u.display_name || u.username} ({u.username})
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("logi.vehicle")} hint={t("logi.vehicle_hint")}>
          <input name="vehicle" data-testid="dispatch-vehicle" maxLength={32} value={vehicle} onInput={(e) => setVehicle(e.currentTarget.value)} />
        </Field>
        <p class="muted small">{t("logi.dispatch_hint", { n: shipment.stops.length })}</p>
        <ErrorBanner error={submit.error} />
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" class="btn btn-primary" data-testid="dispatch-submit" disabled={submit.busy || problem !== null}>
            {t("logi.dispatch")}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ShipmentBuilder({ onClose, onCreated }: { onClose: () => void; onCreated: (s: ShipmentJson) => void }) {
  const { t } = useSession();
  const num = useNum();
  const names = useStoreNames();
  const orders = useAsync((signal) => logisticsApi.orders({ status: "approved" }, signal), []);
  const [selected, setSelected] = useState<string[]>([]);
  const [route, setRoute] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const locations = useAsync(
    (signal) =>
      Promise.all(
        route.map((store) =>
          logisticsApi.location(store, signal).then(
            (l) => [store, l.lat !== null && l.lon !== null] as const,
            () => [store, true] as const,
          ),
        ),
      ).then((pairs) => new Map(pairs)),
    [route.join(",")],
  );
  const candidates = useMemo(() => shippable(orders.data ?? []), [orders.data]);
  const all = orders.data ?? [];
  const toggle = (o: OrderJson, on: boolean) => {
    const next = on ? [...selected, o.id] : selected.filter((id) => id !== o.id);
    setSelected(next);
    setRoute(routeFor(next, all, route));
  };
  const checked = validateShipment(selected, all, route);
  const submit = useSubmit(async () => {
    setTried(true);
    const { body } = validateShipment(selected, all, route);
    if (!body) return;
    onCreated(await logisticsApi.createShipment(body));
  });
  const unplaced = route.filter((s) => locations.data?.get(s) === false);

  return (
    <Modal title={t("logi.new_shipment")} onClose={onClose} wide>
      <form
        class="form"
        data-testid="shipment-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <ErrorBanner error={orders.error} />
        <div class="field-label">{t("logi.choose_orders")}</div>
        <div class="table-wrap builder-orders">
          <table class="table" data-testid="builder-orders">
            <tbody>
              {candidates.map((o) => (
                <tr key={o.id}>
                  <td>
                    <input
                      type="checkbox"
                      data-testid={`builder-order-${o.id}`}
                      data-store={o.store}
                      checked={selected.includes(o.id)}
                      onChange={(e) => toggle(o, e.currentTarget.checked)}
                    />
                  </td>
                  <td>
                    <strong class="mono">{o.store}</strong> {o.store_name}
                  </td>
                  <td>
                    <LinesText lines={effectiveLines(o)} names={o.name_of_skus} />
                  </td>
                  <td class="ta-right">{num(totalQty(effectiveLines(o)))}</td>
                  <td class="muted small mono">{shortId(o.id)}</td>
                </tr>
              ))}
              {candidates.length === 0 && (
                <tr>
                  <td class="empty">{orders.loading ? t("common.loading") : t("logi.nothing_to_ship")}</td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <div class="field-label">{t("logi.route")}</div>
        <ol class="route-list" data-testid="builder-route">
          {route.map((store, i) => (
            <li key={store} data-testid={`route-stop-${store}`} data-index={i}>
              <span class="route-no">{i + 1}</span>
              <span class="route-name">
                <strong class="mono">{store}</strong> {names.get(store) ?? ""}
                {locations.data?.get(store) === false && <span class="warn-text small"> · {t("logi.no_location")}</span>}
              </span>
              <button type="button" class="btn btn-sm btn-ghost" data-testid={`route-up-${store}`} disabled={i === 0} aria-label={t("logi.move_up")} onClick={() => setRoute(moveStop(route, i, -1))}>
                ↑
              </button>
              <button
                type="button"
                class="btn btn-sm btn-ghost"
                data-testid={`route-down-${store}`}
                disabled={i === route.length - 1}
                aria-label={t("logi.move_down")}
                onClick={() => setRoute(moveStop(route, i, 1))}
              >
                ↓
              </button>
            </li>
          ))}
          {route.length === 0 && <li class="muted small">{t("logi.route_empty")}</li>}
        </ol>
        {unplaced.length > 0 && <Notice kind="warn">{t("logi.unplaced_warning", { stores: unplaced.join(", ") })}</Notice>}
        {tried &&
          checked.errors.map((e) => (
            <span key={e.key} class="field-error" data-testid="builder-error">
              {t(e.key, e.vars)}
            </span>
          ))}
        <ErrorBanner error={submit.error} />
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" class="btn btn-primary" data-testid="shipment-submit" disabled={submit.busy}>
            {t("logi.create_shipment")}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function Discrepancies() {
  const { t, me, lang } = useSession();
  const names = useStoreNames();
  const ownStore = me.role === "store_manager" ? me.store : null;
  const route = useRoute();
  const store = ownStore ?? route.query.get("store") ?? "";
  const list = useAsync((signal) => logisticsApi.receivings({ store: store || undefined, discrepancies: true }, signal), [store]);
  const [open, setOpen] = useState<string | null>(null);
  useEffect(
    () =>
      live.subscribe((e) => {
        const m = e as unknown as { type: string; shipment?: ShipmentJson };
        if (m.type === "lagged" || (m.type === "shipment" && m.shipment?.stops?.some((st) => st.receiving))) list.reload();
      }),
    [],
  );
  const rows = list.data;
  return (
    <>
      <ErrorBanner error={list.error} />
      {!ownStore && (
        <div class="filters filters-bar">
          <select aria-label={t("common.store")} data-testid="recv-store-filter" value={store} onChange={(e) => setQuery({ store: e.currentTarget.value || null })}>
            <option value="">{t("common.all_stores")}</option>
            {[...names].map(([code, name]) => (
              <option key={code} value={code}>
                {code} · {name}
              </option>
            ))}
          </select>
        </div>
      )}
      <Card>
        <DataTable
          testid="discrepancies"
          rows={rows}
          loading={list.loading}
          rowKey={(r) => r.id}
          empty={t("logi.no_discrepancies")}
          onRow={(r) => setOpen(open === r.id ? null : r.id)}
          columns={[
            { key: "at", label: t("logi.received_at"), render: (r) => <span data-testid={`receiving-${r.id}`}>{formatDateTime(r.received_ms, lang)}</span> },
            {
              key: "store",
              label: t("common.store"),
              render: (r) => (
                <span>
                  <strong class="mono">{r.store}</strong> {r.store_name}
                </span>
              ),
            },
            { key: "ship", label: t("logi.shipment"), render: (r) => <span class="mono small">{shortId(r.shipment)}</span> },
            { key: "by", label: t("logi.counted_by"), render: (r) => r.received_by },
            { key: "diff", label: t("logi.differences"), render: (r) => <DiscrepancyBadges r={r} /> },
            {
              key: "dup",
              label: "",
              render: (r) => (
                <span class="badges">
                  {r.duplicate && (
                    <Badge tone="bad" testid="receiving-duplicate" title={t("logi.recv.duplicate_hint")}>
                      {t("logi.recv.duplicate")}
                    </Badge>
                  )}
                  {r.no_delivery && (
                    <Badge tone="bad" testid="receiving-no-delivery" title={t("logi.recv.no_delivery_hint")}>
                      {t("logi.recv.no_delivery")}
                    </Badge>
                  )}
                </span>
              ),
            },
          ]}
        />
      </Card>
      {rows
        ?.filter((r) => r.id === open)
        .map((r) => (
          <Card key={r.id} testid="receiving-detail" title={`${r.store} ${r.store_name} · ${shortId(r.shipment)}`}>
            <ReceivingHead r={r} />
            <ReceivingLines r={r} />
          </Card>
        ))}
    </>
  );
}
