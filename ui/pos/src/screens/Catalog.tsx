// Finding a product without its barcode, never loading the whole catalog
// (20,000 SKUs): search (debounced `search_products`, 40 hits), or browse
// `categories` → `products_in_category` (pages of 48) → the style's
// `variants` as a colour × size grid with this store's stock per cell.

import type { JSX, Ref } from "preact";
import { forwardRef, memo } from "preact/compat";
import { useEffect, useImperativeHandle, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { CategoryCount } from "../api/types/CategoryCount";
import type { ProductHit } from "../api/types/ProductHit";
import type { UiError } from "../api/types/UiError";
import type { VariantGrid } from "../api/types/VariantGrid";
import { Btn, ErrorBox, useApp } from "../components/ui";
import { formatNumber } from "../format";
import { KEY_HINT } from "../logic/keys";
import { debounce } from "../logic/debounce";
import { variantCell } from "../logic/variants";

export interface CatalogHandle {
  focusSearch: () => void;
  browse: () => void;
  reset: () => void;
}

const PAGE = 48;
const SEARCH_LIMIT = 40;

type View =
  | { kind: "search" }
  | { kind: "categories" }
  | { kind: "category"; category: string; items: ProductHit[]; done: boolean }
  | { kind: "variants"; grid: VariantGrid; back: View };

export const Catalog = forwardRef(function Catalog(
  props: { onPick: (hit: ProductHit) => void; onDone: () => void },
  ref: Ref<CatalogHandle>,
): JSX.Element {
  const { t, lang } = useApp();
  const [view, setView] = useState<View>({ kind: "categories" });
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<ProductHit[] | null>(null);
  const [cats, setCats] = useState<CategoryCount[] | null>(null);
  const [err, setErr] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [active, setActive] = useState(0);
  const searchRef = useRef<HTMLInputElement>(null);
  const seq = useRef(0);

  const runSearch = useRef(
    debounce((q: string) => {
      const mine = ++seq.current;
      if (!q.trim()) {
        setHits(null);
        return;
      }
      api.searchProducts(q.trim(), SEARCH_LIMIT).then(
        (h) => {
          if (mine !== seq.current) return;
          setHits(h);
          setActive(0);
          setErr(null);
        },
        (e: UiError) => mine === seq.current && setErr(e),
      );
    }, 150),
  ).current;

  const loadCats = () => {
    if (cats) return;
    api.categories().then(setCats, (e: UiError) => setErr(e));
  };
  useEffect(loadCats, []);

  useImperativeHandle(ref, () => ({
    focusSearch: () => {
      setView({ kind: "search" });
      requestAnimationFrame(() => searchRef.current?.select());
    },
    browse: () => {
      setView({ kind: "categories" });
      loadCats();
    },
    reset: () => {
      setQuery("");
      setHits(null);
      setErr(null);
      setView((v) => (v.kind === "search" ? { kind: "categories" } : v));
    },
  }));

  const openCategory = async (category: string) => {
    setBusy(true);
    setErr(null);
    try {
      const items = await api.productsInCategory(category, 0, PAGE);
      setView({ kind: "category", category, items, done: items.length < PAGE });
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setBusy(false);
    }
  };

  const more = async () => {
    if (view.kind !== "category") return;
    setBusy(true);
    try {
      const next = await api.productsInCategory(view.category, view.items.length, PAGE);
      setView({ ...view, items: [...view.items, ...next], done: next.length < PAGE });
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setBusy(false);
    }
  };

  /** A tile: with a style → its colour × size grid; without → straight into the cart. */
  const pick = async (hit: ProductHit) => {
    if (!hit.style) {
      props.onPick(hit);
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      const grid = await api.variants(hit.style);
      if (grid.cells.length <= 1) props.onPick(grid.cells[0] ?? hit);
      else setView({ kind: "variants", grid, back: view });
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setBusy(false);
    }
  };

  const onSearchKey = (e: KeyboardEvent) => {
    const list = hits ?? [];
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, list.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter") {
      e.preventDefault();
      const h = list[active];
      if (h) props.onPick(h);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      setQuery("");
      setHits(null);
      props.onDone();
    }
  };

  return (
    <div class="catalog">
      <div class="catalog-bar">
        <div class={`search-box ${view.kind === "search" ? "active" : ""}`}>
          <input
            ref={searchRef}
            class="input"
            placeholder={t("sell.search_ph")}
            value={query}
            onFocus={() => setView({ kind: "search" })}
            onInput={(e) => {
              const q = e.currentTarget.value;
              setQuery(q);
              setView({ kind: "search" });
              runSearch(q);
            }}
            onKeyDown={onSearchKey}
            data-testid="search-input"
            aria-label={t("sell.search")}
          />
          <kbd class="hint">{KEY_HINT["sell.search"]}</kbd>
        </div>
        <Btn
          kind={view.kind === "search" ? "plain" : "ghost"}
          onClick={() => {
            setView({ kind: "categories" });
            loadCats();
          }}
          hint={KEY_HINT["sell.browse"]}
          testid="browse-button"
        >
          {t("sell.browse")}
        </Btn>
      </div>
      <ErrorBox error={err} testid="catalog-error" />
      <div class="catalog-body" aria-busy={busy}>
        {view.kind === "search" &&
          (hits === null ? (
            <p class="muted pad">{t("sell.search_ph")}</p>
          ) : hits.length === 0 ? (
            <p class="muted pad">{t("sell.no_results")}</p>
          ) : (
            <div class="results" role="listbox" data-testid="search-results">
              {hits.map((h, i) => (
                <button
                  key={h.sku}
                  class={`result ${i === active ? "active" : ""}`}
                  onClick={() => props.onPick(h)}
                  data-testid="search-result"
                  data-sku={h.sku}
                  role="option"
                  aria-selected={i === active}
                >
                  <span class="r-name">
                    {h.name}
                    <span class="muted small">
                      {" "}
                      · <span class="mono">{h.sku}</span>
                      {h.colour && ` · ${h.colour}`}
                      {h.size && ` · ${h.size}`}
                    </span>
                  </span>
                  <StockBadge n={h.stock} />
                  <Price hit={h} />
                </button>
              ))}
            </div>
          ))}
        {view.kind === "categories" &&
          (cats === null ? (
            <p class="muted pad">{t("common.loading")}</p>
          ) : cats.length === 0 ? (
            <p class="muted pad">{t("common.none")}</p>
          ) : (
            <div class="cat-grid" data-testid="category-grid">
              {cats.map((c) => (
                <button key={c.category} class="cat-tile" onClick={() => void openCategory(c.category)} data-testid="category-tile" data-category={c.category}>
                  <span class="cat-name">{c.category || "—"}</span>
                  <span class="muted small">{formatNumber(c.count, lang)}</span>
                </button>
              ))}
            </div>
          ))}
        {view.kind === "category" && (
          <>
            <div class="crumbs">
              <button class="link-btn" onClick={() => setView({ kind: "categories" })} data-testid="crumb-categories">
                {t("sell.all_categories")}
              </button>
              <span class="muted"> › {view.category}</span>
            </div>
            <div class="tile-grid" data-testid="product-tiles">
              {view.items.map((h) => (
                <Tile key={h.sku} hit={h} onPick={pick} />
              ))}
            </div>
            {!view.done && (
              <div class="pad center">
                <Btn onClick={more} disabled={busy} testid="tiles-more">
                  {t("common.more")}
                </Btn>
              </div>
            )}
          </>
        )}
        {view.kind === "variants" && (
          <VariantTable grid={view.grid} onBack={() => setView(view.back)} onPick={props.onPick} />
        )}
      </div>
    </div>
  );
});

function Price(props: { hit: ProductHit }): JSX.Element {
  const { money } = useApp();
  const p = props.hit.current_price ?? props.hit.price;
  const sale = props.hit.current_price != null && props.hit.price != null && props.hit.current_price < props.hit.price;
  return (
    <span class="r-price num">
      {sale && <s class="muted small">{money(props.hit.price ?? 0)}</s>} {p != null ? money(p) : "—"}
    </span>
  );
}

function StockBadge(props: { n: number }): JSX.Element {
  const { t } = useApp();
  return (
    <span class={`stock-badge ${props.n <= 0 ? "zero" : props.n < 3 ? "low" : ""}`} title={props.n <= 0 ? t("sell.out_of_stock") : t("sell.in_stock", { n: props.n })}>
      {props.n}
    </span>
  );
}

const Tile = memo(function Tile(props: { hit: ProductHit; onPick: (h: ProductHit) => void }): JSX.Element {
  const h = props.hit;
  return (
    <button class="tile" onClick={() => props.onPick(h)} data-testid="product-tile" data-sku={h.sku} data-style={h.style ?? ""}>
      <span class="tile-swatch" style={{ background: swatch(h.colour) }} />
      <span class="tile-name">{h.name}</span>
      <span class="tile-meta muted small">{h.style ?? h.sku}</span>
      <span class="tile-foot">
        <Price hit={h} />
        <StockBadge n={h.stock} />
      </span>
    </button>
  );
});

function VariantTable(props: { grid: VariantGrid; onBack: () => void; onPick: (h: ProductHit) => void }): JSX.Element {
  const { t, money } = useApp();
  const g = props.grid;
  return (
    <div class="variants" data-testid="variant-grid">
      <div class="crumbs">
        <button class="link-btn" onClick={props.onBack} data-testid="variants-back">
          ‹ {t("common.back")}
        </button>
        <span class="strong"> {g.name}</span>
        <span class="muted small mono"> {g.style}</span>
      </div>
      <table class="vtable">
        <thead>
          <tr>
            <th>{t("sell.colour")} \ {t("sell.size")}</th>
            {g.sizes.map((s) => (
              <th key={s}>{s}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {g.colours.map((c) => (
            <tr key={c}>
              <th>
                <span class="swatch-dot" style={{ background: swatch(c) }} />
                {c}
              </th>
              {g.sizes.map((s) => {
                const cell = variantCell(g, c, s);
                return (
                  <td key={s}>
                    {cell ? (
                      <button
                        class={`vcell ${cell.stock <= 0 ? "zero" : cell.stock < 3 ? "low" : ""}`}
                        onClick={() => props.onPick(cell)}
                        data-testid="variant-cell"
                        data-sku={cell.sku}
                        title={`${cell.sku} · ${money(cell.current_price ?? cell.price ?? 0)}`}
                      >
                        <span class="vcell-stock">{cell.stock}</span>
                      </button>
                    ) : (
                      <span class="vcell none">·</span>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A calm swatch colour for a colour name (known names, else a neutral from the name). */
function swatch(colour: string | null): string {
  const c = (colour ?? "").toLowerCase();
  const known: Record<string, string> = {
    black: "#1f2937", white: "#f8fafc", ivory: "#f5f0e1", navy: "#1e3a5f", blue: "#3b6ea8",
    grey: "#9ca3af", gray: "#9ca3af", red: "#b4443c", beige: "#d8c8a8", green: "#4d7c5a",
    khaki: "#a39a6b", brown: "#7a5940", pink: "#e8a5b0", camel: "#c19a6b", cream: "#f3ead3",
    charcoal: "#374151", olive: "#6b6b3a", yellow: "#e5c35a", purple: "#7c5c99", orange: "#d9823b",
  };
  const hit = Object.keys(known).find((k) => c.includes(k));
  if (hit) return known[hit]!;
  let h = 0;
  for (const ch of c) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return c ? `hsl(${h} 18% 72%)` : "#e5e7eb";
}
