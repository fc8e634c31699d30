// Pay (F8): split tender. Type an amount (or nothing = the rest) and choose
// Cash (F5), Card (F6) or Other (F7); "still to pay" and "change due" update
// on the keystroke from the local mirror of the core's rules and then from
// `settle_preview`. Complete (F8 / Enter when covered) calls `sell`; only its
// success closes the dialog and shows the receipt. The manager-approval
// dialog for a discount over the limit lives here too.

import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { SaleReceipt } from "../api/types/SaleReceipt";
import type { Settlement } from "../api/types/Settlement";
import type { TenderKind } from "../api/types/TenderKind";
import type { TenderRequest } from "../api/types/TenderRequest";
import type { UiError } from "../api/types/UiError";
import { Btn, Dialog, ErrorBox, Field, useApp } from "../components/ui";
import { currencyDigits, parseMoney } from "../format";
import { type Cart, toSaleRequest } from "../logic/cart";
import { addTender, canComplete, quickCash, removeTender, settleLocal } from "../logic/tender";
import { couponAllowsPay, couponView, normaliseCoupon } from "../logic/limited";

const KIND_KEYS: Record<string, TenderKind> = { F5: "cash", F6: "card", F7: "other" };

export function PayDialog(props: {
  cart: Cart;
  total: number;
  onSold: (r: SaleReceipt) => void;
  /** Put a coupon code on the sale (null removes it); the cart is priced again. */
  onCoupon: (code: string | null) => void;
  onApprovalNeeded: (e: UiError) => void;
  onClose: () => void;
}): JSX.Element {
  const { t, money, currency, staff } = useApp();
  const [couponInput, setCouponInput] = useState("");
  const cv = couponView(props.cart.couponCode, !!props.cart.member, props.cart.quote, props.cart.quoteRev === props.cart.rev);
  const { total } = props;
  const [tenders, setTenders] = useState<TenderRequest[]>([]);
  const [amount, setAmount] = useState("");
  const [preview, setPreview] = useState<{ for: TenderRequest[]; s: Settlement } | null>(null);
  const [previewErr, setPreviewErr] = useState<UiError | null>(null);
  const [err, setErr] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const amountRef = useRef<HTMLInputElement>(null);

  const local = settleLocal(total, tenders);
  const fresh = preview && preview.for === tenders ? preview.s : null;
  const remaining = fresh ? fresh.remaining : local.remaining;
  const change = fresh ? fresh.change_due : local.changeDue;
  const ok = canComplete(total, tenders) && !previewErr && couponAllowsPay(cv);

  // The core's word on the tenders.
  useEffect(() => {
    setPreviewErr(null);
    if (tenders.length === 0) {
      setPreview(null);
      return;
    }
    const mine = tenders;
    api.settlePreview(total, mine).then(
      (s) => setPreview({ for: mine, s }),
      (e: UiError) => setPreviewErr(e),
    );
  }, [tenders, total]);

  const add = (kind: TenderKind) => {
    setErr(null);
    let value: number | null = null;
    if (amount.trim()) {
      value = parseMoney(amount, currency);
      if (value === null || value <= 0) {
        setErr({ code: "invalid_tender", message: t("pay.invalid_amount") });
        return;
      }
    }
    setTenders((ts) => addTender(ts, total, kind, value));
    setAmount("");
    amountRef.current?.focus();
  };

  const complete = async () => {
    if (busy || !ok) return;
    setBusy(true);
    setErr(null);
    try {
      const r = await api.sell(toSaleRequest(props.cart, tenders, staff?.username ?? null));
      props.onSold(r);
    } catch (e) {
      const ue = e as UiError;
      if (ue.code === "approval_required" || ue.code === "approval_refused") props.onApprovalNeeded(ue);
      else setErr(ue);
      setBusy(false);
    }
  };

  const onKey = (e: KeyboardEvent) => {
    const kind = KIND_KEYS[e.key];
    if (kind) {
      e.preventDefault();
      add(kind);
    } else if (e.key === "F8") {
      e.preventDefault();
      void complete();
    }
  };

  const onAmountKey = (e: KeyboardEvent) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    if (amount.trim()) add("cash");
    else void complete();
  };

  const kinds: { kind: TenderKind; key: string }[] = [
    { kind: "cash", key: "F5" },
    { kind: "card", key: "F6" },
    { kind: "other", key: "F7" },
  ];

  return (
    <Dialog title={t("pay.title")} onClose={() => !busy && props.onClose()} testid="pay-dialog" wide>
      <div class="pay" onKeyDown={onKey}>
        <div class="pay-left stack">
          <div class="due">
            <span class="muted">{t("pay.due")}</span>
            <span class="due-amount num" data-testid="pay-due" data-amount={total}>
              {money(total)}
            </span>
          </div>
          <Field label={t("pay.amount")} hint={t("pay.amount_hint")}>
            <input
              ref={amountRef}
              class="input input-big num"
              inputMode="decimal"
              value={amount}
              autoFocus
              placeholder={money(remaining)}
              onInput={(e) => {
                setErr(null);
                setAmount(e.currentTarget.value);
              }}
              onKeyDown={onAmountKey}
              disabled={busy}
              data-testid="tender-amount"
            />
          </Field>
          <div class="tender-kinds">
            {kinds.map((k) => (
              <Btn key={k.kind} kind="plain" class="tender-btn" onClick={() => add(k.kind)} hint={k.key} disabled={busy} testid={`tender-${k.kind}`}>
                {t(`tender.${k.kind}`)}
              </Btn>
            ))}
          </div>
          <div class="coupon" data-testid="coupon" data-state={cv.state}>
            {cv.state === "none" ? (
              <form
                class="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  const code = normaliseCoupon(couponInput);
                  if (code) props.onCoupon(code);
                }}
              >
                <input
                  class="input grow"
                  value={couponInput}
                  placeholder={t("limited.coupon_ph")}
                  aria-label={t("limited.coupon")}
                  autoComplete="off"
                  spellcheck={false}
                  disabled={busy}
                  onInput={(e) => setCouponInput(e.currentTarget.value)}
                  data-testid="coupon-code"
                />
                <Btn type="submit" disabled={busy || !normaliseCoupon(couponInput)} testid="coupon-apply">
                  {t("limited.coupon_apply")}
                </Btn>
              </form>
            ) : (
              <div class="row">
                <div class="grow">
                  <span class="tag tag-accent mono">{cv.code}</span>{" "}
                  {cv.state === "applied" && (
                    <span class="coupon-ok" data-testid="coupon-applied" data-amount={cv.discount}>
                      {t("limited.coupon_applied", { label: cv.label, amount: money(cv.discount) })}
                    </span>
                  )}
                  {cv.state === "pending" && (
                    <span class="muted" data-testid="coupon-pending">{t("limited.coupon_pending", { code: cv.code })}</span>
                  )}
                  {cv.state === "needs_member" && (
                    <div class="error-box" role="alert" data-testid="coupon-refused" data-code="coupon_needs_member">
                      {t("limited.coupon_needs_member")}
                    </div>
                  )}
                  {cv.state === "refused" && (
                    <div class="error-box" role="alert" data-testid="coupon-refused" data-code="coupon">
                      {t("limited.coupon_refused", { code: cv.code, reason: cv.reason })}
                    </div>
                  )}
                </div>
                <Btn
                  kind="ghost"
                  disabled={busy}
                  onClick={() => {
                    setCouponInput("");
                    props.onCoupon(null);
                  }}
                  testid="coupon-remove"
                >
                  {t("limited.coupon_remove")}
                </Btn>
              </div>
            )}
          </div>
          {remaining > 0 && (
            <div class="quick">
              <span class="muted small">{t("pay.quick")}</span>
              {quickCash(remaining, currencyDigits(currency)).map((v) => (
                <button
                  key={v}
                  class="chip"
                  disabled={busy}
                  onClick={() => {
                    setTenders((ts) => addTender(ts, total, "cash", v));
                    amountRef.current?.focus();
                  }}
                  data-testid="quick-cash"
                >
                  {money(v)}
                </button>
              ))}
            </div>
          )}
        </div>
        <div class="pay-right stack">
          <div class="tender-list" data-testid="tender-list">
            {tenders.length === 0 ? (
              <p class="muted">{t("pay.none_yet")}</p>
            ) : (
              tenders.map((x, i) => (
                <div class="tender-line" key={i} data-testid="tender-line" data-kind={x.kind} data-amount={x.amount ?? ""}>
                  <span>{t(`tender.${x.kind}`)}</span>
                  <span class="num">{money(x.amount ?? 0)}</span>
                  <button
                    class="icon-btn"
                    onClick={() => setTenders((ts) => removeTender(ts, i))}
                    disabled={busy}
                    aria-label={t("common.remove")}
                    data-testid="tender-remove"
                  >
                    ×
                  </button>
                </div>
              ))
            )}
          </div>
          <div class="totals">
            <div class="trow">
              <span>{t("pay.tendered")}</span>
              <span class="num" data-testid="pay-tendered">{money(local.paid)}</span>
            </div>
            <div class={`trow grand ${remaining > 0 ? "due-left" : ""}`}>
              <span>{t("pay.remaining")}</span>
              <span class="num" data-testid="pay-remaining" data-amount={remaining}>
                {money(remaining)}
              </span>
            </div>
            {change > 0 && (
              <div class="trow grand change">
                <span>{t("pay.change")}</span>
                <span class="num" data-testid="pay-change" data-amount={change}>
                  {money(change)}
                </span>
              </div>
            )}
          </div>
          {local.excess > 0 && !previewErr && (
            <div class="error-box" role="alert">{t("pay.excess", { amount: money(local.excess) })}</div>
          )}
          <ErrorBox error={previewErr} testid="tender-error" />
          <ErrorBox error={err} testid="pay-error" />
          {(cv.state === "refused" || cv.state === "needs_member") && (
            <div class="muted small" data-testid="coupon-blocks">{t("limited.coupon_blocks")}</div>
          )}
          <Btn kind="big" class="wide" onClick={() => void complete()} disabled={!ok || busy} hint="F8" testid="complete-sale">
            {busy ? t("pay.completing") : t("pay.complete")}
          </Btn>
        </div>
      </div>
    </Dialog>
  );
}

export function ApprovalDialog(props: {
  discount: number;
  limitPct: number;
  error: UiError | null;
  onApprove: (pin: string) => void;
  onClose: () => void;
}): JSX.Element {
  const { t, money } = useApp();
  const [pin, setPin] = useState("");
  const submit = (e: Event) => {
    e.preventDefault();
    if (pin) props.onApprove(pin);
  };
  return (
    <Dialog title={t("approval.title")} onClose={props.onClose} testid="approval-dialog">
      <form class="stack" onSubmit={submit}>
        <p>{t("approval.lead", { amount: money(props.discount), pct: props.limitPct })}</p>
        <Field label={t("approval.pin")}>
          <input
            class="input pin-input"
            type="password"
            inputMode="numeric"
            autoComplete="off"
            autoFocus
            value={pin}
            onInput={(e) => setPin(e.currentTarget.value.replace(/\D/g, ""))}
            data-testid="approval-pin"
          />
        </Field>
        <ErrorBox error={props.error} testid="approval-error" />
        <div class="row">
          <span class="grow" />
          <Btn onClick={props.onClose} hint="Esc">{t("common.cancel")}</Btn>
          <Btn kind="primary" type="submit" disabled={!pin} testid="approval-submit" hint="Enter">
            {t("approval.submit")}
          </Btn>
        </div>
      </form>
    </Dialog>
  );
}
