// Drops: limited editions and first-come coupons (issue 7). The list of
// drops with their live "left / total"; a New-drop form (a SKU or a coupon,
// the total, how it is split over the stores — with a per-store grid whose
// running sum must equal the total — hold minutes, start and end); and the
// open drop's detail: a big live "left / total", sold, held, the hub's pool
// and the per-store table, with Pull back and End behind a confirmation.
// Counts move live from `drop` messages of the events socket; the per-store
// table is fetched again shortly after a message about the open drop.

import { useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";

import type { Product } from "../api/types/Product";
import type { ProductPage } from "../api/types/ProductPage";
import type { Store } from "../api/types/Store";
import { api } from "../api/client";
import {
  Badge,
  Card,
  DataTable,
  ErrorBanner,
  Field,
  FormFooter,
  Kpi,
  Modal,
  Notice,
  PageHeader,
  dynKey,
  useAsync,
  useMoney,
  useNum,
  useSession,
  useSubmit,
} from "../components/ui";
import { createdKey, dropsApi } from "../drops/api";
import {
  type DropForm,
  type DropFormError,
  type DropField,
  dropOfEvent,
  dropPhase,
  emptyDropForm,
  gridStores,
  initialDrops,
  leftShare,
  manualSum,
  parseCount,
  reduceDrops,
  tillsOnline,
  touchesDetail,
  validateDropForm,
} from "../drops/logic";
import type { DropDetail, DropSummary } from "../drops/types";
import { formatDateTime } from "../format";
import { live } from "../live/socket";
import { setQuery, useRoute } from "../router";

/** Wait this long after a burst of events before reading the detail again. */
const SETTLE_MS = 150;

type Confirming = { what: "pull_back"; stores: string[] | null } | { what: "end" };

export function DropsPage() {
  const { t, me } = useSession();
  const route = useRoute();
  const chosen = route.query.get("drop");
  const [state, dispatch] = useReducer(reduceDrops, undefined, initialDrops);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const stores = useAsync((signal) => api.get<Store[]>("/stores", undefined, signal), []);
  const chosenRef = useRef(chosen);
  chosenRef.current = chosen;
  const stateRef = useRef(state);
  stateRef.current = state;
  const mayEdit = me.role === "hq_admin" || me.role === "hq_staff";

  const loadList = () =>
    dropsApi.list().then(
      (list) => {
        dispatch({ type: "list", list });
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  const loadDetail = (key: string | null) => {
    if (!key) {
      dispatch({ type: "detail", detail: null });
      return;
    }
    dropsApi.detail(key).then(
      (d) => chosenRef.current === key && dispatch({ type: "detail", detail: d }),
      (e: unknown) => setError(e),
    );
  };

  useEffect(() => {
    void loadList();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refreshDetail = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        loadDetail(chosenRef.current);
      }, SETTLE_MS);
    };
    const off = live.subscribe((e) => {
      const msg = e as { type: string };
      const again = touchesDetail(stateRef.current, msg);
      if (msg.type === "lagged") {
        dispatch({ type: "lagged" });
        void loadList();
      } else {
        const s = dropOfEvent(msg);
        if (!s) return;
        dispatch({ type: "drop", ...s });
      }
      if (again) refreshDetail();
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, []);

  useEffect(() => loadDetail(chosen), [chosen]);

  const shops = (stores.data ?? []).filter((s) => s.kind === "store");

  return (
    <div data-testid="page-drops">
      <PageHeader
        title={t("nav.drops")}
        sub={t("drops.subtitle")}
        actions={
          mayEdit && (
            <button type="button" class="btn btn-primary" data-testid="new-drop" onClick={() => setCreating(true)}>
              {t("drops.new")}
            </button>
          )
        }
      />
      {notice && <Notice>{notice}</Notice>}
      {state.stale && <Notice kind="warn">{t("drops.stale")}</Notice>}
      <ErrorBanner error={error ?? stores.error} onClose={() => setError(null)} />
      <DropList list={state.list} onOpen={(key) => setQuery({ drop: key })} />
      {state.detail && chosen === state.detail.summary.key && (
        <DropDetailCard
          detail={state.detail}
          mayEdit={mayEdit}
          onDone={(msg) => {
            setNotice(msg);
            loadDetail(chosenRef.current);
          }}
          onClose={() => setQuery({ drop: null })}
        />
      )}
      {creating && stores.data && (
        <NewDropForm
          stores={shops}
          onClose={() => setCreating(false)}
          onCreated={(key, label) => {
            setCreating(false);
            setNotice(t("drops.created", { label }));
            void loadList();
            if (key) setQuery({ drop: key });
          }}
        />
      )}
    </div>
  );
}

function PhaseBadge({ d }: { d: DropSummary }) {
  const { t } = useSession();
  const phase = dropPhase(d, Date.now());
  const tone = phase === "on" ? "good" : phase === "scheduled" ? "info" : phase === "sold_out" ? "warn" : "muted";
  return (
    <Badge tone={tone} testid="drop-phase">
      {t(dynKey(`drops.phase.${phase}`))}
    </Badge>
  );
}

function DropList({ list, onOpen }: { list: DropSummary[] | null; onOpen: (key: string) => void }) {
  const { t, lang } = useSession();
  const num = useNum();
  return (
    <Card>
      <DataTable
        testid="drops"
        rows={list}
        loading={list === null}
        rowKey={(d) => d.key}
        empty={t("drops.none")}
        onRow={(d) => onOpen(d.key)}
        columns={[
          {
            key: "label",
            label: t("drops.label"),
            render: (d) => (
              <span data-testid={`drop-${d.key}`}>
                <strong>{d.label}</strong>{" "}
                <span class="muted mono small">{d.kind === "sku" ? d.sku : d.code}</span>
              </span>
            ),
          },
          { key: "kind", label: t("drops.kind"), render: (d) => <Badge tone="info">{t(dynKey(`drops.kind.${d.kind}`))}</Badge> },
          {
            key: "left",
            label: t("drops.left_total"),
            align: "right",
            render: (d) => (
              <span class="mono" data-testid="drop-row-left" data-left={d.left} data-total={d.total}>
                {num(d.left)} / {num(d.total)}
              </span>
            ),
          },
          { key: "sold", label: t("drops.sold"), align: "right", render: (d) => <span data-testid="drop-row-sold">{num(d.sold)}</span> },
          { key: "held", label: t("drops.held"), align: "right", render: (d) => num(d.held) },
          { key: "pool", label: t("drops.pool"), align: "right", render: (d) => num(d.pool) },
          { key: "rule", label: t("drops.rule"), render: (d) => t(dynKey(`drops.rule.${d.rule}`)) },
          {
            key: "window",
            label: t("drops.window"),
            render: (d) => <span class="small">{windowText(d, lang, t("drops.open_ended"))}</span>,
          },
          { key: "phase", label: t("drops.status"), render: (d) => <PhaseBadge d={d} /> },
        ]}
      />
    </Card>
  );
}

function windowText(d: DropSummary, lang: "en" | "ko", open: string): string {
  const from = d.starts_at_ms != null ? formatDateTime(d.starts_at_ms, lang) : "";
  const to = d.ends_at_ms != null ? formatDateTime(d.ends_at_ms, lang) : "";
  if (!from && !to) return open;
  return `${from || "…"} – ${to || "…"}`;
}

function DropDetailCard({
  detail,
  mayEdit,
  onDone,
  onClose,
}: {
  detail: DropDetail;
  mayEdit: boolean;
  onDone: (message: string) => void;
  onClose: () => void;
}) {
  const { t, lang } = useSession();
  const num = useNum();
  const d = detail.summary;
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const act = useSubmit(async (c: Confirming) => {
    if (c.what === "end") {
      await dropsApi.end(d.key);
      onDone(t("drops.ended", { label: d.label }));
    } else {
      await dropsApi.pullBack(d.key, c.stores ? { stores: c.stores } : {});
      onDone(t("drops.pulled_back", { label: d.label }));
    }
    setConfirming(null);
  });
  const share = leftShare(d);

  return (
    <Card
      testid="drop-detail"
      title={
        <span>
          {d.label} <span class="muted mono small">{d.kind === "sku" ? d.sku : d.code}</span> <PhaseBadge d={d} />
        </span>
      }
      actions={
        <>
          {mayEdit && d.active && (
            <>
              <button
                type="button"
                class="btn btn-warn btn-sm"
                data-testid="drop-pull-back"
                onClick={() => setConfirming({ what: "pull_back", stores: null })}
              >
                {t("drops.pull_back")}
              </button>
              <button type="button" class="btn btn-danger btn-sm" data-testid="drop-end" onClick={() => setConfirming({ what: "end" })}>
                {t("drops.end")}
              </button>
            </>
          )}
          <button type="button" class="icon-btn" aria-label={t("common.close")} onClick={onClose}>
            ×
          </button>
        </>
      }
    >
      <ErrorBanner error={act.error} onClose={() => act.setError(null)} />
      <div class="drop-big" data-testid="drop-left" data-left={d.left} data-total={d.total}>
        <div class="drop-big-num">
          <span data-testid="drop-left-value">{num(d.left)}</span>
          <span class="drop-big-of"> / {num(d.total)}</span>
        </div>
        <div class="muted">{t("drops.left_of_total")}</div>
        <div class="drop-gauge" aria-hidden="true">
          <div class="drop-gauge-fill" style={{ width: `${Math.round(share * 100)}%` }} />
        </div>
      </div>
      <div class="kpis">
        <Kpi label={t("drops.sold")} value={num(d.sold)} testid="drop-sold" />
        <Kpi label={t("drops.held")} value={num(d.held)} testid="drop-held" />
        <Kpi label={t("drops.pool")} value={num(d.pool)} testid="drop-pool" sub={t("drops.pool_hint")} />
        <Kpi
          label={t("drops.hold_minutes")}
          value={d.hold_minutes ? t("drops.minutes", { n: d.hold_minutes }) : t("drops.no_holds")}
          sub={windowText(d, lang, t("drops.open_ended"))}
        />
      </div>
      {detail.recalls_open > 0 && (
        <Notice kind="info">
          <span data-testid="drop-recalls-open" data-count={detail.recalls_open}>
            {t("drops.recalls_open", { n: detail.recalls_open })}
          </span>
        </Notice>
      )}
      {detail.duplicate_redemptions.length > 0 && (
        <Notice kind="warn">
          <span data-testid="drop-duplicates">
            {t("drops.duplicates", {
              list: detail.duplicate_redemptions.map((x) => `${x.member} ×${x.count}`).join(", "),
            })}
          </span>
        </Notice>
      )}
      <DataTable
        testid="drop-stores"
        rows={detail.stores}
        rowKey={(s) => s.store}
        empty={t("drops.no_stores")}
        columns={[
          {
            key: "store",
            label: t("common.store"),
            render: (s) => (
              <span data-testid={`drop-store-${s.store}`}>
                <strong class="mono">{s.store}</strong> {s.name}
              </span>
            ),
          },
          { key: "target", label: t("drops.target"), align: "right", render: (s) => num(s.target) },
          { key: "rights", label: t("drops.rights"), align: "right", render: (s) => <span data-testid="drop-store-rights" data-value={s.rights}>{num(s.rights)}</span> },
          { key: "sold", label: t("drops.sold"), align: "right", render: (s) => <span data-testid="drop-store-sold" data-value={s.sold}>{num(s.sold)}</span> },
          { key: "held", label: t("drops.held"), align: "right", render: (s) => num(s.held) },
          { key: "flight", label: t("drops.in_flight"), align: "right", render: (s) => num(s.in_flight) },
          {
            key: "req",
            label: t("drops.requests_open"),
            align: "right",
            render: (s) => (s.requests_open > 0 ? <Badge tone="warn">{num(s.requests_open)}</Badge> : "0"),
          },
          {
            key: "tills",
            label: t("drops.tills_online"),
            align: "right",
            render: (s) => {
              const o = tillsOnline(s.tills);
              return (
                <span data-testid="drop-store-tills" data-online={o.online} data-all={o.all}>
                  {o.online} / {o.all}
                </span>
              );
            },
          },
          {
            key: "act",
            label: "",
            align: "right",
            render: (s) =>
              mayEdit && d.active && s.rights > 0 ? (
                <button
                  type="button"
                  class="btn btn-sm btn-ghost"
                  data-testid={`drop-pull-back-${s.store}`}
                  onClick={(e) => {
                    e.stopPropagation();
                    setConfirming({ what: "pull_back", stores: [s.store] });
                  }}
                >
                  {t("drops.pull_back")}
                </button>
              ) : null,
          },
        ]}
      />
      {confirming && (
        <Modal title={confirming.what === "end" ? t("drops.end") : t("drops.pull_back")} onClose={() => !act.busy && setConfirming(null)}>
          <div data-testid="drop-confirm" class="stack">
            <p>
              {confirming.what === "end"
                ? t("drops.end_confirm", { label: d.label })
                : confirming.stores
                  ? t("drops.pull_back_store_confirm", { label: d.label, stores: confirming.stores.join(", ") })
                  : t("drops.pull_back_confirm", { label: d.label })}
            </p>
            <ErrorBanner error={act.error} />
            <div class="form-actions">
              <button type="button" class="btn" data-testid="drop-confirm-no" onClick={() => setConfirming(null)}>
                {t("common.cancel")}
              </button>
              <button
                type="button"
                class={`btn ${confirming.what === "end" ? "btn-danger" : "btn-primary"}`}
                disabled={act.busy}
                data-testid="drop-confirm-yes"
                onClick={() => void act.run(confirming)}
              >
                {confirming.what === "end" ? t("drops.end") : t("drops.pull_back")}
              </button>
            </div>
          </div>
        </Modal>
      )}
    </Card>
  );
}

function NewDropForm({
  stores,
  onClose,
  onCreated,
}: {
  stores: Store[];
  onClose: () => void;
  onCreated: (key: string | null, label: string) => void;
}) {
  const { t, currency } = useSession();
  const num = useNum();
  const money = useMoney();
  const [f, setF] = useState<DropForm>(emptyDropForm);
  // After the first Save, the messages follow the typing (a fixed field's message goes away).
  const [tried, setTried] = useState(false);
  const [skuQuery, setSkuQuery] = useState("");
  const codes = useMemo(() => stores.map((s) => s.code), [stores]);
  const products = useAsync(
    (signal) =>
      skuQuery.trim().length >= 2
        ? api.get<ProductPage>("/products", { q: skuQuery.trim(), limit: 20 }, signal).then((p) => p.items)
        : Promise.resolve([] as Product[]),
    [skuQuery],
  );
  const set = <K extends keyof DropForm>(k: K, v: DropForm[K]) => setF((old) => ({ ...old, [k]: v }));
  const grid = gridStores(f, codes);
  const total = parseCount(f.total);
  const sum = manualSum(f, grid);
  const sumOk = total !== null && sum === total;
  const checked = validateDropForm(f, codes, currency);
  const shown: DropFormError[] = tried ? checked.errors : [];
  const errOf = (field: DropField) => shown.find((e) => e.field === field);
  const fieldError = (field: DropField) => {
    const e = errOf(field);
    return e ? (
      <span class="field-error" data-testid={`drop-error-${field}`}>
        {t(dynKey(e.key), e.vars)}
      </span>
    ) : null;
  };
  const picked = products.data?.find((p) => p.sku === f.sku.trim());

  const submit = useSubmit(async () => {
    setTried(true);
    const { body } = validateDropForm(f, codes, currency);
    if (!body) return;
    const made = await dropsApi.create(body);
    onCreated(createdKey(made), body.label);
  });

  return (
    <Modal title={t("drops.new")} onClose={onClose} wide>
      <form
        class="form form-grid"
        data-testid="drop-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <div class="span-2 seg" role="radiogroup" aria-label={t("drops.kind")}>
          {(["sku", "coupon"] as const).map((k) => (
            <label key={k} class={`seg-item ${f.kind === k ? "active" : ""}`}>
              <input
                type="radio"
                name="kind"
                value={k}
                checked={f.kind === k}
                data-testid={`drop-kind-${k}`}
                onChange={() => set("kind", k)}
              />
              {t(dynKey(`drops.kind.${k}`))}
            </label>
          ))}
        </div>
        <Field label={t("drops.label")}>
          <input name="label" value={f.label} maxLength={200} onInput={(e) => set("label", e.currentTarget.value)} />
          {fieldError("label")}
        </Field>
        {f.kind === "sku" ? (
          <Field label={t("common.sku")} hint={picked ? `${picked.name ?? ""} · ${picked.current_price != null ? money(picked.current_price) : ""}` : t("drops.sku_hint")}>
            <input
              name="sku"
              list="drop-sku-options"
              autoComplete="off"
              value={f.sku}
              onInput={(e) => {
                set("sku", e.currentTarget.value);
                setSkuQuery(e.currentTarget.value);
              }}
            />
            <datalist id="drop-sku-options">
              {(products.data ?? []).map((p) => (
                <option key={p.sku} value={p.sku}>
                  {p.name ?? ""}
                </option>
              ))}
            </datalist>
            {fieldError("sku")}
          </Field>
        ) : (
          <>
            <Field label={t("drops.code")} hint={t("drops.code_hint")}>
              <input name="code" autoComplete="off" value={f.code} onInput={(e) => set("code", e.currentTarget.value.toUpperCase())} />
              {fieldError("code")}
            </Field>
            <div class="field-pair">
              <Field label={t("drops.discount")}>
                <select name="discount_mode" value={f.discountMode} onChange={(e) => set("discountMode", e.currentTarget.value as DropForm["discountMode"])}>
                  <option value="percent">{t("drops.discount_percent")}</option>
                  <option value="amount">{t("drops.discount_amount")}</option>
                </select>
              </Field>
              <Field label={f.discountMode === "percent" ? "%" : currency}>
                <input name="discount" inputMode="decimal" value={f.discountValue} onInput={(e) => set("discountValue", e.currentTarget.value)} />
              </Field>
            </div>
            {fieldError("discount")}
            <Field label={t("drops.min_spend")} hint={t("drops.min_spend_hint")}>
              <input name="min_spend" inputMode="decimal" value={f.minSpend} onInput={(e) => set("minSpend", e.currentTarget.value)} />
              {fieldError("min_spend")}
            </Field>
          </>
        )}
        <Field label={t("drops.total")} hint={t(f.kind === "sku" ? "drops.total_hint_sku" : "drops.total_hint_coupon")}>
          <input name="total" inputMode="numeric" value={f.total} onInput={(e) => set("total", e.currentTarget.value)} />
          {fieldError("total")}
        </Field>
        <Field label={t("drops.rule")}>
          <select name="rule" value={f.rule} onChange={(e) => set("rule", e.currentTarget.value as DropForm["rule"])}>
            <option value="equal">{t("drops.rule.equal")}</option>
            <option value="weighted_by_sales">{t("drops.rule.weighted_by_sales")}</option>
            <option value="manual">{t("drops.rule.manual")}</option>
          </select>
        </Field>
        <fieldset class="span-2 drop-stores-pick">
          <legend class="field-label">{t("drops.stores")}</legend>
          <span class="muted small">{t("drops.stores_hint")}</span>
          <div class="chips">
            {stores.map((s) => (
              <label key={s.code} class="chip-check">
                <input
                  type="checkbox"
                  data-testid={`drop-store-pick-${s.code}`}
                  checked={f.stores.includes(s.code)}
                  onChange={(e) =>
                    set("stores", e.currentTarget.checked ? [...f.stores, s.code] : f.stores.filter((x) => x !== s.code))
                  }
                />
                <span class="mono">{s.code}</span> {s.name}
              </label>
            ))}
          </div>
          {fieldError("stores")}
        </fieldset>
        {f.rule === "manual" && (
          <fieldset class="span-2" data-testid="drop-manual">
            <legend class="field-label">{t("drops.manual_grid")}</legend>
            <table class="table manual-grid">
              <tbody>
                {grid.map((code) => (
                  <tr key={code}>
                    <td>
                      <strong class="mono">{code}</strong> {stores.find((s) => s.code === code)?.name}
                    </td>
                    <td class="ta-right">
                      <input
                        name={`manual-${code}`}
                        data-testid={`drop-manual-${code}`}
                        inputMode="numeric"
                        class="input-narrow"
                        value={f.manual[code] ?? ""}
                        onInput={(e) => set("manual", { ...f.manual, [code]: e.currentTarget.value })}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <td>{t("drops.manual_sum")}</td>
                  <td class="ta-right">
                    <strong
                      class={sumOk ? "sum-ok" : "sum-bad"}
                      data-testid="drop-manual-sum"
                      data-sum={sum}
                      data-total={total ?? ""}
                      data-ok={String(sumOk)}
                    >
                      {num(sum)} / {total !== null ? num(total) : "—"}
                    </strong>
                  </td>
                </tr>
              </tfoot>
            </table>
            {!sumOk && total !== null && (
              <div class="muted small" data-testid="drop-manual-diff">
                {sum < total ? t("drops.manual_short", { n: num(total - sum) }) : t("drops.manual_over", { n: num(sum - total) })}
              </div>
            )}
            {fieldError("manual")}
          </fieldset>
        )}
        <Field label={t("drops.hold_minutes")} hint={t("drops.hold_hint")}>
          <input name="hold_minutes" inputMode="numeric" value={f.holdMinutes} onInput={(e) => set("holdMinutes", e.currentTarget.value)} />
          {fieldError("hold_minutes")}
        </Field>
        <div />
        <Field label={t("drops.starts_at")} hint={t("drops.optional")}>
          <input name="starts_at" type="datetime-local" value={f.startsAt} onInput={(e) => set("startsAt", e.currentTarget.value)} />
        </Field>
        <Field label={t("drops.ends_at")} hint={t("drops.optional")}>
          <input name="ends_at" type="datetime-local" value={f.endsAt} onInput={(e) => set("endsAt", e.currentTarget.value)} />
        </Field>
        {fieldError("window")}
        <FormFooter error={submit.error} busy={submit.busy} onCancel={onClose} testId="drop-submit" saveLabel={t("drops.create")} />
      </form>
    </Modal>
  );
}
