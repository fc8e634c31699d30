// Stock: scan or search a product → this store's quantity (`stock`) and the
// other stores' (`stock_elsewhere`, from the hub; offline = the last cached
// answer, labelled with its age).

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { ElsewhereStock } from "../api/types/ElsewhereStock";
import type { ProductHit } from "../api/types/ProductHit";
import type { StockLevel } from "../api/types/StockLevel";
import type { UiError } from "../api/types/UiError";
import { ErrorBox, useApp } from "../components/ui";
import { formatAgo, formatNumber } from "../format";
import { debounce } from "../logic/debounce";

export function Stock(): JSX.Element {
  const { t, lang, money } = useApp();
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<ProductHit[]>([]);
  const [picked, setPicked] = useState<ProductHit | null>(null);
  const [own, setOwn] = useState<StockLevel | null>(null);
  const [other, setOther] = useState<ElsewhereStock | null>(null);
  const [otherBusy, setOtherBusy] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);
  const [now, setNow] = useState(Date.now());
  const seq = useRef(0);

  const search = useRef(
    debounce((q: string) => {
      const mine = ++seq.current;
      if (!q.trim()) return setHits([]);
      api.searchProducts(q.trim(), 30).then(
        (h) => mine === seq.current && setHits(h),
        (e: UiError) => setErr(e),
      );
    }, 150),
  ).current;

  const pick = async (h: ProductHit) => {
    setPicked(h);
    setErr(null);
    setOwn(null);
    setOther(null);
    setOtherBusy(true);
    setNow(Date.now());
    api.stock(h.sku).then(
      (rows) => setOwn(rows[0] ?? null),
      (e: UiError) => setErr(e),
    );
    try {
      setOther(await api.stockElsewhere(h.sku));
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setOtherBusy(false);
    }
  };

  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(id);
  }, []);

  const onKey = async (e: KeyboardEvent) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const first = hits[0];
    try {
      const h = await api.scan(query.trim());
      void pick(h);
    } catch (x) {
      if (first) void pick(first);
      else setErr(x as UiError);
    }
  };

  const ageLabel = () => {
    if (!other) return "";
    if (other.online) return other.as_of_ms ? t("stock.as_of", { ago: formatAgo(other.as_of_ms, now, lang) }) : "";
    return other.as_of_ms ? t("stock.offline", { ago: formatAgo(other.as_of_ms, now, lang) }) : t("stock.offline_never");
  };

  return (
    <div class="page stock-page">
      <h1>{t("stock.title")}</h1>
      <input
        class="input input-big"
        placeholder={t("stock.query_ph")}
        value={query}
        autoFocus
        onInput={(e) => {
          setQuery(e.currentTarget.value);
          search(e.currentTarget.value);
        }}
        onKeyDown={onKey}
        data-testid="stock-query"
      />
      <ErrorBox error={err} testid="stock-error" />
      <div class="split">
        <div class="results card" data-testid="stock-results">
          {hits.map((h) => (
            <button key={h.sku} class={`result ${picked?.sku === h.sku ? "active" : ""}`} onClick={() => void pick(h)} data-testid="stock-result" data-sku={h.sku}>
              <span class="r-name">
                {h.name}
                <span class="muted small">
                  {" "}· <span class="mono">{h.sku}</span>
                  {h.colour && ` · ${h.colour}`}
                  {h.size && ` · ${h.size}`}
                </span>
              </span>
              <span class="stock-badge">{h.stock}</span>
            </button>
          ))}
          {hits.length === 0 && <p class="muted pad">{t("stock.pick")}</p>}
        </div>
        <div class="card stack" data-testid="stock-detail">
          {!picked ? (
            <p class="muted">{t("stock.pick")}</p>
          ) : (
            <>
              <div>
                <div class="strong big-name">{picked.name}</div>
                <div class="muted small mono">
                  {picked.sku}
                  {picked.colour && ` · ${picked.colour}`}
                  {picked.size && ` · ${picked.size}`}
                  {(picked.current_price ?? picked.price) != null && ` · ${money(picked.current_price ?? picked.price ?? 0)}`}
                </div>
              </div>
              <div class="stat">
                <span class="muted">{t("stock.here")}</span>
                <span class="stat-num" data-testid="stock-here">
                  {formatNumber(own?.qty ?? picked.stock, lang)}
                </span>
              </div>
              <div class="row">
                <h2>{t("stock.elsewhere")}</h2>
                <span class="grow" />
                <span class={`pill ${other && !other.online ? "pill-bad" : ""}`} data-testid="stock-asof" data-online={String(other?.online ?? "")}>
                  {otherBusy ? t("common.loading") : ageLabel()}
                </span>
              </div>
              <table class="table" data-testid="stock-elsewhere">
                <thead>
                  <tr>
                    <th>{t("stock.store")}</th>
                    <th class="num">{t("common.stock")}</th>
                  </tr>
                </thead>
                <tbody>
                  {(other?.stores ?? []).map((s) => (
                    <tr key={s.store} data-testid="stock-store" data-store={s.store}>
                      <td>
                        {s.name} <span class="muted small mono">{s.store}</span>
                      </td>
                      <td class={`num ${s.qty <= 0 ? "bad-text" : ""}`}>{formatNumber(s.qty, lang)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      </div>
    </div>
  );
}
