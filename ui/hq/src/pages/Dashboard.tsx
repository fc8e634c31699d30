// Dashboard: today vs the same weekday last week — by hour, by store, top
// products, by cashier — kept live by the /events WebSocket: each sale moves
// the numbers and joins the feed at once; the hub's aggregates are refetched
// shortly after (debounced) to replace the estimates.

import { useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

import { api } from "../api/client";
import type { Dashboard } from "../api/types/Dashboard";
import type { Event as LiveEvent } from "../api/types/Event";
import type { Store } from "../api/types/Store";
import { ChartView, PALETTE } from "../components/chart";
import { Card, DataTable, ErrorBanner, Kpi, PageHeader, useMoney, useNum, useSession, useStoreNames } from "../components/ui";
import type { Role } from "../api/types/Role";
import type { User } from "../api/types/User";
import { browserOffset, dateInOffset, formatMoneyCompact, formatPercent, formatTime, tzParam } from "../format";
import { type LiveContext, type LiveState, initialLive, reduce } from "../live/reducer";
import { live } from "../live/socket";

const REFETCH_AFTER_MS = 2500;

export function DashboardPage() {
  const { me, t, lang, currency } = useSession();
  const money = useMoney();
  const num = useNum();
  const offset = browserOffset();
  const [date, setDate] = useState(() => dateInOffset(Date.now(), offset));
  const [store, setStore] = useState<string | null>(me.role === "store_manager" ? me.store : null);
  const [stores, setStores] = useState<Store[]>([]);
  const [error, setError] = useState<unknown>(null);
  const ctx: LiveContext = { date, offset, store };
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;
  const [state, dispatch] = useReducer(
    (s: LiveState, a: LiveEvent | { type: "loaded"; dashboard: Dashboard }) => reduce(s, a, ctxRef.current),
    undefined,
    initialLive,
  );
  const [loadTick, setLoadTick] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (me.role !== "store_manager") api.get<Store[]>("/stores").then(setStores, () => undefined);
  }, [me.role]);


  useEffect(() => {
    const ctl = new AbortController();
    api
      .get<Dashboard>("/dashboard", { date, store, tz: tzParam(offset) }, ctl.signal)
      .then((d) => {
        setError(null);
        dispatch({ type: "loaded", dashboard: d });
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setError(e);
      });
    return () => ctl.abort();
  }, [date, store, loadTick, offset]);

  useEffect(() => {
    const refetchSoon = () => {
      if (timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        setLoadTick((n) => n + 1);
      }, REFETCH_AFTER_MS);
    };
    const off = live.subscribe((e) => {
      dispatch(e);
      if (e.type === "sale" || e.type === "return" || e.type === "lagged") refetchSoon();
    });
    let wasLive = live.status === "live";
    const offStatus = live.onStatus((s) => {
      if (s === "live" && !wasLive) refetchSoon();
      wasLive = s === "live";
    });
    return () => {
      off();
      offStatus();
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
  }, []);

  const d = state.dashboard;
  const storeNames = useStoreNames();
  const users = useUserNames(me.role);
  const cashierName = (u: string) => (u ? (users.get(u) ?? u) : t("dash.no_cashier"));
  const cur = currency;
  const zero = { sales: 0, returns: 0, items: 0, gross: 0, refunds: 0, net: 0 };
  const today = d?.today ?? zero;
  const lastWeek = d?.last_week ?? zero;
  const change = lastWeek.net > 0 ? today.net / lastWeek.net - 1 : null;

  const hourChart = useMemo(() => {
    const hours = Array.from({ length: 24 }, (_, h) => h);
    const byHour = new Map((d?.by_hour ?? []).map((h) => [h.hour, h]));
    return {
      type: "bar" as const,
      data: {
        labels: hours.map((h) => `${String(h).padStart(2, "0")}`),
        datasets: [
          {
            type: "bar" as const,
            label: t("dash.today"),
            data: hours.map((h) => byHour.get(h)?.today ?? 0),
            backgroundColor: PALETTE[0],
            borderRadius: 3,
          },
          {
            type: "bar" as const,
            label: t("dash.last_week"),
            data: hours.map((h) => byHour.get(h)?.last_week ?? 0),
            backgroundColor: "#cbd5e1",
            borderRadius: 3,
          },
        ],
      },
      options: {
        plugins: { legend: { position: "bottom" as const } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0, callback: (v: string | number) => formatMoneyCompact(Number(v), cur, lang) } } },
      },
    };
  }, [d, t, cur, lang]);

  // One store in view (a store manager, or the store filter): its cashiers
  // instead of a single pair of bars.
  const oneStore = store !== null;
  const storeChart = useMemo(() => {
    const rows = oneStore
      ? [...(d?.by_cashier ?? [])]
          .sort((a, b) => b.revenue - a.revenue)
          .slice(0, 15)
          .map((c) => ({ label: cashierName(c.cashier), today: c.revenue, last_week: null as number | null }))
      : [...(d?.by_store ?? [])]
          .sort((a, b) => b.today - a.today)
          .slice(0, 15)
          .map((r) => ({ label: r.name ?? storeNames.get(r.store) ?? r.store, today: r.today, last_week: r.last_week as number | null }));
    const datasets = [{ label: t("dash.today"), data: rows.map((r) => r.today), backgroundColor: PALETTE[2], borderRadius: 3, maxBarThickness: 22 }];
    if (!oneStore) {
      datasets.push({ label: t("dash.last_week"), data: rows.map((r) => r.last_week ?? 0), backgroundColor: "#cbd5e1", borderRadius: 3, maxBarThickness: 22 });
    }
    return {
      type: "bar" as const,
      data: {
        labels: rows.map((r) => r.label),
        datasets,
      },
      options: {
        indexAxis: "y" as const,
        plugins: { legend: { position: "bottom" as const } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0, callback: (v: string | number) => formatMoneyCompact(Number(v), cur, lang) } } },
      },
    };
  }, [d, t, cur, lang, oneStore, storeNames, users]);

  return (
    <div data-testid="page-dashboard">
      <PageHeader
        title={t("nav.dashboard")}
        sub={t("dash.subtitle", { date })}
        actions={
          <>
            {me.role !== "store_manager" && (
              <select value={store ?? ""} onChange={(e) => setStore(e.currentTarget.value || null)} aria-label={t("common.store")}>
                <option value="">{t("common.all_stores")}</option>
                {stores
                  .filter((s) => s.kind === "store")
                  .map((s) => (
                    <option key={s.code} value={s.code}>
                      {s.code} · {s.name}
                    </option>
                  ))}
              </select>
            )}
            <input type="date" value={date} onChange={(e) => e.currentTarget.value && setDate(e.currentTarget.value)} aria-label={t("common.date")} />
          </>
        }
      />
      <ErrorBanner error={error} />
      <div class="kpis">
        <Kpi
          testid="kpi-today"
          label={t("dash.sales_today")}
          value={money(today.net, cur)}
          sub={
            change === null ? (
              t("dash.no_last_week")
            ) : (
              <span class={change >= 0 ? "up" : "down"}>
                {change >= 0 ? "▲" : "▼"} {formatPercent(Math.abs(change), lang)} {t("dash.vs_last_week")}
              </span>
            )
          }
        />
        <Kpi
          testid="kpi-count"
          label={t("dash.transactions")}
          value={num(today.sales)}
          sub={today.returns ? t("dash.returns_value", { n: num(today.returns), v: money(-today.refunds, cur) }) : t("dash.last_week_value", { v: num(lastWeek.sales) })}
        />
        <Kpi
          label={t("dash.avg_basket")}
          value={today.sales ? money(Math.round(today.gross / today.sales), cur) : "—"}
          sub={lastWeek.sales ? t("dash.last_week_value", { v: money(Math.round(lastWeek.gross / lastWeek.sales), cur) }) : undefined}
        />
        <Kpi label={t("dash.live_events")} value={num(state.events)} sub={t("dash.since_open")} />
      </div>
      <div class="grid grid-2-1">
        <Card title={t("dash.by_hour")}>
          <ChartView config={hourChart} testid="chart-by-hour" />
        </Card>
        <Card title={t("dash.live_feed")} testid="live-feed-card">
          <ul class="feed" data-testid="live-feed">
            {state.feed.length === 0 && <li class="muted">{t("dash.feed_empty")}</li>}
            {state.feed.map((f) => (
              <li key={`${f.kind}-${f.receipt}-${f.at_ms}`} class={`feed-item feed-${f.kind}`} data-testid="feed-item">
                <span class="feed-time">{formatTime(f.at_ms, lang)}</span>
                <span class="feed-main">
                  <strong>{f.store}</strong> <span class="mono">{f.receipt}</span>
                  {f.cashier && <span class="muted"> · {f.cashier}</span>}
                </span>
                <span class={`feed-amount ${f.amount < 0 ? "down" : ""}`}>{money(f.amount, f.currency)}</span>
              </li>
            ))}
          </ul>
        </Card>
      </div>
      <div class="grid grid-2">
        <Card title={oneStore ? t("dash.by_cashier_chart") : t("dash.by_store")}>
          <ChartView config={storeChart} height={300} testid="chart-by-store" />
        </Card>
        <Card title={t("dash.top_products")}>
          <DataTable
            testid="top-products"
            rows={d?.top_products ?? []}
            rowKey={(r) => r.sku}
            columns={[
              { key: "rank", label: "#", render: (_r, i) => i + 1, width: "2rem" },
              { key: "sku", label: t("common.product"), render: (r) => <ProductCell sku={r.sku} name={r.name} /> },
              { key: "qty", label: t("common.qty"), align: "right", render: (r) => num(r.qty) },
              { key: "amount", label: t("common.amount"), align: "right", render: (r) => money(r.revenue, cur) },
            ]}
          />
        </Card>
      </div>
      <Card title={t("dash.by_cashier")}>
        <DataTable
          testid="by-cashier"
          rows={[...(d?.by_cashier ?? [])].sort((a, b) => b.revenue - a.revenue)}
          rowKey={(r) => `${r.store}-${r.cashier}`}
          columns={[
            {
              key: "cashier",
              label: t("common.cashier"),
              render: (r) => (
                <span class="product-cell">
                  <span>{cashierName(r.cashier)}</span>
                  {users.has(r.cashier) && <span class="mono muted small">{r.cashier}</span>}
                </span>
              ),
            },
            { key: "store", label: t("common.store"), render: (r) => storeNames.get(r.store) ?? r.store },
            { key: "count", label: t("dash.transactions"), align: "right", render: (r) => num(r.sales) },
            { key: "items", label: t("sales.items"), align: "right", render: (r) => num(r.items) },
            { key: "amount", label: t("common.amount"), align: "right", render: (r) => money(r.revenue, cur) },
          ]}
        />
      </Card>
    </div>
  );
}

export function ProductCell({ sku, name }: { sku: string; name?: string | null }) {
  return (
    <span class="product-cell">
      <span>{name ?? sku}</span>
      {name && <span class="mono muted small">{sku}</span>}
    </span>
  );
}

/**
 * User name → shown name, for the roles that may list accounts (HQ admin, a
 * store manager for their store); empty for the others, who see user names.
 */
function useUserNames(role: Role): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    if (role !== "hq_admin" && role !== "store_manager") return;
    const ctl = new AbortController();
    api.get<User[]>("/users", undefined, ctl.signal).then(
      (all) => setNames(new Map(all.map((u) => [u.username, u.display_name]))),
      () => undefined,
    );
    return () => ctl.abort();
  }, [role]);
  return names;
}
