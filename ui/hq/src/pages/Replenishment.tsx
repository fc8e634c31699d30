// Replenishment (issue 5): the stores' stock requests and HQ's proposals.
// The order list (filter by store and status, live from `order` messages of
// the events socket), "Propose from low stock" (orders built by the hub from
// the low-stock alerts), HQ placing an order for a store, and the open
// order's detail: its lines, approve with editable quantities, cancel behind
// a confirmation. Store managers see their own store's orders, read-only.

import { useEffect, useReducer, useRef, useState } from "preact/hooks";

import { api } from "../api/client";
import type { Store } from "../api/types/Store";
import { LinesText, StatusBadge } from "../components/logistics";
import {
  Badge,
  Card,
  DataTable,
  ErrorBanner,
  Field,
  FormFooter,
  Modal,
  Notice,
  PageHeader,
  dynKey,
  useAsync,
  useNum,
  useSession,
  useSubmit,
} from "../components/ui";
import { formatDateTime } from "../format";
import { live } from "../live/socket";
import { logisticsApi } from "../logistics/api";
import {
  type LineRow,
  type ListFilter,
  type LogiAction,
  type LogiState,
  LIFECYCLE,
  approval,
  effectiveLines,
  initialLogi,
  mayApprove,
  mayCancelOrder,
  orderLines,
  reduceLogi,
  shortId,
  totalQty,
} from "../logistics/logic";
import type { OrderEvent, OrderJson } from "../logistics/types";
import { setQuery, useRoute } from "../router";
import { canEdit } from "../roles";

export function ReplenishmentPage() {
  const { t, me } = useSession();
  const route = useRoute();
  const ownStore = me.role === "store_manager" ? me.store : null;
  const filter: ListFilter = { store: ownStore ?? route.query.get("store"), status: route.query.get("status") };
  const chosen = route.query.get("order");
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const [state, dispatch] = useReducer((s: LogiState, a: LogiAction) => reduceLogi(s, a, filterRef.current), undefined, initialLogi);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [placing, setPlacing] = useState(false);
  const stores = useAsync((signal) => api.get<Store[]>("/stores", undefined, signal), []);
  const mayEdit = canEdit(me.role, "logistics");

  const load = () =>
    logisticsApi.orders({ store: filter.store ?? undefined, status: filter.status ?? undefined }).then(
      (list) => {
        dispatch({ type: "orders", list });
        setError(null);
      },
      (e: unknown) => setError(e),
    );

  useEffect(() => {
    void load();
  }, [filter.store, filter.status]);

  useEffect(
    () =>
      live.subscribe((e) => {
        const m = e as unknown as { type: string };
        if (m.type === "order") dispatch(m as OrderEvent);
        else if (m.type === "lagged") {
          dispatch({ type: "lagged" });
          void load();
        }
      }),
    [filter.store, filter.status],
  );

  const propose = useSubmit(async () => {
    const made = await logisticsApi.propose(filter.store ? [filter.store] : undefined);
    setNotice(made.length ? t("logi.proposed", { n: made.length }) : t("logi.proposed_none"));
    void load();
  });

  const shops = (stores.data ?? []).filter((s) => s.kind === "store");
  const open = state.orders?.find((o) => o.id === chosen) ?? null;

  return (
    <div data-testid="page-replenishment">
      <PageHeader
        title={t("nav.replenishment")}
        sub={ownStore ? t("logi.orders_subtitle_store", { store: ownStore }) : t("logi.orders_subtitle")}
        actions={
          mayEdit && (
            <>
              <button type="button" class="btn" data-testid="propose" disabled={propose.busy} onClick={() => void propose.run()}>
                {propose.busy ? t("common.working") : t("logi.propose")}
              </button>
              <button type="button" class="btn btn-primary" data-testid="new-order" onClick={() => setPlacing(true)}>
                {t("logi.new_order")}
              </button>
            </>
          )
        }
      />
      {notice && <Notice>{notice}</Notice>}
      {state.stale && <Notice kind="warn">{t("logi.stale")}</Notice>}
      <ErrorBanner error={error ?? propose.error ?? stores.error} onClose={() => setError(null)} />
      <div class="filters filters-bar">
        {!ownStore && (
          <select
            data-testid="order-store-filter"
            aria-label={t("common.store")}
            value={filter.store ?? ""}
            onChange={(e) => setQuery({ store: e.currentTarget.value || null, order: null })}
          >
            <option value="">{t("common.all_stores")}</option>
            {shops.map((s) => (
              <option key={s.code} value={s.code}>
                {s.code} · {s.name}
              </option>
            ))}
          </select>
        )}
        <select
          data-testid="order-status-filter"
          aria-label={t("logi.status")}
          value={filter.status ?? ""}
          onChange={(e) => setQuery({ status: e.currentTarget.value || null, order: null })}
        >
          <option value="">{t("logi.all_statuses")}</option>
          {LIFECYCLE.map((s) => (
            <option key={s} value={s}>
              {t(dynKey(`logi.status.${s}`))}
            </option>
          ))}
        </select>
      </div>
      <OrderList orders={state.orders} chosen={chosen} onOpen={(id) => setQuery({ order: id })} />
      {open && (
        <OrderDetail
          key={`${open.id}-${open.status}`}
          order={open}
          mayEdit={mayEdit}
          onDone={(text, o) => {
            setNotice(text);
            dispatch({ type: "order", order: o });
          }}
          onClose={() => setQuery({ order: null })}
        />
      )}
      {placing && (
        <PlaceOrderForm
          stores={shops}
          store={filter.store ?? ""}
          onClose={() => setPlacing(false)}
          onPlaced={(o) => {
            setPlacing(false);
            setNotice(t("logi.placed", { store: o.store }));
            dispatch({ type: "order", order: o });
            setQuery({ order: o.id });
          }}
        />
      )}
    </div>
  );
}

function OrderList({ orders, chosen, onOpen }: { orders: OrderJson[] | null; chosen: string | null; onOpen: (id: string) => void }) {
  const { t, lang } = useSession();
  const num = useNum();
  return (
    <Card>
      <DataTable
        testid="orders"
        rows={orders}
        loading={orders === null}
        rowKey={(o) => o.id}
        empty={t("logi.no_orders")}
        onRow={(o) => onOpen(o.id)}
        columns={[
          {
            key: "placed",
            label: t("logi.placed_at"),
            render: (o) => (
              <span data-testid={`order-${o.id}`} class={o.id === chosen ? "strong" : undefined}>
                {formatDateTime(o.placed_ms, lang)}
              </span>
            ),
          },
          {
            key: "store",
            label: t("common.store"),
            render: (o) => (
              <span>
                <strong class="mono">{o.store}</strong> {o.store_name}
              </span>
            ),
          },
          {
            key: "origin",
            label: t("logi.origin"),
            render: (o) => <Badge tone={o.origin === "store" ? "muted" : "info"}>{t(dynKey(`logi.origin.${o.origin}`))}</Badge>,
          },
          { key: "lines", label: t("logi.lines"), render: (o) => <LinesText lines={effectiveLines(o)} names={o.name_of_skus} /> },
          { key: "qty", label: t("common.qty"), align: "right", render: (o) => num(totalQty(effectiveLines(o))) },
          { key: "status", label: t("logi.status"), render: (o) => <StatusBadge status={o.status} testid="order-status" /> },
          { key: "ship", label: t("logi.shipment"), render: (o) => (o.shipment ? <span class="mono small">{shortId(o.shipment)}</span> : "—") },
          { key: "by", label: t("logi.placed_by"), render: (o) => <span class="small">{o.placed_by}</span> },
        ]}
      />
    </Card>
  );
}

type Confirming = { what: "cancel" } | null;

function OrderDetail({
  order,
  mayEdit,
  onDone,
  onClose,
}: {
  order: OrderJson;
  mayEdit: boolean;
  onDone: (notice: string, o: OrderJson) => void;
  onClose: () => void;
}) {
  const { t, lang } = useSession();
  const num = useNum();
  const [edits, setEdits] = useState<Record<string, string>>({});
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [note, setNote] = useState("");
  const editable = mayEdit && mayApprove(order);
  const checked = approval(order, edits);
  const approve = useSubmit(async () => {
    const a = approval(order, edits);
    if (a.error) throw new Error(t(a.error.key, a.error.vars));
    const o = await logisticsApi.approve(order.id, a.lines);
    onDone(t("logi.approved", { store: order.store }), o);
  });
  const cancel = useSubmit(async () => {
    const o = await logisticsApi.cancelOrder(order.id, note.trim() || undefined);
    setConfirming(null);
    onDone(t("logi.cancelled", { store: order.store }), o);
  });
  const names = order.name_of_skus ?? {};

  return (
    <Card
      testid="order-detail"
      title={
        <span>
          {t("logi.order_of", { store: `${order.store} ${order.store_name}` })} <span class="muted mono small">{shortId(order.id)}</span>{" "}
          <StatusBadge status={order.status} testid="order-detail-status" />
        </span>
      }
      actions={
        <>
          {mayEdit && mayCancelOrder(order) && (
            <button type="button" class="btn btn-danger btn-sm" data-testid="order-cancel" onClick={() => setConfirming({ what: "cancel" })}>
              {t("logi.cancel_order")}
            </button>
          )}
          <button type="button" class="icon-btn" aria-label={t("common.close")} onClick={onClose}>
            ×
          </button>
        </>
      }
    >
      <ErrorBanner error={approve.error} onClose={() => approve.setError(null)} />
      <dl class="facts">
        <dt>{t("logi.origin")}</dt>
        <dd>{t(dynKey(`logi.origin.${order.origin}`))}</dd>
        <dt>{t("logi.placed_at")}</dt>
        <dd>
          {formatDateTime(order.placed_ms, lang)} · {order.placed_by}
        </dd>
        <dt>{t("logi.status")}</dt>
        <dd>
          {formatDateTime(order.status_at_ms, lang)} · {order.status_by}
        </dd>
        {order.note && (
          <>
            <dt>{t("common.note")}</dt>
            <dd>{order.note}</dd>
          </>
        )}
        {order.shipment && (
          <>
            <dt>{t("logi.shipment")}</dt>
            <dd class="mono">{order.shipment}</dd>
          </>
        )}
      </dl>
      <div class="table-wrap">
        <table class="table" data-testid="order-lines">
          <thead>
            <tr>
              <th>{t("common.sku")}</th>
              <th>{t("common.product")}</th>
              <th class="ta-right">{t("logi.requested")}</th>
              <th class="ta-right">{t("logi.approved_qty")}</th>
            </tr>
          </thead>
          <tbody>
            {order.lines.map((l) => {
              const approved = order.approved_lines?.find((a) => a.sku === l.sku);
              return (
                <tr key={l.sku} data-testid={`order-line-${l.sku}`}>
                  <td class="mono">{l.sku}</td>
                  <td>{names[l.sku] ?? "—"}</td>
                  <td class="ta-right">{num(l.qty)}</td>
                  <td class="ta-right">
                    {editable ? (
                      <input
                        class="input-narrow"
                        inputMode="numeric"
                        name={`approve-${l.sku}`}
                        data-testid={`approve-qty-${l.sku}`}
                        value={edits[l.sku] ?? String(l.qty)}
                        onInput={(e) => setEdits({ ...edits, [l.sku]: e.currentTarget.value })}
                      />
                    ) : order.approved_lines ? (
                      <span class={approved?.qty !== l.qty ? "warn-text" : undefined}>{num(approved?.qty ?? 0)}</span>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {editable && (
        <div class="form-actions">
          {checked.error && (
            <span class="field-error" data-testid="approve-error">
              {t(checked.error.key, checked.error.vars)}
            </span>
          )}
          <span class="muted small">{checked.lines ? t("logi.approve_changed") : t("logi.approve_as_asked")}</span>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="order-approve"
            disabled={approve.busy || checked.error !== null}
            onClick={() => void approve.run()}
          >
            {t("logi.approve")}
          </button>
        </div>
      )}
      {confirming && (
        <Modal title={t("logi.cancel_order")} onClose={() => !cancel.busy && setConfirming(null)}>
          <div class="stack" data-testid="order-cancel-confirm">
            <p>{t("logi.cancel_confirm", { store: order.store })}</p>
            <Field label={t("common.note")}>
              <input name="cancel-note" value={note} maxLength={500} onInput={(e) => setNote(e.currentTarget.value)} />
            </Field>
            <ErrorBanner error={cancel.error} />
            <div class="form-actions">
              <button type="button" class="btn" data-testid="order-cancel-no" onClick={() => setConfirming(null)}>
                {t("common.no")}
              </button>
              <button type="button" class="btn btn-danger" data-testid="order-cancel-yes" disabled={cancel.busy} onClick={() => void cancel.run()}>
                {t("logi.cancel_order")}
              </button>
            </div>
          </div>
        </Modal>
      )}
    </Card>
  );
}

function PlaceOrderForm({
  stores,
  store: initialStore,
  onClose,
  onPlaced,
}: {
  stores: Store[];
  store: string;
  onClose: () => void;
  onPlaced: (o: OrderJson) => void;
}) {
  const { t } = useSession();
  const [store, setStore] = useState(initialStore);
  const [rows, setRows] = useState<LineRow[]>([{ sku: "", qty: "" }]);
  const [note, setNote] = useState("");
  const checked = orderLines(rows);
  const submit = useSubmit(async () => {
    if (!store) throw new Error(t("logi.err.store"));
    const { lines, error } = orderLines(rows);
    if (error || !lines) throw new Error(error ? t(error.key, error.vars) : t("logi.err.no_lines"));
    onPlaced(await logisticsApi.placeOrder({ store, lines, note: note.trim() || undefined }));
  });
  const setRow = (i: number, patch: Partial<LineRow>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <Modal title={t("logi.new_order")} onClose={onClose} wide>
      <form
        class="form"
        data-testid="order-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <Field label={t("common.store")}>
          <select name="store" value={store} onChange={(e) => setStore(e.currentTarget.value)}>
            <option value="">—</option>
            {stores.map((s) => (
              <option key={s.code} value={s.code}>
                {s.code} · {s.name}
              </option>
            ))}
          </select>
        </Field>
        <table class="table order-rows">
          <thead>
            <tr>
              <th>{t("common.sku")}</th>
              <th class="ta-right">{t("common.qty")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td>
                  <input name={`sku-${i}`} data-testid={`order-sku-${i}`} autoComplete="off" value={r.sku} onInput={(e) => setRow(i, { sku: e.currentTarget.value.trim() })} />
                </td>
                <td class="ta-right">
                  <input name={`qty-${i}`} data-testid={`order-qty-${i}`} class="input-narrow" inputMode="numeric" value={r.qty} onInput={(e) => setRow(i, { qty: e.currentTarget.value })} />
                </td>
                <td class="ta-right">
                  {rows.length > 1 && (
                    <button type="button" class="icon-btn" aria-label={t("logi.remove_line")} onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                      ×
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div>
          <button type="button" class="btn btn-sm" data-testid="order-add-line" onClick={() => setRows([...rows, { sku: "", qty: "" }])}>
            {t("logi.add_line")}
          </button>
        </div>
        {checked.error && rows.some((r) => r.sku || r.qty) && (
          <span class="field-error" data-testid="order-form-error">
            {t(checked.error.key, checked.error.vars)}
          </span>
        )}
        <Field label={t("common.note")}>
          <input name="note" maxLength={500} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </Field>
        <div class="form-grid">
          <FormFooter error={submit.error} busy={submit.busy} onCancel={onClose} testId="order-submit" saveLabel={t("logi.place")} />
        </div>
      </form>
    </Modal>
  );
}
