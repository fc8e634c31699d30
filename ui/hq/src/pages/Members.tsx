// Members: sign-ups per day, repeat rate, purchases by age band × category
// (the target-marketing view), and the searchable member list.

import { useMemo, useState } from "preact/hooks";

import { api } from "../api/client";
import type { MemberAnalytics } from "../api/types/MemberAnalytics";
import type { MemberPage } from "../api/types/MemberPage";
import { ChartView, PALETTE } from "../components/chart";
import { Badge, Card, DataTable, ErrorBanner, Kpi, PageHeader, Pager, useAsync, useMoney, useNum, useSession, useStoreNames } from "../components/ui";
import { browserOffset, dateInOffset, daysBetween, formatDateTime, formatMoneyCompact, formatPercent, formatPhone } from "../format";
import { setQuery, useRoute } from "../router";

const PAGE = 50;

/** `10s` → 10, `unknown` last. */
function bandOrder(band: string): number {
  const n = parseInt(band, 10);
  return Number.isNaN(n) ? 1000 : n;
}

export function MembersPage() {
  const { me, t, lang, currency } = useSession();
  const money = useMoney();
  const num = useNum();
  const { query } = useRoute();
  const ownStore = me.role === "store_manager" ? me.store : null;
  const q = query.get("q") ?? "";
  const offset = Number(query.get("offset") ?? 0) || 0;
  const [search, setSearch] = useState(q);
  const to = dateInOffset(Date.now(), browserOffset());
  const fromDate = new Date(`${to}T00:00:00Z`);
  fromDate.setUTCDate(fromDate.getUTCDate() - 29);
  const from = fromDate.toISOString().slice(0, 10);
  const analytics = useAsync((signal) => api.get<MemberAnalytics>("/members/analytics", { from, to, store: ownStore }, signal), [from, to, ownStore]);
  const list = useAsync((signal) => api.get<MemberPage>("/members", { q, store: ownStore, limit: PAGE, offset }, signal), [q, offset, ownStore]);
  const a = analytics.data;
  const stores = useStoreNames();

  // The hub leaves out days without sign-ups: draw every day of the period.
  const signups = useMemo(() => {
    const days = a ? daysBetween(a.from, a.to) : [];
    const byDay = new Map((a?.signups ?? []).map((d) => [d.date, d.count]));
    return {
      type: "bar" as const,
      data: {
        labels: days.map((d) => d.slice(5).replace("-", "/")),
        datasets: [
          {
            label: t("mem.signups"),
            data: days.map((d) => byDay.get(d) ?? 0),
            backgroundColor: PALETTE[0],
            borderRadius: 2,
          },
        ],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } } },
      },
    };
  }, [a, t]);

  const ageBands = useMemo(() => {
    const rows = a?.age_bands ?? [];
    const bands = [...new Set(rows.map((r) => r.band))].sort((x, y) => bandOrder(x) - bandOrder(y));
    const cats = [...new Set(rows.map((r) => r.category))];
    return {
      type: "bar" as const,
      data: {
        labels: bands.map((b) => (/^\d+s$/.test(b) ? t("mem.band", { n: b.slice(0, -1) }) : t("mem.band_unknown"))),
        datasets: cats.map((c, i) => ({
          label: c || t("mem.no_category"),
          data: bands.map((b) => rows.find((r) => r.band === b && r.category === c)?.revenue ?? 0),
          backgroundColor: PALETTE[i % PALETTE.length],
        })),
      },
      options: {
        plugins: { legend: { position: "bottom" as const } },
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: (v: string | number) => formatMoneyCompact(Number(v), currency, lang) } } },
      },
    };
  }, [a, currency, lang, t]);

  return (
    <div data-testid="page-members">
      <PageHeader title={t("nav.members")} sub={t("mem.subtitle", { from, to })} />
      <ErrorBanner error={analytics.error} />
      <div class="kpis">
        <Kpi label={t("mem.total")} value={a ? num(a.members_total) : "—"} />
        <Kpi
          label={t("mem.repeat_rate")}
          value={a ? formatPercent(a.repeat_rate, lang) : "—"}
          sub={a ? t("mem.repeat_of", { repeat: num(a.repeat_purchasers), buyers: num(a.purchasers) }) : t("mem.repeat_hint")}
        />
        <Kpi label={t("mem.signups_30d")} value={a ? num(a.signups.reduce((s, d) => s + d.count, 0)) : "—"} />
      </div>
      <div class="grid grid-2">
        <Card title={t("mem.signups")}>
          <ChartView config={signups} />
        </Card>
        <Card title={t("mem.by_age")}>
          <ChartView config={ageBands} />
        </Card>
      </div>
      <Card
        title={t("mem.list")}
        actions={
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              setQuery({ q: search, offset: null });
            }}
          >
            <input type="search" placeholder={t("mem.search")} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          </form>
        }
      >
        <ErrorBanner error={list.error} />
        <DataTable
          testid="members"
          rows={list.data?.items}
          loading={list.loading}
          rowKey={(m) => m.id}
          columns={[
            { key: "name", label: t("common.name"), render: (m) => m.name ?? "—" },
            { key: "phone", label: t("mem.phone"), render: (m) => <span class="mono nowrap">{m.phone ? formatPhone(m.phone) : "—"}</span> },
            { key: "birth", label: t("mem.birth_year"), render: (m) => m.birth_year ?? "—" },
            { key: "store", label: t("common.store"), render: (m) => (m.home_store ? <span title={stores.get(m.home_store)}>{m.home_store}</span> : "—") },
            { key: "joined", label: t("mem.joined"), render: (m) => (m.signed_up_at_ms ? formatDateTime(m.signed_up_at_ms, lang) : "—") },
            { key: "purchases", label: t("mem.purchases"), align: "right", render: (m) => num(m.purchases) },
            { key: "spent", label: t("mem.spent"), align: "right", render: (m) => money(m.spent) },
            { key: "last", label: t("mem.last_purchase"), render: (m) => (m.last_purchase_ms ? formatDateTime(m.last_purchase_ms, lang) : "—") },
            { key: "consent", label: t("mem.consent"), render: (m) => (m.marketing_consent ? <Badge tone="good">{t("common.yes")}</Badge> : <Badge tone="muted">{t("common.no")}</Badge>) },
          ]}
        />
        {list.data && <Pager offset={offset} limit={PAGE} total={list.data.total} onChange={(o) => setQuery({ offset: o })} />}
      </Card>
    </div>
  );
}
