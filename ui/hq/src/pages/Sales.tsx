// Sales: the list with store and date filters, server paging, a sale's
// lines and tenders, and the CSV export of the same filters.

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { SaleJson as Sale } from "../api/types/SaleJson";
import type { SalesReport } from "../api/types/SalesReport";
import type { Store } from "../api/types/Store";
import { Card, DataTable, ErrorBanner, Kpi, Modal, PageHeader, Pager, useAsync, useMoney, useCode, useNum, useSession } from "../components/ui";
import { browserOffset, dateInOffset, formatDateTime, tzParam } from "../format";
import { setQuery, useRoute } from "../router";

const PAGE = 50;

/** `YYYY-MM-DD` (viewer's day) → RFC 3339 start of that day with the viewer's offset. */
export function dayStart(date: string, offsetMin: number): string {
  return `${date}T00:00:00${tzParam(offsetMin)}`;
}

export function SalesPage() {
  const { me, t, lang } = useSession();
  const code = useCode();
  const money = useMoney();
  const num = useNum();
  const { query } = useRoute();
  const offsetMin = browserOffset();
  const today = dateInOffset(Date.now(), offsetMin);
  const ownStore = me.role === "store_manager" ? me.store : null;
  const store = ownStore ?? query.get("store") ?? "";
  const from = query.get("from") ?? today;
  const to = query.get("to") ?? today;
  const offset = Number(query.get("offset") ?? 0) || 0;
  const [open, setOpen] = useState<Sale | null>(null);
  const stores = useAsync((signal) => (ownStore ? Promise.resolve([] as Store[]) : api.get<Store[]>("/stores", undefined, signal)), [ownStore]);
  const toNext = new Date(`${to}T00:00:00Z`);
  toNext.setUTCDate(toNext.getUTCDate() + 1);
  const filters = { store, from: dayStart(from, offsetMin), to: dayStart(toNext.toISOString().slice(0, 10), offsetMin) };
  const report = useAsync((signal) => api.get<SalesReport>("/sales", { ...filters, limit: PAGE, offset }, signal), [store, from, to, offset]);
  const r = report.data;
  return (
    <div data-testid="page-sales">
      <PageHeader
        title={t("nav.sales")}
        sub={ownStore ? t("common.store_only", { store: ownStore }) : undefined}
        actions={
          <a class="btn" href={api.url("/sales/export.csv", filters)} download={`sales-${from}-${to}.csv`} data-testid="sales-export">
            {t("common.export_csv")}
          </a>
        }
      />
      <div class="filters filters-bar">
        {!ownStore && (
          <select value={store} onChange={(e) => setQuery({ store: e.currentTarget.value, offset: null })} aria-label={t("common.store")}>
            <option value="">{t("common.all_stores")}</option>
            {(stores.data ?? []).filter((s) => s.kind === "store").map((s) => (
              <option key={s.code} value={s.code}>
                {s.code} · {s.name}
              </option>
            ))}
          </select>
        )}
        <label class="inline">
          {t("common.from")} <input type="date" value={from} onChange={(e) => setQuery({ from: e.currentTarget.value, offset: null })} />
        </label>
        <label class="inline">
          {t("common.to")} <input type="date" value={to} onChange={(e) => setQuery({ to: e.currentTarget.value, offset: null })} />
        </label>
      </div>
      <ErrorBanner error={report.error} />
      <div class="kpis">
        <Kpi label={t("sales.count")} value={r ? num(r.count) : "—"} />
        <Kpi label={t("sales.total")} value={r ? money(r.total_amount) : "—"} />
        <Kpi label={t("sales.returns")} value={r ? num(r.returns_count) : "—"} sub={r ? money(-r.returns_amount) : undefined} />
        <Kpi label={t("sales.net")} value={r ? money(r.total_amount - r.returns_amount) : "—"} />
      </div>
      <Card>
        <DataTable
          testid="sales"
          rows={r?.sales}
          loading={report.loading}
          rowKey={(s) => s.id}
          onRow={setOpen}
          columns={[
            { key: "at", label: t("common.time"), render: (s) => formatDateTime(s.sold_at_ms, lang) },
            { key: "receipt", label: t("sales.receipt"), render: (s) => <span class="mono">{s.receipt}</span> },
            { key: "store", label: t("common.store"), render: (s) => s.store },
            { key: "till", label: t("sales.till"), render: (s) => `#${s.till_no}` },
            { key: "cashier", label: t("common.cashier"), render: (s) => s.cashier ?? "—" },
            { key: "items", label: t("sales.items"), align: "right", render: (s) => num(s.lines.reduce((a, l) => a + l.qty, 0)) },
            { key: "tender", label: t("sales.tenders"), render: (s) => s.tenders.map((x) => code("tender", x.kind)).join(" + ") },
            { key: "total", label: t("common.amount"), align: "right", render: (s) => <strong>{money(s.total, s.currency)}</strong> },
          ]}
        />
        {r && <Pager offset={offset} limit={PAGE} total={r.count} onChange={(o) => setQuery({ offset: o })} />}
      </Card>
      {open && (
        <Modal title={t("sales.receipt_title", { receipt: open.receipt })} onClose={() => setOpen(null)} wide>
          <p class="muted">
            {open.store} · {t("sales.till")} #{open.till_no} · {formatDateTime(open.sold_at_ms, lang)}
            {open.cashier ? ` · ${open.cashier}` : ""}
          </p>
          <DataTable
            rows={open.lines}
            rowKey={(l, i) => `${l.sku}-${i}`}
            columns={[
              { key: "sku", label: t("common.product"), render: (l) => <span>{l.name} <span class="mono muted small">{l.sku}</span></span> },
              { key: "qty", label: t("common.qty"), align: "right", render: (l) => num(l.qty) },
              { key: "unit", label: t("sales.unit_price"), align: "right", render: (l) => money(l.unit_price, open.currency) },
              { key: "disc", label: t("sales.discount"), align: "right", render: (l) => (l.discount ? money(-l.discount, open.currency) : "") },
              { key: "total", label: t("common.amount"), align: "right", render: (l) => money(l.line_total, open.currency) },
            ]}
          />
          <div class="receipt-foot">
            {open.tenders.map((x, i) => (
              <div key={i}>
                {code("tender", x.kind)}: {money(x.amount, open.currency)}
              </div>
            ))}
            {open.change_given > 0 && <div>{t("sales.change", { v: money(open.change_given, open.currency) })}</div>}
            <div class="strong">{t("common.total")}: {money(open.total, open.currency)}</div>
          </div>
        </Modal>
      )}
    </div>
  );
}
