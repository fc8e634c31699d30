// Receipts on screen, shown only after the shell has committed the sale or
// return: the paper-like receipt (the only thing the print stylesheet
// prints), "Sale saved", Print (Ctrl+P), Save as text, New sale (Enter).

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { Member } from "../api/types/Member";
import type { ReturnReceipt } from "../api/types/ReturnReceipt";
import type { SaleReceipt } from "../api/types/SaleReceipt";
import type { UiError } from "../api/types/UiError";
import { Btn, Dialog, useApp } from "../components/ui";
import { formatDateTime, formatPhone } from "../format";

/** Print only the receipt (see `.print-area` in styles.css). */
export function printReceipt(): void {
  window.print();
}

function SaveText(props: { receipt: string; onError: (e: UiError) => void }): JSX.Element {
  const { t } = useApp();
  const [saved, setSaved] = useState<string | null>(null);
  const save = async () => {
    try {
      const path = await api.saveReceipt(props.receipt, `receipt-${props.receipt}.txt`, "text");
      setSaved(path ?? `receipt-${props.receipt}.txt`);
    } catch (e) {
      props.onError(e as UiError);
    }
  };
  return (
    <>
      <Btn onClick={() => void save()} testid="receipt-save">
        {t("receipt.save_text")}
      </Btn>
      {saved && (
        <span class="muted small" data-testid="receipt-saved-path">
          {t("receipt.saved_to", { path: saved })}
        </span>
      )}
    </>
  );
}

function usePrintKeys(onDone: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "p") {
        e.preventDefault();
        printReceipt();
      } else if (e.key === "Enter" || e.key === "F8") {
        const tag = (e.target as HTMLElement | null)?.tagName;
        if (tag === "BUTTON" && e.key === "Enter") return; // the focused button handles it
        e.preventDefault();
        onDone();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onDone]);
}

export function SaleReceiptView(props: {
  receipt: SaleReceipt;
  member: Member | null;
  onNewSale: () => void;
  onError: (e: UiError) => void;
}): JSX.Element {
  const { t, money, lang, status, staff } = useApp();
  const s = props.receipt.sale;
  usePrintKeys(props.onNewSale);
  const gross = s.lines.reduce((n, l) => n + l.qty * l.unit_price, 0);
  const discount = s.lines.reduce((n, l) => n + l.discount, 0);
  const cashier = s.cashier && staff?.username === s.cashier ? staff.display_name : s.cashier;
  return (
    <Dialog title={t("receipt.saved")} onClose={props.onNewSale} testid="receipt-dialog" wide>
      <div class="receipt-layout">
        <div class="done-banner" data-testid="sale-done" role="status">
          <span class="done-icon">✓</span>
          <div>
            <div class="done-title">{t("receipt.saved")}</div>
            <div class="muted" data-testid="receipt-no" data-receipt={s.receipt}>
              {t("receipt.no", { no: s.receipt })}
            </div>
            {s.change_given > 0 && (
              <div class="change-big" data-testid="receipt-change" data-amount={s.change_given}>
                {t("receipt.change")}: {money(s.change_given)}
              </div>
            )}
          </div>
        </div>
        <article class="paper print-area" data-testid="receipt-view" data-receipt={s.receipt}>
          <header class="paper-head">
            <div class="paper-store">{status?.store_name ?? s.store}</div>
            <div>{status?.till_no != null ? t("receipt.till", { till: status.till_no }) : ""}</div>
            <div>{formatDateTime(s.sold_at_ms, lang)}</div>
            <div>{t("receipt.no", { no: s.receipt })}</div>
            {cashier && <div>{t("receipt.cashier", { name: cashier })}</div>}
          </header>
          <table class="paper-lines">
            <tbody>
              {s.lines.map((l, i) => (
                <tr key={i}>
                  <td>
                    <div>{l.name}</div>
                    <div class="paper-sub">
                      {l.sku} · {l.qty} × {money(l.unit_price)}
                      {props.receipt.price_labels[i] && ` · ${props.receipt.price_labels[i]}`}
                      {l.discount > 0 && ` · −${money(l.discount)}`}
                    </div>
                  </td>
                  <td class="num">{money(l.line_total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="paper-totals">
            {discount > 0 && (
              <>
                <div class="trow"><span>{t("sell.subtotal")}</span><span class="num">{money(gross)}</span></div>
                <div class="trow"><span>{t("sell.discount")}</span><span class="num">−{money(discount)}</span></div>
              </>
            )}
            <div class="trow grand"><span>{t("sell.total")}</span><span class="num" data-testid="receipt-total">{money(s.total)}</span></div>
            {s.tenders.map((x, i) => (
              <div class="trow" key={i} data-testid="receipt-tender" data-kind={x.kind} data-amount={x.amount}>
                <span>{t(`tender.${x.kind}`)}</span>
                <span class="num">{money(x.amount)}</span>
              </div>
            ))}
            {s.change_given > 0 && (
              <div class="trow"><span>{t("receipt.change")}</span><span class="num">{money(s.change_given)}</span></div>
            )}
          </div>
          {props.member && (
            <div class="paper-sub">
              {t("receipt.member")}: {props.member.name} · {formatPhone(props.member.phone ?? "")}
            </div>
          )}
          <footer class="paper-foot">{t("receipt.thanks")}</footer>
        </article>
        <div class="receipt-actions">
          <Btn onClick={printReceipt} hint="Ctrl+P" testid="receipt-print">
            {t("common.print")}
          </Btn>
          <SaveText receipt={s.receipt} onError={props.onError} />
          <span class="grow" />
          <Btn kind="primary" onClick={props.onNewSale} hint="Enter" testid="new-sale" autoFocus>
            {t("receipt.new_sale")}
          </Btn>
        </div>
      </div>
    </Dialog>
  );
}

export function ReturnReceiptView(props: {
  receipt: ReturnReceipt;
  names: Map<string, string>;
  onDone: () => void;
  onError: (e: UiError) => void;
}): JSX.Element {
  const { t, money, lang, status } = useApp();
  const r = props.receipt.return;
  usePrintKeys(props.onDone);
  return (
    <Dialog title={t("receipt.return_saved")} onClose={props.onDone} testid="return-receipt-dialog" wide>
      <div class="receipt-layout">
        <div class="done-banner" data-testid="return-done" role="status">
          <span class="done-icon">✓</span>
          <div>
            <div class="done-title">{t("receipt.return_saved")}</div>
            <div class="muted" data-testid="return-receipt-no" data-receipt={r.receipt}>
              {t("receipt.no", { no: r.receipt })}
            </div>
          </div>
        </div>
        <article class="paper print-area" data-testid="return-receipt-view" data-receipt={r.receipt}>
          <header class="paper-head">
            <div class="paper-store">{status?.store_name ?? r.store}</div>
            <div class="strong">{t("receipt.return_title")}</div>
            <div>{formatDateTime(r.returned_at_ms, lang)}</div>
            <div>{t("receipt.no", { no: r.receipt })}</div>
            <div>{t("receipt.original", { no: r.original_receipt })}</div>
          </header>
          <table class="paper-lines">
            <tbody>
              {r.lines.map((l, i) => (
                <tr key={i}>
                  <td>
                    <div>{props.names.get(l.sku) ?? l.sku}</div>
                    <div class="paper-sub">{l.sku} · {l.qty}</div>
                  </td>
                  <td class="num">−{money(l.refund)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="paper-totals">
            <div class="trow grand"><span>{t("receipt.refund")}</span><span class="num" data-testid="return-total">{money(r.total_refund)}</span></div>
            {r.refunds.map((x, i) => (
              <div class="trow" key={i}>
                <span>{t(`tender.${x.kind}`)}</span>
                <span class="num">{money(x.amount)}</span>
              </div>
            ))}
          </div>
        </article>
        <div class="receipt-actions">
          <Btn onClick={printReceipt} hint="Ctrl+P" testid="return-print">
            {t("common.print")}
          </Btn>
          <SaveText receipt={r.receipt} onError={props.onError} />
          <span class="grow" />
          <Btn kind="primary" onClick={props.onDone} hint="Enter" testid="return-new">
            {t("common.done")}
          </Btn>
        </div>
      </div>
    </Dialog>
  );
}
