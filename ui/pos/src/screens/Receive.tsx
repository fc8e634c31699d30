// Receive a delivery (issue 5): scan items to count them up (a scanner types
// the code and Enter), or use − / + and type a count; mark damaged units;
// each line shows expected vs counted and is highlighted short / extra /
// damaged. Confirm shows the summary (shortages, extras, damaged, lines not
// counted) and an optional note; `receive_delivery` then writes everything in
// one transaction on the till, and the done view shows what went on the shelf.

import type { JSX } from "preact";
import { useReducer, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { UiError } from "../api/types/UiError";
import { Btn, Dialog, ErrorBox, Field, useApp } from "../components/ui";
import type { Key } from "../i18n";
import { parseScan } from "../logic/errors";
import { type CountLine, countReducer, countSummary, lineState, startCount, toCounted } from "../logic/logistics";
import type { DeliveryView, ReceivingView } from "../logistics/types";

export function Receive(props: { delivery: DeliveryView; onBack: () => void }): JSX.Element {
  const { t } = useApp();
  const d = props.delivery;
  const [count, dispatch] = useReducer(countReducer, d, startCount);
  const [scanErr, setScanErr] = useState<UiError | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<ReceivingView | null>(null);
  const scanRef = useRef<HTMLInputElement>(null);
  const summary = countSummary(count);

  const onScan = async (e: KeyboardEvent) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const input = e.currentTarget as HTMLInputElement;
    const parsed = parseScan(input.value);
    input.value = "";
    if (!parsed) return;
    setScanErr(null);
    const known = count.lines.find((l) => l.sku === parsed.code);
    let sku = known?.sku ?? null;
    let name = known?.name ?? null;
    if (!sku) {
      try {
        const hit = await api.scan(parsed.code);
        sku = hit.sku;
        name = hit.name;
      } catch (x) {
        setScanErr(x as UiError);
        return;
      }
    }
    for (let i = 0; i < parsed.qty; i++) dispatch({ type: "scan", sku, name });
  };

  if (done) {
    return (
      <div class="page receive-page">
        <div class="card stack done-card" data-testid="receive-done" data-receiving={done.id}>
          <h1>{t("logi.done_title")}</h1>
          <p>{t("logi.done_lead", { good: done.lines.reduce((n, l) => n + l.good, 0) })}</p>
          <p class={done.has_discrepancy ? "warn-text" : "good-text"} data-testid="receive-done-summary">
            {done.has_discrepancy
              ? t("logi.discrepancy", { short: done.shortage_units, damaged: done.damaged_units, extra: done.extra_units })
              : t("logi.no_discrepancy")}
          </p>
          <div class="row-end">
            <Btn kind="primary" onClick={props.onBack} testid="receive-back" autoFocus>
              {t("logi.back")}
            </Btn>
          </div>
        </div>
      </div>
    );
  }

  return (
    <div class="page receive-page">
      <div class="row">
        <h1 class="grow">{t("logi.receive_title", { n: d.stop_no, total: d.stops_total })}</h1>
        <Btn onClick={props.onBack} testid="receive-cancel">{t("common.cancel")}</Btn>
      </div>
      <p class="muted small">{t("logi.driver", { driver: d.driver_name, vehicle: d.vehicle })} · <span class="mono">{d.shipment}</span></p>
      <input
        ref={scanRef}
        class="input input-big"
        placeholder={t("logi.count_scan")}
        onKeyDown={(e) => void onScan(e)}
        autoFocus
        autoComplete="off"
        spellcheck={false}
        data-testid="receive-scan"
      />
      <ErrorBox error={scanErr} testid="receive-scan-error" />
      <table class="table count-table" data-testid="count-table">
        <thead>
          <tr>
            <th>{t("logi.col_item")}</th>
            <th class="num">{t("logi.col_expected")}</th>
            <th class="num">{t("logi.col_counted")}</th>
            <th class="num">{t("logi.col_damaged")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {count.lines.map((l) => (
            <CountRow key={l.sku} line={l} last={count.last === l.sku} dispatch={dispatch} />
          ))}
        </tbody>
      </table>
      <div class="row count-foot">
        <span class="grow muted" data-testid="count-totals">
          {t("logi.count_totals", { expected: summary.expected, received: summary.received, good: summary.good })}
        </span>
        <Btn onClick={() => dispatch({ type: "reset", delivery: d })} testid="count-reset">{t("logi.count_reset")}</Btn>
        <Btn onClick={() => dispatch({ type: "all_expected" })} testid="count-all">{t("logi.count_all")}</Btn>
        <Btn kind="primary" onClick={() => setConfirming(true)} testid="receive-confirm">{t("logi.confirm")}</Btn>
      </div>
      {confirming && (
        <ConfirmReceive
          delivery={d}
          count={count}
          onClose={() => {
            setConfirming(false);
            scanRef.current?.focus();
          }}
          onDone={(r) => {
            setConfirming(false);
            setDone(r);
          }}
        />
      )}
    </div>
  );
}

function CountRow(props: { line: CountLine; last: boolean; dispatch: (a: Parameters<typeof countReducer>[1]) => void }): JSX.Element {
  const { t } = useApp();
  const l = props.line;
  const state = lineState(l);
  const n = state === "short" ? l.expected - l.received : state === "extra" ? l.received - l.expected : l.damaged;
  const num = (v: string): number => (v.trim() === "" ? 0 : Number(v));
  return (
    <tr class={`count-row count-${state} ${props.last ? "count-last" : ""}`} data-testid="count-row" data-sku={l.sku} data-state={state} data-received={l.received} data-damaged={l.damaged}>
      <td>
        {l.name ?? l.sku} <span class="mono muted small">{l.sku}</span>
      </td>
      <td class="num">{l.expected}</td>
      <td class="num">
        <span class="qty">
          <button class="qty-btn" type="button" onClick={() => props.dispatch({ type: "dec", sku: l.sku })} aria-label="−" data-testid="count-dec">−</button>
          <input
            class="input qty-input num"
            inputMode="numeric"
            value={String(l.received)}
            onChange={(e) => props.dispatch({ type: "set", sku: l.sku, received: num(e.currentTarget.value) })}
            data-testid="count-received"
          />
          <button class="qty-btn" type="button" onClick={() => props.dispatch({ type: "inc", sku: l.sku })} aria-label="+" data-testid="count-inc">+</button>
        </span>
      </td>
      <td class="num">
        <input
          class="input qty-input num"
          inputMode="numeric"
          value={String(l.damaged)}
          onChange={(e) => props.dispatch({ type: "damaged", sku: l.sku, damaged: num(e.currentTarget.value) })}
          data-testid="count-damaged"
        />
      </td>
      <td>
        <span class={`tag count-tag-${state}`} data-testid="count-state">{t(`logi.line.${state}` as Key, { n })}</span>
      </td>
    </tr>
  );
}

function ConfirmReceive(props: {
  delivery: DeliveryView;
  count: ReturnType<typeof startCount>;
  onClose: () => void;
  onDone: (r: ReceivingView) => void;
}): JSX.Element {
  const { t, toastInfo } = useApp();
  const s = countSummary(props.count);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);

  const submit = async () => {
    if (busy) return;
    setBusy(true);
    setErr(null);
    try {
      const r = await api.receiveDelivery(props.delivery.shipment, toCounted(props.count), note.trim() || null);
      toastInfo(t("logi.done_title"));
      props.onDone(r);
    } catch (e) {
      setErr(e as UiError);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t("logi.confirm_title")}
      onClose={() => !busy && props.onClose()}
      testid="receive-confirm-dialog"
      footer={
        <>
          <Btn onClick={props.onClose} hint="Esc" disabled={busy}>{t("common.cancel")}</Btn>
          <Btn kind="primary" onClick={() => void submit()} disabled={busy} testid="receive-submit">
            {t("logi.confirm_submit")}
          </Btn>
        </>
      }
    >
      <div class="stack" data-testid="receive-summary" data-shortage={s.shortage} data-extra={s.extra} data-damaged={s.damaged}>
        {s.exact ? (
          <p class="good-text">{t("logi.confirm_exact", { n: s.good })}</p>
        ) : (
          <>
            <p>{t("logi.confirm_problems")}</p>
            <ul class="plain-list" data-testid="receive-problems">
              {s.problems.map((l) => {
                const state = lineState(l);
                const n = state === "short" || state === "uncounted" ? l.expected - l.received : state === "extra" ? l.received - l.expected : l.damaged;
                return (
                  <li key={l.sku} class={`count-${state}`} data-sku={l.sku} data-state={state}>
                    <strong>{l.name ?? l.sku}</strong> <span class="mono muted small">{l.sku}</span> —{" "}
                    {t(`logi.line.${state === "uncounted" ? "short" : state}` as Key, { n })}
                    {l.damaged > 0 && state !== "damaged" && <> · {t("logi.line.damaged", { n: l.damaged })}</>}
                  </li>
                );
              })}
            </ul>
            <p class="muted">{t("logi.discrepancy", { short: s.shortage, damaged: s.damaged, extra: s.extra })}</p>
            {s.uncounted > 0 && <p class="warn-text">{t("logi.confirm_uncounted", { n: s.uncounted })}</p>}
          </>
        )}
        <Field label={t("logi.confirm_note")}>
          <input class="input" value={note} maxLength={200} placeholder={t("logi.confirm_note_ph")} onInput={(e) => setNote(e.currentTarget.value)} data-testid="receive-note" />
        </Field>
        <ErrorBox error={err} testid="receive-error" />
      </div>
    </Dialog>
  );
}
