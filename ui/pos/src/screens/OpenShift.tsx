// Open a shift: the cashier counts the drawer and enters the opening float.
// Selling needs an open shift (the shell refuses `sell` without one).

import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { UiError } from "../api/types/UiError";
import { Btn, ErrorBox, Field, useApp } from "../components/ui";
import { parseMoney } from "../format";

export function OpenShift(props: { onOpened: () => void; onLock: () => void }): JSX.Element {
  const { t, currency, staff, money } = useApp();
  const [float, setFloat] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);
  const value = float.trim() === "" ? 0 : parseMoney(float, currency);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (value === null) {
      setErr({ code: "invalid_input", message: t("pay.invalid_amount") });
      return;
    }
    setBusy(true);
    setErr(null);
    try {
      await api.openShift(value);
      props.onOpened();
    } catch (x) {
      const ue = x as UiError;
      if (ue.code === "shift_already_open") props.onOpened();
      else setErr(ue);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="center-page">
      <form class="card narrow stack" onSubmit={submit} data-testid="open-shift">
        <h1>{t("shift.open_title")}</h1>
        <p class="muted">
          {staff?.display_name} · {t("shift.open_lead")}
        </p>
        <Field label={t("shift.float")} hint={value !== null ? money(value) : t("pay.invalid_amount")}>
          <input
            class="input input-big num"
            inputMode="decimal"
            value={float}
            onInput={(e) => setFloat(e.currentTarget.value)}
            autoFocus
            placeholder="0"
            data-testid="shift-float"
          />
        </Field>
        <ErrorBox error={err} testid="shift-error" />
        <div class="row">
          <Btn onClick={props.onLock} hint="Ctrl+L">{t("nav.lock")}</Btn>
          <span class="grow" />
          <Btn kind="primary" type="submit" disabled={busy || value === null} testid="shift-open" hint="Enter">
            {t("shift.open")}
          </Btn>
        </div>
      </form>
    </div>
  );
}
