// Setup: enrol this till with the hub URL and the one-time code from the HQ
// console, then wait until the first sync has brought the catalog and staff
// (the link reports a sync, or the status cursor moves).

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { TillStatus } from "../api/types/TillStatus";
import type { UiError } from "../api/types/UiError";
import { Btn, ErrorBox, Field, useApp } from "../components/ui";
import { LangSwitch } from "../components/LangSwitch";

export function Setup(props: { onDone: () => void }): JSX.Element {
  const { t } = useApp();
  const [hub, setHub] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);
  const [enrolled, setEnrolled] = useState<TillStatus | null>(null);
  const [ready, setReady] = useState(false);

  // After enrolment: poll until the first download has landed.
  useEffect(() => {
    if (!enrolled) return;
    let stop = false;
    const tick = async () => {
      try {
        const [s, l] = await Promise.all([api.status(), api.link().catch(() => null)]);
        if (s.cursor > 0 || s.last_sync_ms != null || l?.last_sync_ms != null) {
          setReady(true);
          // Straight on to the PIN pad.
          setTimeout(props.onDone, 600);
          return;
        }
      } catch {
        /* keep waiting */
      }
      if (!stop) setTimeout(tick, 700);
    };
    void tick();
    return () => {
      stop = true;
    };
  }, [enrolled]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    setBusy(true);
    try {
      setEnrolled(await api.enrol(hub.trim(), code.trim()));
    } catch (x) {
      setErr(x as UiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="center-page">
      <div class="card narrow" data-testid="setup">
        <div class="brand-big">
          <span class="brand-mark">S</span> {t("app.name")}
        </div>
        <h1>{t("setup.title")}</h1>
        {!enrolled ? (
          <form onSubmit={submit} class="stack">
            <p class="muted">{t("setup.lead")}</p>
            <Field label={t("setup.hub")}>
              <input
                class="input"
                type="url"
                value={hub}
                onInput={(e) => setHub(e.currentTarget.value)}
                placeholder="https://hub.example.com"
                autoFocus
                required
                data-testid="setup-hub"
              />
            </Field>
            <Field label={t("setup.code")}>
              <input
                class="input mono"
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
                autoComplete="off"
                required
                data-testid="setup-code"
              />
            </Field>
            <ErrorBox error={err} testid="setup-error" />
            <Btn kind="primary" type="submit" disabled={busy || !hub || !code} testid="setup-submit" hint="Enter">
              {busy ? t("setup.enrolling") : t("setup.submit")}
            </Btn>
          </form>
        ) : (
          <div class="stack" data-testid="setup-progress" data-ready={String(ready)}>
            <p class="strong">
              {t("setup.store", { store: enrolled.store_name ?? enrolled.store ?? "", till: enrolled.till_no ?? "" })}
            </p>
            {!ready ? (
              <div class="progress">
                <div class="spinner" /> {t("setup.downloading")}
              </div>
            ) : (
              <>
                <p class="good-text">{t("setup.done")}</p>
                <Btn kind="primary" onClick={props.onDone} testid="setup-continue" autoFocus hint="Enter">
                  {t("setup.continue")}
                </Btn>
              </>
            )}
          </div>
        )}
        <div class="lang-row">
          <LangSwitch />
        </div>
      </div>
    </div>
  );
}
