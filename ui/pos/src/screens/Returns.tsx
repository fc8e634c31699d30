// Returns: scan or type the sale's receipt number → `return_preview` lists
// each line with what was sold, returned and is left → the cashier sets how
// many come back (never more than left) → `return_sale` refunds to the
// original tenders → the return receipt.

import type { JSX } from "preact";
import { useMemo, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { ReturnPreview } from "../api/types/ReturnPreview";
import type { ReturnReceipt } from "../api/types/ReturnReceipt";
import type { UiError } from "../api/types/UiError";
import { Btn, ErrorBox, useApp } from "../components/ui";
import { formatDateTime } from "../format";
import { returnItems, returnTotal } from "../logic/returns";
import { ReturnReceiptView } from "./ReceiptView";

export function Returns(): JSX.Element {
  const { t, money, lang, toastError } = useApp();
  const [receipt, setReceipt] = useState("");
  const [preview, setPreview] = useState<ReturnPreview | null>(null);
  const [qty, setQty] = useState<Record<string, number>>({});
  const [err, setErr] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<ReturnReceipt | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  const find = async (e?: Event) => {
    e?.preventDefault();
    if (!receipt.trim()) return;
    setBusy(true);
    setErr(null);
    setPreview(null);
    try {
      const p = await api.returnPreview(receipt.trim());
      setPreview(p);
      setQty({});
    } catch (x) {
      setErr(x as UiError);
    } finally {
      setBusy(false);
    }
  };

  const total = preview ? returnTotal(preview.lines, qty) : 0;
  const items = preview ? returnItems(preview.lines, qty) : [];
  const names = useMemo(() => new Map(preview?.lines.map((l) => [l.sku, l.name]) ?? []), [preview]);

  const complete = async () => {
    if (!preview) return;
    if (items.length === 0) {
      setErr({ code: "invalid_input", message: t("returns.nothing") });
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      setDone(await api.returnSale({ receipt: preview.sale.receipt, items }));
    } catch (x) {
      setErr(x as UiError);
    } finally {
      setBusy(false);
    }
  };

  const reset = () => {
    setDone(null);
    setPreview(null);
    setReceipt("");
    setQty({});
    requestAnimationFrame(() => inputRef.current?.focus());
  };

  return (
    <div class="page">
      <h1>{t("returns.title")}</h1>
      <form class="row" onSubmit={find}>
        <input
          ref={inputRef}
          class="input input-big grow"
          placeholder={t("returns.receipt_ph")}
          value={receipt}
          autoFocus
          onInput={(e) => setReceipt(e.currentTarget.value)}
          aria-label={t("returns.receipt")}
          data-testid="return-receipt"
        />
        <Btn kind="primary" type="submit" disabled={busy || !receipt.trim()} hint="Enter" testid="return-find">
          {t("returns.find")}
        </Btn>
      </form>
      <ErrorBox error={err} testid="return-error" />
      {preview && (
        <div class="card stack" data-testid="return-preview">
          <div class="row">
            <strong>{t("receipt.no", { no: preview.sale.receipt })}</strong>
            <span class="muted">{t("returns.sold_at", { time: formatDateTime(preview.sale.sold_at_ms, lang) })}</span>
            <span class="grow" />
            <Btn
              onClick={() => setQty(Object.fromEntries(preview.lines.map((l) => [l.sku, l.left])))}
              testid="return-all"
            >
              {t("returns.all")}
            </Btn>
          </div>
          <table class="table">
            <thead>
              <tr>
                <th>{t("common.name")}</th>
                <th class="num">{t("returns.sold")}</th>
                <th class="num">{t("returns.returned")}</th>
                <th class="num">{t("returns.left")}</th>
                <th class="num">{t("returns.unit_refund")}</th>
                <th class="num">{t("returns.to_return")}</th>
              </tr>
            </thead>
            <tbody>
              {preview.lines.map((l) => {
                const q = qty[l.sku] ?? 0;
                return (
                  <tr key={l.sku} data-testid="return-line" data-sku={l.sku} class={l.left === 0 ? "muted" : ""}>
                    <td>
                      {l.name}
                      <div class="muted small mono">{l.sku}</div>
                    </td>
                    <td class="num">{l.sold}</td>
                    <td class="num">{l.returned}</td>
                    <td class="num">{l.left}</td>
                    <td class="num">{money(l.unit_refund)}</td>
                    <td class="num">
                      <input
                        class="input qty-input num"
                        type="number"
                        min={0}
                        max={l.left}
                        value={q}
                        disabled={l.left === 0}
                        onInput={(e) => {
                          const v = Math.max(0, Math.floor(Number(e.currentTarget.value) || 0));
                          if (v > l.left) setErr({ code: "over_return", message: t("returns.over_left", { left: l.left, sku: l.sku }) });
                          else setErr(null);
                          setQty((m) => ({ ...m, [l.sku]: Math.min(v, l.left) }));
                        }}
                        data-testid="return-qty"
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div class="row">
            <span class="muted">{t("returns.refund_to")}:</span>
            {preview.refund_to.map((k) => (
              <span key={k} class="tag">{t(`tender.${k}`)}</span>
            ))}
            <span class="grow" />
            <span class="muted">{t("returns.total")}</span>
            <strong class="num big-num" data-testid="return-refund-total">{money(total)}</strong>
            <Btn kind="primary" onClick={() => void complete()} disabled={busy || items.length === 0} testid="return-complete">
              {t("returns.complete")}
            </Btn>
          </div>
        </div>
      )}
      {done && <ReturnReceiptView receipt={done} names={names} onDone={reset} onError={toastError} />}
    </div>
  );
}
