// Shift: the open shift's figures (`current_shift`), cash in / out with a
// reason (cash out: store manager), and closing with the counted cash →
// the Z report (printable; only the report prints).

import { Fragment, type JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { CashMovementKind } from "../api/types/CashMovementKind";
import type { ShiftSummary } from "../api/types/ShiftSummary";
import type { UiError } from "../api/types/UiError";
import type { ZReport } from "../api/types/ZReport";
import { Btn, Dialog, ErrorBox, Field, useApp } from "../components/ui";
import { formatDateTime, parseMoney } from "../format";
import { printReceipt } from "./ReceiptView";

export function ShiftScreen(props: { onClosed: () => void }): JSX.Element {
  const { t, money, lang, currency, isManager } = useApp();
  const [sum, setSum] = useState<ShiftSummary | null | undefined>(undefined);
  const [err, setErr] = useState<UiError | null>(null);
  const [kind, setKind] = useState<CashMovementKind>("in");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [counted, setCounted] = useState("");
  const [confirm, setConfirm] = useState<number | null>(null);
  const [z, setZ] = useState<ZReport | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    api.currentShift().then(setSum, (e: UiError) => {
      setErr(e);
      setSum(null);
    });
  useEffect(() => {
    void load();
  }, []);

  const move = async (e: Event) => {
    e.preventDefault();
    const v = parseMoney(amount, currency);
    if (v === null || v <= 0) {
      setErr({ code: "invalid_input", message: t("pay.invalid_amount") });
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      await api.cashMovement(kind, v, reason.trim());
      setAmount("");
      setReason("");
      await load();
    } catch (x) {
      setErr(x as UiError);
    } finally {
      setBusy(false);
    }
  };

  const askClose = (e: Event) => {
    e.preventDefault();
    const v = parseMoney(counted, currency);
    if (v === null) {
      setErr({ code: "invalid_input", message: t("pay.invalid_amount") });
      return;
    }
    setConfirm(v);
  };

  const close = async () => {
    if (confirm === null) return;
    setBusy(true);
    setErr(null);
    try {
      setZ(await api.closeShift(confirm));
      setConfirm(null);
    } catch (x) {
      setErr(x as UiError);
      setConfirm(null);
    } finally {
      setBusy(false);
    }
  };

  if (sum === undefined) return <div class="page muted">{t("common.loading")}</div>;

  return (
    <div class="page">
      <h1>{t("shift.title")}</h1>
      <ErrorBox error={err} testid="shift-screen-error" />
      {!sum ? (
        <p class="muted">{t("shift.none")}</p>
      ) : (
        <div class="shift-grid">
          <div class="card stack" data-testid="shift-summary">
            <div class="muted">{t("shift.opened", { time: formatDateTime(sum.shift.opened_at_ms, lang), by: sum.shift.opened_by })}</div>
            <dl class="kv">
              <dt>{t("shift.float")}</dt><dd class="num">{money(sum.shift.float)}</dd>
              <dt>{t("shift.sales")}</dt><dd class="num">{sum.sales_count}</dd>
              <dt>{t("shift.returns")}</dt><dd class="num">{sum.returns_count}</dd>
              <dt>{t("shift.gross")}</dt><dd class="num">{money(sum.gross_sales)}</dd>
              <dt>{t("shift.discounts")}</dt><dd class="num">−{money(sum.discounts)}</dd>
              <dt>{t("shift.net")}</dt><dd class="num strong">{money(sum.net_sales)}</dd>
              <dt>{t("shift.refunds")}</dt><dd class="num">−{money(sum.refunds)}</dd>
              {sum.sales_by_tender.map((x) => (
                <Fragment key={x.kind}>
                  <dt class="indent">{t(`tender.${x.kind}`)}</dt>
                  <dd class="num">{money(x.amount)}</dd>
                </Fragment>
              ))}
              <dt>{t("shift.cash_in")}</dt><dd class="num">{money(sum.cash_in)}</dd>
              <dt>{t("shift.cash_out")}</dt><dd class="num">−{money(sum.cash_out)}</dd>
              <dt class="strong">{t("shift.expected")}</dt>
              <dd class="num strong big-num" data-testid="shift-expected" data-amount={sum.expected_cash}>{money(sum.expected_cash)}</dd>
            </dl>
            {sum.first_receipt && (
              <div class="muted small">{t("shift.receipts", { first: sum.first_receipt, last: sum.last_receipt ?? "" })}</div>
            )}
          </div>
          <div class="stack">
            <form class="card stack" onSubmit={move}>
              <h2>{t("shift.movement")}</h2>
              <div class="seg" role="group">
                <button type="button" class={kind === "in" ? "active" : ""} onClick={() => setKind("in")} data-testid="cash-in">
                  {t("shift.cash_in")}
                </button>
                <button type="button" class={kind === "out" ? "active" : ""} onClick={() => setKind("out")} data-testid="cash-out">
                  {t("shift.cash_out")}
                </button>
              </div>
              {kind === "out" && !isManager && <p class="muted small">{t("shift.manager_only_out")}</p>}
              <div class="row">
                <Field label={t("common.amount")}>
                  <input class="input num" inputMode="decimal" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} data-testid="cash-amount" />
                </Field>
                <Field label={t("common.reason")}>
                  <input class="input" value={reason} placeholder={t("shift.reason_ph")} onInput={(e) => setReason(e.currentTarget.value)} data-testid="cash-reason" />
                </Field>
              </div>
              <Btn type="submit" kind="primary" disabled={busy || !amount} testid="cash-submit">
                {t("shift.movement_add")}
              </Btn>
              {sum.movements.length > 0 && (
                <table class="table small" data-testid="cash-movements">
                  <tbody>
                    {sum.movements.map((m) => (
                      <tr key={m.id}>
                        <td>{formatDateTime(m.at_ms, lang)}</td>
                        <td>{m.kind === "in" ? t("shift.cash_in") : t("shift.cash_out")}</td>
                        <td>{m.reason}</td>
                        <td class="num">{m.kind === "out" ? "−" : ""}{money(m.amount)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </form>
            <form class="card stack" onSubmit={askClose}>
              <h2>{t("shift.close_title")}</h2>
              <Field label={t("shift.counted")}>
                <input class="input input-big num" inputMode="decimal" value={counted} onInput={(e) => setCounted(e.currentTarget.value)} data-testid="close-counted" />
              </Field>
              <Btn type="submit" kind="danger" disabled={busy || !counted.trim()} testid="close-shift">
                {t("shift.close")}
              </Btn>
            </form>
          </div>
        </div>
      )}
      {confirm !== null && (
        <Dialog
          title={t("shift.close_title")}
          onClose={() => setConfirm(null)}
          testid="close-confirm"
          footer={
            <>
              <Btn onClick={() => setConfirm(null)} hint="Esc">{t("common.cancel")}</Btn>
              <Btn kind="danger" onClick={() => void close()} disabled={busy} testid="close-confirm-yes">
                {t("shift.close")}
              </Btn>
            </>
          }
        >
          <p>{t("shift.close_confirm", { counted: money(confirm) })}</p>
        </Dialog>
      )}
      {z && (
        <Dialog title={t("shift.z_title")} onClose={() => { setZ(null); props.onClosed(); }} testid="zreport" wide>
          <div class="receipt-layout">
            <div class="row">
              <span>{t("shift.expected")}: <strong class="num">{money(z.summary.expected_cash)}</strong></span>
              <span>{t("shift.counted")}: <strong class="num">{money(z.counted_cash)}</strong></span>
              <span>
                {t("shift.over_short")}:{" "}
                <strong class={`num ${z.over_short < 0 ? "bad-text" : z.over_short > 0 ? "warn-text" : ""}`} data-testid="zreport-over-short" data-amount={z.over_short}>
                  {money(z.over_short)}
                </strong>
              </span>
            </div>
            <pre class="paper print-area zreport-text" data-testid="zreport-view">{z.text}</pre>
            <div class="receipt-actions">
              <Btn onClick={printReceipt} hint="Ctrl+P" testid="zreport-print">{t("common.print")}</Btn>
              <span class="grow" />
              <Btn kind="primary" onClick={() => { setZ(null); props.onClosed(); }} testid="zreport-done" autoFocus>
                {t("common.done")}
              </Btn>
            </div>
          </div>
        </Dialog>
      )}
    </div>
  );
}
