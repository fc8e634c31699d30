// Lock screen: a PIN pad (big keys for touch, the keyboard's digits, Enter
// to unlock, Backspace/Esc to correct). The shell checks the PIN against the
// staff PIN hashes offline. Language switch here, before anyone signs in.

import type { JSX } from "preact";
import { useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { Staff } from "../api/types/Staff";
import type { UiError } from "../api/types/UiError";
import { Btn, ErrorBox, useApp } from "../components/ui";
import { LangSwitch } from "../components/LangSwitch";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "back"] as const;

export function Lock(props: { onUnlocked: (s: Staff) => void }): JSX.Element {
  const { t, status } = useApp();
  const [pin, setPin] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);

  const submit = async (e?: Event) => {
    e?.preventDefault();
    if (!pin || busy) return;
    setBusy(true);
    setErr(null);
    try {
      const s = await api.unlock(pin);
      setPin("");
      props.onUnlocked(s);
    } catch (x) {
      setErr(x as UiError);
      setPin("");
    } finally {
      setBusy(false);
    }
  };

  const press = (k: (typeof KEYS)[number]) => {
    setErr(null);
    if (k === "clear") setPin("");
    else if (k === "back") setPin((p) => p.slice(0, -1));
    else setPin((p) => (p.length < 12 ? p + k : p));
    document.querySelector<HTMLInputElement>("[data-testid=pin-input]")?.focus();
  };

  return (
    <div class="center-page lock-page">
      <form class="card lock-card" onSubmit={submit} data-testid="lock">
        <div class="brand-big">
          <span class="brand-mark">S</span>
          <span>
            {status?.store_name ?? t("app.name")}
            {status?.till_no != null && <span class="muted small"> · {t("receipt.till", { till: status.till_no })}</span>}
          </span>
        </div>
        <h1>{t("lock.title")}</h1>
        <p class="muted">{t("lock.lead")}</p>
        {status?.locked && <div class="banner banner-bad">{t("lock.locked_hq")}</div>}
        <input
          class="input pin-input"
          type="password"
          inputMode="numeric"
          autoComplete="off"
          autoFocus
          value={pin}
          onInput={(e) => {
            setErr(null);
            setPin(e.currentTarget.value.replace(/\D/g, "").slice(0, 12));
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") setPin("");
          }}
          aria-label={t("lock.title")}
          data-testid="pin-input"
        />
        <div class="pinpad">
          {KEYS.map((k) => (
            <button
              type="button"
              key={k}
              class={`pin-key ${k.length > 1 ? "pin-key-fn" : ""}`}
              onClick={() => press(k)}
              data-testid={`pin-key-${k}`}
              tabIndex={-1}
            >
              {k === "clear" ? t("lock.clear") : k === "back" ? "⌫" : k}
            </button>
          ))}
        </div>
        <ErrorBox error={err} testid="pin-error" />
        <Btn kind="primary" type="submit" disabled={!pin || busy} testid="pin-submit" class="wide big" hint="Enter">
          {busy ? t("lock.unlocking") : t("lock.unlock")}
        </Btn>
        <div class="lang-row">
          <LangSwitch />
        </div>
      </form>
    </div>
  );
}
