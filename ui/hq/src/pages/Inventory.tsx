// Inventory: chain summary, the stores × SKUs matrix (filters and paging on
// the server), low/negative alerts, a SKU's movement history, and the stock
// adjustment and stocktake forms.

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { AlertPage } from "../api/types/AlertPage";
import type { InventorySummary } from "../api/types/InventorySummary";
import type { LocationInfo } from "../api/types/LocationInfo";
import type { MatrixSku } from "../api/types/MatrixSku";
import type { MovementPage } from "../api/types/MovementPage";
import type { StockMatrix } from "../api/types/StockMatrix";
import type { StockMovement } from "../api/types/StockMovement";
import type { Stocktake } from "../api/types/Stocktake";
import type { StocktakeLine } from "../api/types/StocktakeLine";
import type { Store } from "../api/types/Store";
import { Badge, Card, dynKey, DataTable, ErrorBanner, Field, Kpi, Modal, Notice, PageHeader, Pager, useAsync, useCode, useNum, useSession, useSubmit } from "../components/ui";
import { formatDateTime } from "../format";
import { setQuery, useRoute } from "../router";
import { canEdit } from "../roles";
import { ProductCell } from "./Dashboard";

const SKU_PAGE = 50;
const STORE_PAGE = 12;

function storeCode(s: LocationInfo): string {
  return s.code;
}
function skuOf(s: MatrixSku): MatrixSku {
  return s;
}

export function InventoryPage() {
  const { me, t } = useSession();
  const num = useNum();
  const { query } = useRoute();
  const ownStore = me.role === "store_manager" ? me.store : null;
  const q = query.get("q") ?? "";
  const only = query.get("only") ?? "";
  const category = query.get("category") ?? "";
  const skuOffset = Number(query.get("sku_offset") ?? 0) || 0;
  const storeOffset = Number(query.get("store_offset") ?? 0) || 0;
  const historySku = query.get("sku");
  const [search, setSearch] = useState(q);
  const [modal, setModal] = useState<"adjust" | "stocktake" | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const summary = useAsync((signal) => api.get<InventorySummary>("/inventory/summary", { store: ownStore }, signal), [ownStore]);
  const matrix = useAsync(
    (signal) =>
      api.get<StockMatrix>(
        "/inventory/matrix",
        {
          stores: ownStore,
          kind: ownStore ? null : "store",
          q,
          only,
          category,
          sku_offset: skuOffset,
          sku_limit: SKU_PAGE,
          store_offset: storeOffset,
          store_limit: STORE_PAGE,
        },
        signal,
      ),
    [q, only, category, skuOffset, storeOffset, ownStore],
  );
  const alerts = useAsync((signal) => api.get<AlertPage>("/inventory/alerts", { store: ownStore, limit: 20 }, signal), [ownStore]);
  const s = summary.data;
  const m = matrix.data;
  /** After an adjustment or stocktake: close the form, say what happened, refetch. */
  const afterChange = (msg: string) => {
    setModal(null);
    setNotice(msg);
    summary.reload();
    matrix.reload();
  };

  return (
    <div data-testid="page-inventory">
      <PageHeader
        title={t("nav.inventory")}
        sub={ownStore ? t("common.store_only", { store: ownStore }) : t("inv.subtitle")}
        actions={
          canEdit(me.role, "stock") && (
            <>
              <button type="button" class="btn" data-testid="open-adjust" onClick={() => setModal("adjust")}>
                {t("inv.adjust")}
              </button>
              <button type="button" class="btn" data-testid="open-stocktake" onClick={() => setModal("stocktake")}>
                {t("inv.stocktake")}
              </button>
            </>
          )
        }
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={summary.error} />
      <div class="kpis">
        <Kpi testid="kpi-chain" label={t("inv.chain_total")} value={s ? num(s.chain_total) : "—"} sub={s ? t("inv.skus", { n: num(s.skus) }) : undefined} />
        <Kpi label={t("inv.in_stores")} value={s ? num(s.stores_total) : "—"} />
        <Kpi label={t("inv.in_warehouses")} value={s ? num(s.warehouses_total) : "—"} />
        <Kpi label={t("inv.low")} value={s ? num(s.low_count) : "—"} tone={s && s.low_count > 0 ? "warn" : undefined} />
        <Kpi label={t("inv.negative")} value={s ? num(s.negative_count) : "—"} tone={s && s.negative_count > 0 ? "bad" : undefined} />
      </div>
      <Card
        title={t("inv.matrix")}
        actions={
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              setQuery({ q: search, sku_offset: null });
            }}
          >
            <input type="search" placeholder={t("inv.search_sku")} value={search} onInput={(e) => setSearch(e.currentTarget.value)} data-testid="matrix-search" />
            <input placeholder={t("common.category")} value={category} onChange={(e) => setQuery({ category: e.currentTarget.value, sku_offset: null })} />
            <select value={only} onChange={(e) => setQuery({ only: e.currentTarget.value, sku_offset: null })} aria-label={t("inv.only")}>
              <option value="">{t("inv.all_levels")}</option>
              <option value="low">{t("inv.low")}</option>
              <option value="negative">{t("inv.negative")}</option>
            </select>
            <button class="btn btn-sm" type="submit">
              {t("common.search")}
            </button>
          </form>
        }
      >
        <ErrorBanner error={matrix.error} />
        <div class="table-wrap">
          <table class="table matrix" data-testid="matrix">
            <thead>
              <tr>
                <th>{t("common.sku")}</th>
                {(m?.stores ?? []).map((st) => (
                  <th key={storeCode(st)} class="ta-right" title={st.name}>
                    {storeCode(st)}
                  </th>
                ))}
                <th class="ta-right">{t("common.total")}</th>
              </tr>
            </thead>
            <tbody>
              {(m?.skus ?? []).map((raw, i) => {
                const sku = skuOf(raw);
                return (
                  <tr key={sku.sku}>
                    <td>
                      <a
                        href={`/inventory?sku=${encodeURIComponent(sku.sku)}`}
                        onClick={(e) => {
                          e.preventDefault();
                          setQuery({ sku: sku.sku });
                        }}
                      >
                        <span class="mono">{sku.sku}</span>
                      </a>
                      {sku.name && <div class="muted small">{sku.name}</div>}
                    </td>
                    {(m?.qty[i] ?? []).map((qty, j) => (
                      <td key={j} class={`ta-right qty ${qty < 0 ? "qty-neg" : qty <= 3 ? "qty-low" : ""}`}>
                        {num(qty)}
                      </td>
                    ))}
                    <td class="ta-right strong">{num(m?.sku_totals[i] ?? 0)}</td>
                  </tr>
                );
              })}
              {m && m.skus.length === 0 && (
                <tr>
                  <td class="empty" colSpan={(m.stores.length || 0) + 2}>
                    {t("common.empty")}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        {m && (
          <div class="pager-row">
            <Pager offset={skuOffset} limit={SKU_PAGE} total={m.total_skus} onChange={(o) => setQuery({ sku_offset: o })} />
            {m.total_stores > STORE_PAGE && (
              <div class="pager">
                <span class="muted small">{t("inv.stores_range", { from: storeOffset + 1, to: Math.min(storeOffset + STORE_PAGE, m.total_stores), total: m.total_stores })}</span>
                <div class="btn-group">
                  <button type="button" class="btn btn-sm" disabled={storeOffset === 0} onClick={() => setQuery({ store_offset: Math.max(0, storeOffset - STORE_PAGE) })}>
                    ‹ {t("inv.prev_stores")}
                  </button>
                  <button type="button" class="btn btn-sm" disabled={storeOffset + STORE_PAGE >= m.total_stores} onClick={() => setQuery({ store_offset: storeOffset + STORE_PAGE })}>
                    {t("inv.next_stores")} ›
                  </button>
                </div>
              </div>
            )}
          </div>
        )}
      </Card>
      <div class="grid grid-2-3">
        <Card title={t("inv.alerts")}>
          <ErrorBanner error={alerts.error} />
          <DataTable
            testid="alerts"
            rows={alerts.data?.items ?? []}
            loading={alerts.loading}
            rowKey={(a) => `${a.location}-${a.sku}`}
            empty={t("inv.no_alerts")}
            onRow={(a) => setQuery({ sku: a.sku })}
            columns={[
              { key: "level", label: "", render: (a) => <Badge tone={a.level === "negative" ? "bad" : "warn"}>{t(a.level === "negative" ? "inv.negative" : "inv.low")}</Badge> },
              { key: "loc", label: t("common.location"), render: (a) => a.location },
              { key: "sku", label: t("common.product"), render: (a) => <ProductCell sku={a.sku} name={a.name} /> },
              { key: "qty", label: t("common.qty"), align: "right", render: (a) => <span class={a.qty < 0 ? "bad-text strong" : ""}>{num(a.qty)}</span> },
            ]}
          />
        </Card>
        <SkuHistory sku={historySku} store={ownStore} />
      </div>
      {modal === "adjust" && (
        <AdjustForm
          ownStore={ownStore}
          onClose={() => setModal(null)}
          onDone={afterChange}
        />
      )}
      {modal === "stocktake" && (
        <StocktakeForm
          ownStore={ownStore}
          onClose={() => setModal(null)}
          onDone={afterChange}
        />
      )}
    </div>
  );
}

function SkuHistory({ sku, store }: { sku: string | null; store: string | null }) {
  const { t, lang } = useSession();
  const code = useCode();
  const num = useNum();
  const [input, setInput] = useState(sku ?? "");
  const moves = useAsync(
    (signal) => (sku ? api.get<MovementPage>("/stock/movements", { sku, location: store, limit: 50 }, signal) : Promise.resolve(null)),
    [sku, store],
  );
  const rows: StockMovement[] = moves.data?.items ?? [];
  return (
    <Card
      title={sku ? t("inv.history_of", { sku }) : t("inv.history")}
      actions={
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery({ sku: input.trim() || null });
          }}
        >
          <input placeholder={t("common.sku")} value={input} onInput={(e) => setInput(e.currentTarget.value)} data-testid="history-sku" />
          <button class="btn btn-sm" type="submit">
            {t("common.show")}
          </button>
        </form>
      }
    >
      <ErrorBanner error={moves.error} />
      <DataTable
        testid="movements"
        rows={rows}
        loading={moves.loading && !!sku}
        empty={sku ? t("common.empty") : t("inv.pick_sku")}
        rowKey={(r, i) => `${r.at_ms}-${i}`}
        columns={[
          { key: "at", label: t("common.time"), render: (r) => <span class="nowrap">{formatDateTime(r.at_ms, lang)}</span> },
          { key: "loc", label: t("common.location"), render: (r) => r.location },
          { key: "delta", label: t("inv.delta"), align: "right", render: (r) => <span class={r.delta < 0 ? "down" : "up"}>{r.delta > 0 ? `+${num(r.delta)}` : num(r.delta)}</span> },
          { key: "reason", label: t("inv.reason"), render: (r) => code("reason", r.reason) },
          { key: "by", label: t("inv.by"), render: (r) => <span class="nowrap">{r.actor_label || r.actor || "—"}</span> },
          { key: "ref", label: t("inv.reference"), render: (r) => <span class="mono small ellipsis" title={r.reference ?? ""}>{r.reference ?? ""}</span> },
        ]}
      />
    </Card>
  );
}

function useLocations() {
  return useAsync((signal) => api.get<Store[]>("/stores", undefined, signal), []);
}

function AdjustForm({ ownStore, onClose, onDone }: { ownStore: string | null; onClose: () => void; onDone: (msg: string) => void }) {
  const { t } = useSession();
  const locations = useLocations();
  const [location, setLocation] = useState(ownStore ?? "");
  const [sku, setSku] = useState("");
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState("receipt");
  const [note, setNote] = useState("");
  const submit = useSubmit(async () => {
    await api.post("/stock/adjustments", { location, sku: sku.trim(), delta: Number(delta), reason, note: note || undefined });
    onDone(t("inv.adjusted", { sku: sku.trim(), delta, location }));
  });
  return (
    <Modal title={t("inv.adjust")} onClose={onClose}>
      <form
        class="form"
        data-testid="adjust-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <Field label={t("common.location")}>
          <select name="location" required value={location} disabled={!!ownStore} onChange={(e) => setLocation(e.currentTarget.value)}>
            <option value="">—</option>
            {(locations.data ?? []).map((l) => (
              <option key={l.code} value={l.code}>
                {l.code} · {l.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("common.sku")}>
          <input name="sku" required value={sku} onInput={(e) => setSku(e.currentTarget.value)} />
        </Field>
        <Field label={t("inv.delta")} hint={t("inv.delta_hint")}>
          <input name="delta" type="number" step="1" required value={delta} onInput={(e) => setDelta(e.currentTarget.value)} />
        </Field>
        <Field label={t("inv.reason")}>
          <select name="reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
            {["receipt", "adjustment"].map((r) => (
              <option key={r} value={r}>
                {t(dynKey(`reason.${r}`))}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("common.note")}>
          <input name="note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </Field>
        <ErrorBanner error={submit.error} />
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" class="btn btn-primary" disabled={submit.busy} data-testid="adjust-submit">
            {t("common.save")}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** `SKU,counted` lines (or `SKU counted`) → counts; the line numbers of bad lines. */
export function parseCounts(text: string): { counts: { sku: string; counted: number }[]; bad: number[] } {
  const counts: { sku: string; counted: number }[] = [];
  const bad: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith("#") || /^sku\b/i.test(l)) return;
    const m = /^([^,\s;\t]+)[,\s;\t]+(-?\d+)$/.exec(l);
    if (!m || !m[1] || !m[2] || Number(m[2]) < 0) bad.push(i + 1);
    else counts.push({ sku: m[1], counted: Number(m[2]) });
  });
  return { counts, bad };
}

function StocktakeForm({ ownStore, onClose, onDone }: { ownStore: string | null; onClose: () => void; onDone: (msg: string) => void }) {
  const { t } = useSession();
  const num = useNum();
  const locations = useLocations();
  const [location, setLocation] = useState(ownStore ?? "");
  const [text, setText] = useState("");
  const [note, setNote] = useState("");
  const [result, setResult] = useState<StocktakeLine[] | null>(null);
  const parsed = parseCounts(text);
  const submit = useSubmit(async () => {
    if (parsed.bad.length) throw new Error(t("inv.bad_lines", { lines: parsed.bad.join(", ") }));
    const r = await api.post<Stocktake>("/stocktakes", { location, counts: parsed.counts, note: note || null });
    setResult(r.lines);
  });
  return (
    <Modal title={t("inv.stocktake")} onClose={result ? () => onDone(t("inv.stocktake_done", { n: result.length })) : onClose} wide>
      {result ? (
        <>
          <DataTable
            rows={result}
            rowKey={(r) => r.sku}
            columns={[
              { key: "sku", label: t("common.sku"), render: (r) => <span class="mono">{r.sku}</span> },
              { key: "before", label: t("inv.before"), align: "right", render: (r) => num(r.before) },
              { key: "counted", label: t("inv.counted"), align: "right", render: (r) => num(r.counted) },
              { key: "delta", label: t("inv.delta"), align: "right", render: (r) => <span class={r.delta < 0 ? "down" : "up"}>{num(r.delta)}</span> },
            ]}
          />
          <div class="form-actions">
            <button type="button" class="btn btn-primary" onClick={() => onDone(t("inv.stocktake_done", { n: result.length }))}>
              {t("common.close")}
            </button>
          </div>
        </>
      ) : (
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            void submit.run();
          }}
        >
          <Field label={t("common.location")}>
            <select required value={location} disabled={!!ownStore} onChange={(e) => setLocation(e.currentTarget.value)}>
              <option value="">—</option>
              {(locations.data ?? []).map((l) => (
                <option key={l.code} value={l.code}>
                  {l.code} · {l.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t("inv.counts")} hint={t("inv.counts_hint")}>
            <textarea rows={8} class="mono" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder={"TSH-001-BLK-M,12\nJNS-006-IND-30,4"} />
          </Field>
          <div class="muted small">{t("inv.lines_ready", { n: parsed.counts.length })}</div>
          <Field label={t("common.note")}>
            <input value={note} onInput={(e) => setNote(e.currentTarget.value)} />
          </Field>
          <ErrorBanner error={submit.error} />
          <div class="form-actions">
            <button type="button" class="btn" onClick={onClose}>
              {t("common.cancel")}
            </button>
            <button type="submit" class="btn btn-primary" disabled={submit.busy || parsed.counts.length === 0}>
              {t("inv.record_stocktake")}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
