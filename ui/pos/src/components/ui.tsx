// Shared building blocks of the till: the app context (language, money,
// staff, status, toasts), buttons with their F-key hint, the modal dialog
// (Esc closes, focus stays inside, focus goes back to the scan field after),
// and the inline error box that shows a rejected command's message.

import type { ComponentChildren, JSX } from "preact";
import { createContext } from "preact";
import { useContext, useEffect, useRef } from "preact/hooks";

import type { LinkState } from "../api/types/LinkState";
import type { Staff } from "../api/types/Staff";
import type { TillStatus } from "../api/types/TillStatus";
import type { UiError } from "../api/types/UiError";
import { formatMoney } from "../format";
import type { Lang, T } from "../i18n";
import { showError } from "../logic/errors";

export interface AppCtx {
  lang: Lang;
  t: T;
  setLang: (l: Lang) => void;
  /** The till's currency (KRW until the shell tells otherwise). */
  currency: string;
  setCurrency: (c: string) => void;
  money: (minor: number) => string;
  staff: Staff | null;
  isManager: boolean;
  status: TillStatus | null;
  link: LinkState | null;
  refreshStatus: () => void;
  /** Show a rejected command's message as a toast. */
  toastError: (e: UiError) => void;
  toastInfo: (text: string) => void;
}

export const AppContext = createContext<AppCtx | null>(null);

export function useApp(): AppCtx {
  const c = useContext(AppContext);
  if (!c) throw new Error("useApp outside the app");
  return c;
}

export function moneyOf(lang: Lang, currency: string): (minor: number) => string {
  return (minor) => formatMoney(minor, currency, lang);
}

/** A button with its keyboard shortcut shown as a small key cap. */
export function Btn(props: {
  children: ComponentChildren;
  onClick?: () => void;
  hint?: string;
  kind?: "primary" | "ghost" | "danger" | "plain" | "big";
  disabled?: boolean;
  testid?: string;
  type?: "button" | "submit";
  class?: string;
  title?: string;
  autoFocus?: boolean;
}): JSX.Element {
  return (
    <button
      type={props.type ?? "button"}
      class={`btn btn-${props.kind ?? "plain"} ${props.class ?? ""}`}
      onClick={props.onClick}
      disabled={props.disabled}
      data-testid={props.testid}
      title={props.title}
      autoFocus={props.autoFocus}
    >
      <span class="btn-label">{props.children}</span>
      {props.hint && <kbd class="hint">{props.hint}</kbd>}
    </button>
  );
}

/** A rejected command's message, inline (role=alert so it is read out). */
export function ErrorBox(props: { error: UiError | null; testid?: string }): JSX.Element | null {
  const { lang } = useApp();
  if (!props.error) return null;
  const s = showError(lang, props.error);
  return (
    <div class="error-box" role="alert" data-testid={props.testid ?? "error"} data-code={s.code}>
      {s.title && <div class="error-title">{s.title}</div>}
      <div class="error-msg">{s.message}</div>
    </div>
  );
}

let openDialogs = 0;
/** Is a modal dialog open (global keys are off then)? */
export function dialogOpen(): boolean {
  return openDialogs > 0;
}

/** A modal dialog: Esc cancels, Tab stays inside, the first field gets focus. */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  testid?: string;
  wide?: boolean;
  footer?: ComponentChildren;
}): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(props.onClose);
  close.current = props.onClose;
  useEffect(() => {
    openDialogs++;
    const before = document.activeElement as HTMLElement | null;
    const el = ref.current;
    const first = el?.querySelector<HTMLElement>("[autofocus], input, select, textarea, button.btn-primary, button");
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        close.current();
      } else if (e.key === "Tab" && el) {
        const items = Array.from(
          el.querySelectorAll<HTMLElement>("input, select, textarea, button:not([disabled]), [tabindex='0']"),
        );
        if (!items.length) return;
        const i = items.indexOf(document.activeElement as HTMLElement);
        const next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : i === items.length - 1 ? 0 : i + 1;
        e.preventDefault();
        items[next]?.focus();
      }
    };
    el?.addEventListener("keydown", onKey);
    return () => {
      openDialogs--;
      el?.removeEventListener("keydown", onKey);
      if (before && document.contains(before)) before.focus();
    };
  }, []);
  return (
    <div class="overlay" data-testid={props.testid ? `${props.testid}-overlay` : undefined}>
      <div
        class={`dialog ${props.wide ? "dialog-wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        ref={ref}
        data-testid={props.testid}
      >
        <header class="dialog-head">
          <h2>{props.title}</h2>
          <button class="icon-btn" type="button" onClick={props.onClose} aria-label="Esc" data-testid="dialog-close">
            <kbd class="hint">Esc</kbd>
          </button>
        </header>
        <div class="dialog-body">{props.children}</div>
        {props.footer && <footer class="dialog-foot">{props.footer}</footer>}
      </div>
    </div>
  );
}

/** A labelled field. */
export function Field(props: { label: string; children: ComponentChildren; hint?: string }): JSX.Element {
  return (
    <label class="field">
      <span class="field-label">{props.label}</span>
      {props.children}
      {props.hint && <span class="field-hint">{props.hint}</span>}
    </label>
  );
}

