// Holds of limited items (issue 7). The Hold dialog keeps units of a limited
// line for a customer (quantity, for whom, and when it lapses); the Holds
// dialog lists this till's holds — release one, or "sell held" to put its
// units into the cart (the sale then carries `SaleRequest.hold`) — and the
// limited items this till carries, where a store manager may ask head office
// for more.

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { UiError } from "../api/types/UiError";
import { Btn, Dialog, ErrorBox, Field, useApp } from "../components/ui";
import { formatTime } from "../format";
import type { Key } from "../i18n";
import type { LimitHoldView, LimitedStatus } from "../limited/types";
import { checkHoldQty, holdExpiry, holdMinutesLeft, holdState, sortHolds } from "../logic/limited";

export function HoldDialog(props: {
  status: LimitedStatus;
  sku: string;
  qty: number;
  onHeld: (h: LimitHoldView) => void;
  onClose: () => void;
}): JSX.Element {
  const { t, lang } = useApp();
  const s = props.status;
  const [qty, setQty] = useState(String(Math.max(1, Math.min(props.qty, s.available))));
  const [note, setNote] = useState("");
  const [err, setErr] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const now = Date.now();
  const checked = checkHoldQty(qty, s);
  const local = typeof checked === "number" ? null : checked;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy || typeof checked !== "number") return;
    setBusy(true);
    setErr(null);
    try {
      props.onHeld(await api.holdLimited(props.sku, checked, note.trim()));
    } catch (x) {
      setErr(x as UiError);
      setBusy(false);
    }
  };

  return (
    <Dialog title={t("limited.hold_title", { label: s.label })} onClose={() => !busy && props.onClose()} testid="hold-dialog">
      <form class="stack" onSubmit={submit}>
        <p class="muted" data-testid="hold-available" data-count={s.available}>
          {t("limited.hold_available", { n: s.available })}
        </p>
        <Field label={t("limited.hold_qty")}>
          <input
            class="input num"
            inputMode="numeric"
            value={qty}
            autoFocus
            onInput={(e) => setQty(e.currentTarget.value)}
            data-testid="hold-qty"
          />
        </Field>
        <Field label={t("limited.hold_note")}>
          <input
            class="input"
            value={note}
            maxLength={200}
            placeholder={t("limited.hold_note_ph")}
            onInput={(e) => setNote(e.currentTarget.value)}
            data-testid="hold-note"
          />
        </Field>
        {s.hold_minutes > 0 && (
          <p data-testid="hold-expires" data-minutes={s.hold_minutes}>
            {t("limited.hold_expires", { time: formatTime(holdExpiry(now, s.hold_minutes), lang), min: s.hold_minutes })}
          </p>
        )}
        {local && (
          <div class="error-box" role="alert" data-testid="hold-invalid">
            {t(local.error, local.vars)}
          </div>
        )}
        <ErrorBox error={err} testid="hold-error" />
        <div class="row">
          <span class="grow" />
          <Btn onClick={props.onClose} hint="Esc">{t("common.cancel")}</Btn>
          <Btn kind="primary" type="submit" disabled={busy || !!local} testid="hold-submit" hint="Enter">
            {t("limited.hold_submit")}
          </Btn>
        </div>
      </form>
    </Dialog>
  );
}

export function HoldsDialog(props: {
  onSellHold: (h: LimitHoldView) => void;
  onClose: () => void;
}): JSX.Element {
  const { t, lang, isManager, toastInfo } = useApp();
  const [holds, setHolds] = useState<LimitHoldView[] | null>(null);
  const [items, setItems] = useState<LimitedStatus[] | null>(null);
  const [err, setErr] = useState<UiError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());

  const load = () => {
    setNow(Date.now());
    api.holds().then(setHolds, (e: UiError) => setErr(e));
    api.limitedItems().then(setItems, (e: UiError) => setErr(e));
  };
  useEffect(load, []);

  const release = async (h: LimitHoldView) => {
    setBusy(h.id);
    setErr(null);
    try {
      await api.releaseHold(h.id);
      toastInfo(t("limited.hold_released"));
      load();
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setBusy(null);
    }
  };

  const request = async (s: LimitedStatus) => {
    if (!s.sku) return;
    const n = Math.max(1, Math.ceil((s.rights || 4) / 4));
    setBusy(s.key);
    setErr(null);
    try {
      await api.requestRights(s.sku, n);
      toastInfo(t("limited.requested", { n, label: s.label }));
      load();
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setBusy(null);
    }
  };

  const sorted = holds ? sortHolds(holds, now) : null;

  return (
    <Dialog title={t("limited.holds_title")} onClose={props.onClose} testid="holds-dialog" wide>
      <div class="stack">
        <ErrorBox error={err} testid="holds-error" />
        <h3>{t("limited.holds")}</h3>
        <div class="holds-list" data-testid="holds-list">
          {sorted === null ? (
            <p class="muted">{t("app.loading")}</p>
          ) : sorted.length === 0 ? (
            <p class="muted" data-testid="holds-empty">{t("limited.holds_none")}</p>
          ) : (
            sorted.map((h) => {
              const state = holdState(h, now);
              return (
                <div class={`hold-row hold-${state}`} key={h.id} data-testid="hold-row" data-id={h.id} data-status={state} data-sku={h.sku}>
                  <div class="grow">
                    <strong>{h.label}</strong> <span class="muted small mono">{h.sku}</span> × {h.qty}
                    <div class="muted small">{h.note}</div>
                  </div>
                  <div class="hold-when small">
                    <span class={`tag ${state === "held" ? "tag-accent" : ""}`} data-testid="hold-state">
                      {t(`limited.hold_state.${state}` as Key)}
                    </span>
                    {state === "held" && (
                      <div class="muted" data-testid="hold-left" data-minutes={holdMinutesLeft(h, now)}>
                        {t("limited.hold_left", { min: holdMinutesLeft(h, now) })} · {t("limited.hold_until", { time: formatTime(h.expires_at_ms, lang) })}
                      </div>
                    )}
                  </div>
                  {state === "held" && (
                    <div class="row">
                      <Btn onClick={() => void release(h)} disabled={busy !== null} testid="hold-release">
                        {t("limited.hold_release")}
                      </Btn>
                      <Btn kind="primary" onClick={() => props.onSellHold(h)} disabled={busy !== null} testid="hold-sell">
                        {t("limited.hold_sell")}
                      </Btn>
                    </div>
                  )}
                </div>
              );
            })
          )}
        </div>
        <h3>{t("limited.items")}</h3>
        <div class="limited-items" data-testid="limited-items">
          {items !== null && items.length === 0 && <p class="muted">{t("limited.items_none")}</p>}
          {(items ?? []).map((s) => (
            <div class="hold-row" key={s.key} data-testid="limited-item" data-key={s.key} data-available={s.available}>
              <div class="grow">
                <strong>{s.label}</strong> <span class="muted small mono">{s.sku ?? ""}</span>
                <div class="muted small">
                  {t("limited.item_here", { n: s.available })} · {t("limited.item_store", { n: s.store_left })} ·{" "}
                  {t("limited.item_elsewhere", { n: s.elsewhere_left })}
                </div>
              </div>
              {s.request_open && <span class="tag tag-warn" data-testid="limited-request-open">{t("limited.item_request_open")}</span>}
              {isManager && s.sku && s.active && !s.request_open && (
                <Btn onClick={() => void request(s)} disabled={busy !== null} testid="request-rights">
                  {t("limited.request")}
                </Btn>
              )}
            </div>
          ))}
        </div>
      </div>
    </Dialog>
  );
}
