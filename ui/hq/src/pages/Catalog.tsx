// Catalog: products (search, paging, create, edit), styles as size × colour
// grids, price rules and time-limited deals, CSV import and export.

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { ImportResult } from "../api/types/ImportResult";
import type { PriceRule } from "../api/types/PriceRule";
import type { Product } from "../api/types/Product";
import type { ProductPage } from "../api/types/ProductPage";
import type { Style } from "../api/types/Style";
import type { StylePage } from "../api/types/StylePage";
import type { ProductPatch } from "../api/types/ProductPatch";
import type { PriceRuleInput } from "../api/types/PriceRuleInput";
import { Badge, Card, DataTable, ErrorBanner, Field, FormFooter, Modal, Notice, PageHeader, Pager, useAsync, useMoney, useSession, useSubmit } from "../components/ui";
import { formatDateTime, moneyInput, parseMoney } from "../format";
import { canEdit } from "../roles";
import { setQuery, useRoute } from "../router";

const PAGE = 50;

export function CatalogPage() {
  const { t } = useSession();
  const { query } = useRoute();
  const tab = query.get("tab") ?? "products";
  return (
    <div data-testid="page-catalog">
      <PageHeader title={t("nav.catalog")} sub={t("cat.subtitle")} />
      <div class="tabs" role="tablist">
        {(["products", "styles", "prices"] as const).map((k) => (
          <button key={k} type="button" role="tab" class={tab === k ? "active" : ""} aria-selected={tab === k} onClick={() => setQuery({ tab: k === "products" ? null : k })}>
            {t(k === "products" ? "cat.products" : k === "styles" ? "cat.styles" : "cat.prices")}
          </button>
        ))}
      </div>
      {tab === "styles" ? <Styles /> : tab === "prices" ? <PriceRules /> : <Products />}
    </div>
  );
}

function Products() {
  const { me, t, currency } = useSession();
  const money = useMoney();
  const { query } = useRoute();
  const q = query.get("q") ?? "";
  const offset = Number(query.get("offset") ?? 0) || 0;
  const [search, setSearch] = useState(q);
  const [editing, setEditing] = useState<Product | "new" | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [importResult, setImportResult] = useState<ImportResult | null>(null);
  const page = useAsync((signal) => api.get<ProductPage>("/products", { q, limit: PAGE, offset }, signal), [q, offset]);
  const editable = canEdit(me.role, "catalog");
  const importer = useSubmit(async (file: File) => {
    const text = await file.text();
    const r = await api.postCsv<ImportResult>("/products/import", text);
    setImportResult(r);
    page.reload();
  });
  return (
    <Card
      title={t("cat.products")}
      actions={
        <>
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              setQuery({ q: search, offset: null });
            }}
          >
            <input type="search" placeholder={t("cat.search")} value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          </form>
          <a class="btn btn-sm" href={api.url("/products/export.csv")} download="catalog.csv">
            {t("common.export_csv")}
          </a>
          {editable && (
            <>
              <label class="btn btn-sm">
                {t("cat.import_csv")}
                <input
                  type="file"
                  accept=".csv,text/csv"
                  hidden
                  onChange={(e) => {
                    const f = e.currentTarget.files?.[0];
                    if (f) void importer.run(f);
                    e.currentTarget.value = "";
                  }}
                />
              </label>
              <button type="button" class="btn btn-primary btn-sm" data-testid="new-product" onClick={() => setEditing("new")}>
                {t("cat.new_product")}
              </button>
            </>
          )}
        </>
      }
    >
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={importer.error ?? page.error} />
      {importResult && (
        <Notice kind={importResult.errors.length ? "warn" : "ok"}>
          {t("cat.imported", { n: importResult.imported, errors: importResult.errors.length })}
          {importResult.errors.length > 0 && (
            <ul class="small">
              {importResult.errors.slice(0, 10).map((e) => (
                <li key={e.line}>{t("cat.import_line", { line: e.line, message: e.message })}</li>
              ))}
            </ul>
          )}
        </Notice>
      )}
      <DataTable
        testid="products"
        rows={page.data?.items}
        loading={page.loading}
        rowKey={(p) => p.sku}
        onRow={editable ? (p) => setEditing(p) : undefined}
        columns={[
          { key: "sku", label: t("common.sku"), render: (p) => <span class="mono">{p.sku}</span> },
          { key: "name", label: t("common.name"), render: (p) => p.name ?? "—" },
          { key: "cat", label: t("common.category"), render: (p) => p.category ?? "—" },
          { key: "var", label: t("cat.variant"), render: (p) => [p.style, p.colour, p.size].filter(Boolean).join(" / ") || "—" },
          { key: "price", label: t("cat.price"), align: "right", render: (p) => (p.price === null ? "—" : money(p.price, currency)) },
          {
            key: "now",
            label: t("cat.current_price"),
            align: "right",
            render: (p) =>
              p.current_price !== undefined && p.current_price !== null && p.current_price !== p.price ? (
                <span>
                  <strong class="down">{money(p.current_price, currency)}</strong> {p.price_label && <Badge tone="info">{p.price_label}</Badge>}
                </span>
              ) : (
                <span class="muted">—</span>
              ),
          },
          { key: "barcode", label: t("cat.barcode"), render: (p) => <span class="mono small">{p.barcode ?? ""}</span> },
          { key: "active", label: t("cat.active"), render: (p) => (p.active ? <Badge tone="good">{t("common.yes")}</Badge> : <Badge tone="muted">{t("common.no")}</Badge>) },
        ]}
      />
      {page.data && <Pager offset={offset} limit={PAGE} total={page.data.total} onChange={(o) => setQuery({ offset: o })} />}
      {editing && (
        <ProductForm
          product={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(sku) => {
            setEditing(null);
            setNotice(t("cat.saved", { sku }));
            page.reload();
          }}
        />
      )}
    </Card>
  );
}

function ProductForm({ product, onClose, onSaved }: { product: Product | null; onClose: () => void; onSaved: (sku: string) => void }) {
  const { t, currency } = useSession();
  const [f, setF] = useState({
    sku: product?.sku ?? "",
    name: product?.name ?? "",
    price: product?.price != null ? moneyInput(product.price, currency) : "",
    barcode: product?.barcode ?? "",
    category: product?.category ?? "",
    style: product?.style ?? "",
    colour: product?.colour ?? "",
    size: product?.size ?? "",
    active: product?.active ?? true,
  });
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = useSubmit(async () => {
    const price = parseMoney(f.price, currency);
    if (price === null) throw new Error(t("cat.bad_price", { currency }));
    const body: ProductPatch = {
      name: f.name.trim(),
      price,
      barcode: f.barcode.trim() || null,
      category: f.category.trim() || null,
      style: f.style.trim() || null,
      colour: f.colour.trim() || null,
      size: f.size.trim() || null,
      active: f.active,
    };
    if (product) await api.patch(`/products/${encodeURIComponent(product.sku)}`, body);
    else await api.post("/products", { sku: f.sku.trim(), ...body });
    onSaved(product?.sku ?? f.sku.trim());
  });
  return (
    <Modal title={product ? t("cat.edit_product", { sku: product.sku }) : t("cat.new_product")} onClose={onClose} wide>
      <form
        class="form form-grid"
        data-testid="product-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit.run();
        }}
      >
        <Field label={t("common.sku")}>
          <input name="sku" required disabled={!!product} value={f.sku} onInput={set("sku")} />
        </Field>
        <Field label={t("common.name")}>
          <input name="name" required value={f.name} onInput={set("name")} />
        </Field>
        <Field label={t("cat.price_in", { currency })}>
          <input name="price" required inputMode="decimal" value={f.price} onInput={set("price")} />
        </Field>
        <Field label={t("cat.barcode")}>
          <input name="barcode" value={f.barcode} onInput={set("barcode")} />
        </Field>
        <Field label={t("common.category")}>
          <input name="category" value={f.category} onInput={set("category")} />
        </Field>
        <Field label={t("cat.style")}>
          <input name="style" value={f.style} onInput={set("style")} />
        </Field>
        <Field label={t("cat.colour")}>
          <input name="colour" value={f.colour} onInput={set("colour")} />
        </Field>
        <Field label={t("cat.size")}>
          <input name="size" value={f.size} onInput={set("size")} />
        </Field>
        <label class="check">
          <input type="checkbox" checked={f.active} onChange={(e) => setF({ ...f, active: e.currentTarget.checked })} /> {t("cat.active")}
        </label>
        <FormFooter error={submit.error} busy={submit.busy} onCancel={onClose} testId="product-submit" />
      </form>
    </Modal>
  );
}

function Styles() {
  const { t, currency } = useSession();
  const money = useMoney();
  const [q, setQ] = useState("");
  const [applied, setApplied] = useState("");
  const styles = useAsync((signal) => api.get<StylePage>("/products/styles", { q: applied, limit: 30 }, signal), [applied]);
  const list = styles.data?.items ?? [];
  return (
    <div>
      <form
        class="filters filters-bar"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(q);
        }}
      >
        <input type="search" placeholder={t("cat.search_styles")} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button class="btn btn-sm" type="submit">
          {t("common.search")}
        </button>
      </form>
      <ErrorBanner error={styles.error} />
      {!styles.loading && list.length === 0 && !styles.error && <p class="muted">{t("common.empty")}</p>}
      <div class="grid grid-2">
        {list.map((s) => {
          const colours = s.colours.length ? s.colours : [...new Set(s.variants.map((v) => v.colour ?? "—"))];
          const sizes = sortSizes(s.sizes.length ? s.sizes : [...new Set(s.variants.map((v) => v.size ?? "—"))]);
          const at = (c: string, z: string) => s.variants.find((v) => (v.colour ?? "—") === c && (v.size ?? "—") === z);
          return (
            <Card key={s.style} title={<span>{styleName(s)} <span class="muted small mono">{s.style}</span></span>} actions={s.category && <Badge tone="muted">{s.category}</Badge>}>
              <div class="table-wrap">
                <table class="table variant-grid">
                  <thead>
                    <tr>
                      <th>{t("cat.colour")} \ {t("cat.size")}</th>
                      {sizes.map((z) => (
                        <th key={z} class="ta-center">
                          {z}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {colours.map((c) => (
                      <tr key={c}>
                        <th>{c}</th>
                        {sizes.map((z) => {
                          const v = at(c, z);
                          return (
                            <td key={z} class="ta-center" title={v ? [v.sku, v.price_label].filter(Boolean).join(" · ") : undefined}>
                              {v ? (
                                v.price === null ? (
                                  "✓"
                                ) : v.current_price !== null && v.current_price !== v.price ? (
                                  <strong class="down">{money(v.current_price, currency)}</strong>
                                ) : (
                                  money(v.price, currency)
                                )
                              ) : (
                                <span class="muted">·</span>
                              )}
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          );
        })}
      </div>
    </div>
  );
}

const SIZE_ORDER = ["XXS", "XS", "S", "M", "L", "XL", "XXL", "2XL", "XXXL", "3XL", "4XL"];

/** Sizes as a shop lists them: XS S M L XL, numbers ascending, others after. */
export function sortSizes(sizes: string[]): string[] {
  const rank = (z: string): number => {
    const i = SIZE_ORDER.indexOf(z.toUpperCase());
    if (i >= 0) return i;
    const n = Number.parseFloat(z);
    return Number.isNaN(n) ? 10_000 : 100 + n;
  };
  return [...sizes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/**
 * The style's name: the hub gives its first variant's (`Oxford tee beige L`);
 * the colour and size that end it are that variant's, not the style's.
 */
export function styleName(s: Style): string {
  const first = s.variants[0];
  let name = s.name ?? s.style;
  if (!first) return name;
  for (const part of [first.size, first.colour]) {
    if (part && name.toLowerCase().endsWith(` ${part.toLowerCase()}`)) name = name.slice(0, -(part.length + 1));
  }
  return name;
}

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function PriceRules() {
  const { me, t, lang, currency } = useSession();
  const money = useMoney();
  const [sku, setSku] = useState("");
  const rules = useAsync((signal) => api.get<PriceRule[]>("/price-rules", { sku }, signal), [sku]);
  const list = rules.data ?? [];
  const editable = canEdit(me.role, "prices");
  const [target, setTarget] = useState("");
  const [byStyle, setByStyle] = useState(false);
  const [price, setPrice] = useState("");
  const [from, setFrom] = useState(() => toLocalInput(Date.now()));
  const [to, setTo] = useState("");
  const [label, setLabel] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const create = useSubmit(async () => {
    const minor = parseMoney(price, currency);
    if (minor === null) throw new Error(t("cat.bad_price", { currency }));
    const body: PriceRuleInput = {
      skus: byStyle ? null : target.split(/[\s,]+/).filter(Boolean),
      style: byStyle ? target.trim() : null,
      price: minor,
      valid_from_ms: new Date(from).getTime(),
      valid_to_ms: to ? new Date(to).getTime() : null,
      label: label.trim(),
    };
    const made = await api.post<PriceRule[]>("/price-rules", body);
    setNotice(t("cat.rules_created", { n: made.length }));
    rules.reload();
  });
  const cancel = useSubmit(async (id: string) => {
    await api.post(`/price-rules/${encodeURIComponent(id)}/cancel`);
    rules.reload();
  });
  return (
    <div class="grid grid-3-1">
      <Card
        title={t("cat.prices")}
        actions={<input type="search" placeholder={t("common.sku")} value={sku} onChange={(e) => setSku(e.currentTarget.value)} />}
      >
        <ErrorBanner error={rules.error ?? cancel.error} />
        <DataTable
          testid="price-rules"
          rows={list}
          loading={rules.loading}
          rowKey={(r) => r.id}
          columns={[
            { key: "label", label: t("cat.label"), render: (r) => r.label },
            { key: "sku", label: t("common.sku"), render: (r) => <span class="mono nowrap">{r.sku}</span> },
            { key: "price", label: t("cat.price"), align: "right", render: (r) => money(r.price, currency) },
            { key: "from", label: t("cat.from"), render: (r) => <span class="nowrap">{formatDateTime(r.valid_from_ms, lang)}</span> },
            {
              key: "to",
              label: t("cat.to"),
              render: (r) => <span class="nowrap">{r.valid_to_ms ? formatDateTime(r.valid_to_ms, lang) : t("cat.open_ended")}</span>,
            },
            {
              key: "state",
              label: "",
              render: (r) => {
                const now = Date.now();
                if (r.cancelled) return <Badge tone="muted">{t("cat.cancelled")}</Badge>;
                if (r.valid_to_ms && r.valid_to_ms < now) return <Badge tone="muted">{t("cat.ended")}</Badge>;
                if (r.valid_from_ms > now) return <Badge tone="info">{t("cat.scheduled")}</Badge>;
                return <Badge tone="good">{t("cat.running")}</Badge>;
              },
            },
            {
              key: "x",
              label: "",
              render: (r) =>
                editable && !r.cancelled && (!r.valid_to_ms || r.valid_to_ms > Date.now()) ? (
                  <button type="button" class="btn btn-sm btn-ghost" disabled={cancel.busy} onClick={() => void cancel.run(r.id)}>
                    {t("common.cancel")}
                  </button>
                ) : null,
            },
          ]}
        />
      </Card>
      {editable && (
        <Card title={t("cat.new_rule")}>
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              void create.run();
            }}
          >
            <label class="check">
              <input type="checkbox" checked={byStyle} onChange={(e) => setByStyle(e.currentTarget.checked)} /> {t("cat.whole_style")}
            </label>
            <Field label={byStyle ? t("cat.style") : t("cat.skus")} hint={byStyle ? undefined : t("cat.skus_hint")}>
              <input required value={target} onInput={(e) => setTarget(e.currentTarget.value)} />
            </Field>
            <Field label={t("cat.price_in", { currency })}>
              <input required inputMode="decimal" value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
            </Field>
            <Field label={t("cat.from")}>
              <input type="datetime-local" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
            </Field>
            <Field label={t("cat.to")} hint={t("cat.to_hint")}>
              <input type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
            </Field>
            <Field label={t("cat.label")}>
              <input required placeholder={t("cat.label_placeholder")} value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
            </Field>
            {notice && <Notice>{notice}</Notice>}
            <ErrorBanner error={create.error} />
            <div class="form-actions">
              <button type="submit" class="btn btn-primary" disabled={create.busy}>
                {t("cat.create_rule")}
              </button>
            </div>
          </form>
        </Card>
      )}
    </div>
  );
}
