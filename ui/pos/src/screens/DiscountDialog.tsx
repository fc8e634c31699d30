// Discount on one line (F6) or on the whole sale (F5): an amount in the
// till's currency or a whole percent. The core checks it against the
// discount limit; over the limit the quote asks for a manager's approval.

import type { JSX } from "preact";
import { useState } from "preact/hooks";

import type { Discount } from "../api/types/Discount";
import { Btn, Dialog, Field, useApp } from "../components/ui";
import { moneyInput, parseMoney } from "../format";
import { parseDiscountInput } from "../logic/errors";

export function DiscountDialog(props: {
  title: string;
  current: Discount | null;
  limitPct: number | null;
  onApply: (d: Discount | null) => void;
  onClose: () => void;
}): JSX.Element {
  const { t, currency } = useApp();
  const [mode, setMode] = useState<"amount" | "percent">(props.current?.kind ?? "percent");
  const [value, setValue] = useState(
    props.current ? (props.current.kind === "amount" ? moneyInput(props.current.value, currency) : String(props.current.value)) : "",
  );
  const [invalid, setInvalid] = useState(false);

  const apply = (e?: Event) => {
    e?.preventDefault();
    const d = parseDiscountInput(value, mode, (s) => parseMoney(s, currency));
    if (!d) {
      setInvalid(true);
      return;
    }
    props.onApply(d);
  };

  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      testid="discount-dialog"
      footer={
        <>
          {props.current && (
            <Btn kind="ghost" onClick={() => props.onApply(null)} testid="discount-remove">
              {t("common.remove")}
            </Btn>
          )}
          <span class="grow" />
          <Btn onClick={props.onClose} hint="Esc">{t("common.cancel")}</Btn>
          <Btn kind="primary" onClick={apply} testid="discount-apply" hint="Enter">
            {t("common.apply")}
          </Btn>
        </>
      }
    >
      <form onSubmit={apply} class="stack">
        <div class="seg" role="group">
          <button type="button" class={mode === "percent" ? "active" : ""} onClick={() => setMode("percent")} data-testid="discount-mode-percent">
            {t("discount.percent")} %
          </button>
          <button type="button" class={mode === "amount" ? "active" : ""} onClick={() => setMode("amount")} data-testid="discount-mode-amount">
            {t("discount.amount")}
          </button>
        </div>
        <Field label={t("discount.value")}>
          <input
            class="input input-big num"
            inputMode="decimal"
            value={value}
            autoFocus
            onInput={(e) => {
              setInvalid(false);
              setValue(e.currentTarget.value);
            }}
            data-testid="discount-value"
          />
        </Field>
        {invalid && (
          <div class="error-box" role="alert" data-testid="discount-error">
            {t("discount.invalid")}
          </div>
        )}
        {props.limitPct != null && <p class="muted small">{t("discount.limit", { pct: props.limitPct })}</p>}
      </form>
    </Dialog>
  );
}
