// Request stock (issue 5): a store manager scans or searches items, sets the
// quantities and sends one request to the warehouse (written offline like a
// sale; it reaches head office with the next sync). Below, this store's
// orders — asked here or proposed by HQ — with their status, HQ's approved
// quantities and the shipment carrying them; a request HQ has not acted on
// yet can be cancelled.

import type { JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { ProductHit } from "../api/types/ProductHit";
import type { UiError } from "../api/types/UiError";
import { Btn, ErrorBox, Field, useApp } from "../components/ui";
import { formatDateTime } from "../format";
import type { Key } from "../i18n";
import { debounce } from "../logic/debounce";
import { type RequestLine, addRequestLine, parseQty, setRequestQty, statusTone, toRequest } from "../logic/logistics";
import type { OrderView } from "../logistics/types";

export function RequestStock(): JSX.Element {
  const { t, isManager, toastInfo } = useApp();
  const [query, setQuery] = useState("");
  const [qty, setQty] = useState("1");
  const [hits, setHits] = useState<ProductHit[]>([]);
  const [lines, setLines] = useState<RequestLine[]>([]);
  const [note, setNote] = useState("");
  const [err, setErr] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [orders, setOrders] = useState<OrderView[] | null>(null);
  const seq = useRef(0);
  const queryRef = useRef<HTMLInputElement>(null);

  const loadOrders = useCallback(() => {
    api.replenishmentOrders().then(setOrders, (e: UiError) => setErr(e));
  }, []);
  useEffect(loadOrders, [loadOrders]);

  const search = useRef(
    debounce((q: string) => {
      const mine = ++seq.current;
      // Typed, then added with Enter before the pause: nothing to suggest any more.
      if (!q.trim() || queryRef.current?.value.trim() !== q.trim()) return setHits([]);
      api.searchProducts(q.trim(), 8).then(
        (h) => mine === seq.current && setHits(h),
        () => undefined,
      );
    }, 150),
  ).current;

  const qtyOk = parseQty(qty);

  const add = (h: ProductHit) => {
    if (qtyOk === null) return;
    seq.current++;
    setLines((ls) => addRequestLine(ls, h.sku, h.name, qtyOk));
    setQuery("");
    setHits([]);
    setQty("1");
    setErr(null);
    queryRef.current?.focus();
  };

  const onKey = async (e: KeyboardEvent) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const code = query.trim();
    if (!code) return;
    try {
      add(await api.scan(code));
    } catch (x) {
      const first = hits[0];
      if (first) add(first);
      else setErr(x as UiError);
    }
  };

  const send = async () => {
    if (busy || !lines.length) return;
    setBusy(true);
    setErr(null);
    try {
      const order = await api.requestStock(toRequest(lines), note.trim() || null);
      toastInfo(t("logi.request_sent", { n: order.lines.length }));
      setLines([]);
      setNote("");
      loadOrders();
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (o: OrderView) => {
    setErr(null);
    try {
      await api.cancelOrder(o.id);
      toastInfo(t("logi.order_cancelled"));
      loadOrders();
    } catch (e) {
      setErr(e as UiError);
    }
  };

  return (
    <div class="split request-stock">
      <div class="card stack">
        <h2>{t("logi.request_title")}</h2>
        {!isManager && <p class="warn-text" data-testid="restock-manager-only">{t("logi.request_manager_only")}</p>}
        <div class="row">
          <input
            ref={queryRef}
            class="input grow"
            placeholder={t("logi.request_search")}
            value={query}
            autoFocus
            onInput={(e) => {
              setQuery(e.currentTarget.value);
              search(e.currentTarget.value);
            }}
            onKeyDown={(e) => void onKey(e)}
            data-testid="restock-query"
          />
          <input
            class={`input qty-input num ${qtyOk === null ? "bad" : ""}`}
            inputMode="numeric"
            value={qty}
            aria-label={t("logi.request_qty")}
            onInput={(e) => setQty(e.currentTarget.value)}
            data-testid="restock-qty"
          />
        </div>
        {qtyOk === null && <div class="error-box" role="alert" data-testid="restock-qty-invalid">{t("logi.qty_invalid")}</div>}
        {hits.length > 0 && (
          <div class="results" data-testid="restock-hits">
            {hits.map((h) => (
              <button key={h.sku} class="result" onClick={() => add(h)} data-testid="restock-hit" data-sku={h.sku}>
                <span class="r-name">
                  {h.name} <span class="muted small mono">{h.sku}</span>
                </span>
                <span class="stock-badge">{h.stock}</span>
              </button>
            ))}
          </div>
        )}
        <table class="table" data-testid="restock-lines">
          <tbody>
            {lines.map((l) => (
              <tr key={l.sku} data-testid="restock-line" data-sku={l.sku} data-qty={l.qty}>
                <td>
                  {l.name ?? l.sku} <span class="muted small mono">{l.sku}</span>
                </td>
                <td class="num">
                  <input
                    class="input qty-input num"
                    inputMode="numeric"
                    value={String(l.qty)}
                    onChange={(e) => setLines((ls) => setRequestQty(ls, l.sku, parseQty(e.currentTarget.value) ?? 0))}
                    data-testid="restock-line-qty"
                  />
                </td>
                <td>
                  <Btn kind="ghost" onClick={() => setLines((ls) => setRequestQty(ls, l.sku, 0))} testid="restock-line-remove">
                    {t("logi.request_remove")}
                  </Btn>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {lines.length === 0 && <p class="muted">{t("logi.request_empty")}</p>}
        <Field label={t("logi.request_note")}>
          <input class="input" value={note} maxLength={200} placeholder={t("logi.request_note_ph")} onInput={(e) => setNote(e.currentTarget.value)} data-testid="restock-note" />
        </Field>
        <ErrorBox error={err} testid="restock-error" />
        <div class="row-end">
          <Btn kind="primary" onClick={() => void send()} disabled={busy || !lines.length || !isManager} testid="restock-send">
            {t("logi.request_send")}
          </Btn>
        </div>
      </div>
      <div class="card stack">
        <h2>{t("logi.orders")}</h2>
        {orders !== null && orders.length === 0 && <p class="muted" data-testid="orders-empty">{t("logi.orders_none")}</p>}
        <div class="order-list" data-testid="order-list">
          {(orders ?? []).map((o) => (
            <OrderRow key={o.id} order={o} onCancel={isManager && o.cancellable ? () => void cancel(o) : null} />
          ))}
        </div>
      </div>
    </div>
  );
}

function OrderRow(props: { order: OrderView; onCancel: (() => void) | null }): JSX.Element {
  const { t, lang } = useApp();
  const o = props.order;
  const approved = new Map((o.approved_lines ?? []).map((l) => [l.sku, l.qty]));
  return (
    <div class="hold-row order-row" data-testid="order-row" data-id={o.id} data-status={o.status}>
      <div class="grow">
        <div>
          <span class={`tag ${statusTone(o.status)}`} data-testid="order-status">{t(`logi.status.${o.status}` as Key)}</span>{" "}
          <span class="muted small">{t(`logi.origin.${o.origin}` as Key)} · {t("logi.order_by", { by: o.placed_by, time: formatDateTime(o.placed_ms, lang) })}</span>
        </div>
        <div class="small">
          {o.lines.map((l) => (
            <span class="chip" key={l.sku}>
              {l.name ?? l.sku} × {l.qty}
              {o.approved_lines && approved.get(l.sku) !== l.qty && (
                <span class="warn-text"> ({t("logi.order_approved_qty", { n: approved.get(l.sku) ?? 0 })})</span>
              )}
            </span>
          ))}
        </div>
        {o.note && <div class="muted small">{o.note}</div>}
      </div>
      {props.onCancel && (
        <Btn onClick={props.onCancel} testid="order-cancel">{t("logi.order_cancel")}</Btn>
      )}
    </div>
  );
}
