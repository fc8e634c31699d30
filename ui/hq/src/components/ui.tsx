// Shared building blocks: the session/language context, data hooks, cards,
// tables with pagination, forms and the error banner that shows the hub's
// JSON error message as it was sent.

import type { ComponentChildren, JSX } from "preact";
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";

import { ApiError, api, errorMessage } from "../api/client";
import type { Store } from "../api/types/Store";
import type { Me } from "../api/types/Me";
import { type Key, type Lang, type T, type Vars, translateCode } from "../i18n";
import { formatMoney, formatNumber } from "../format";

export interface Session {
  me: Me;
  lang: Lang;
  t: T;
  setLang: (l: Lang) => void;
  logout: () => void;
  /** Default currency of the chain (from the first store; KRW when none). */
  currency: string;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside the signed-in console");
  return s;
}

export function useT(): T {
  return useSession().t;
}

/** Money in the session's language. */
export function useMoney(): (minor: number, currency?: string) => string {
  const { lang, currency } = useSession();
  return (minor, cur) => formatMoney(minor, cur ?? currency, lang);
}

let storeNames: Promise<Map<string, string>> | null = null;

/**
 * Code → name of every store and warehouse the user may see (fetched once
 * per page load; empty until it arrives or when the user may not list them).
 */
export function useStoreNames(): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    storeNames ??= api
      .get<Store[]>("/stores")
      .then((all) => new Map(all.map((s) => [s.code, s.name])))
      .catch(() => {
        storeNames = null;
        return new Map<string, string>();
      });
    let live = true;
    void storeNames.then((m) => live && setNames(m));
    return () => {
      live = false;
    };
  }, []);
  return names;
}

/** Forget the cached store names (another user may see other stores). */
export function forgetStoreNames(): void {
  storeNames = null;
}

/** Labels of the hub's codes (`useCode()("tender", "card")` → `Card` / `카드`). */
export function useCode(): (prefix: string, code: string) => string {
  const { lang } = useSession();
  return (prefix, code) => translateCode(lang, prefix, code);
}

export function useNum(): (n: number) => string {
  const { lang } = useSession();
  return (n) => formatNumber(n, lang);
}

export interface Async<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Load `fn()` when `deps` change; keep the last data while reloading. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    fn(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** The hub's error, as it said it (code in small print). */
export function ErrorBanner({ error, onClose }: { error: unknown; onClose?: () => void }) {
  const t = useContext(SessionContext)?.t;
  if (!error) return null;
  let text = errorMessage(error);
  let code: string | null = null;
  let hint: string | null = null;
  if (error instanceof ApiError) {
    code = error.code;
    if (error.code === "network") text = t ? t("error.network") : text;
    if (error.isMissingEndpoint && t) hint = t("error.missing_endpoint");
    if (error.retryAfterS && t) hint = t("error.retry_after", { s: error.retryAfterS });
  }
  return (
    <div class="banner banner-error" role="alert" data-testid="error">
      <div>
        <strong>{text}</strong>
        {hint && <div class="muted small">{hint}</div>}
      </div>
      <div class="banner-side">
        {code && <code class="small">{code}</code>}
        {onClose && (
          <button type="button" class="icon-btn" aria-label="close" onClick={onClose}>
            ×
          </button>
        )}
      </div>
    </div>
  );
}

export function Notice({ children, kind = "ok" }: { children: ComponentChildren; kind?: "ok" | "warn" | "info" }) {
  return (
    <div class={`banner banner-${kind}`} role="status" data-testid="notice">
      {children}
    </div>
  );
}

export function PageHeader({ title, sub, actions }: { title: string; sub?: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <div class="page-header">
      <div>
        <h1>{title}</h1>
        {sub && <div class="muted">{sub}</div>}
      </div>
      {actions && <div class="actions">{actions}</div>}
    </div>
  );
}

export function Card({
  title,
  children,
  actions,
  class: cls,
  testid,
}: {
  title?: ComponentChildren;
  children: ComponentChildren;
  actions?: ComponentChildren;
  class?: string;
  testid?: string;
}) {
  return (
    <section class={`card ${cls ?? ""}`} data-testid={testid}>
      {(title || actions) && (
        <header class="card-head">
          <h2>{title}</h2>
          {actions && <div class="actions">{actions}</div>}
        </header>
      )}
      <div class="card-body">{children}</div>
    </section>
  );
}

export function Kpi({
  label,
  value,
  sub,
  tone,
  testid,
}: {
  label: string;
  value: ComponentChildren;
  sub?: ComponentChildren;
  tone?: "good" | "bad" | "warn";
  testid?: string;
}) {
  return (
    <div class={`kpi ${tone ? `kpi-${tone}` : ""}`} data-testid={testid}>
      <div class="kpi-label">{label}</div>
      <div class="kpi-value" data-testid={testid ? `${testid}-value` : undefined}>
        {value}
      </div>
      {sub && <div class="kpi-sub">{sub}</div>}
    </div>
  );
}

export interface Column<R> {
  key: string;
  label: string;
  render: (row: R, index: number) => ComponentChildren;
  align?: "right" | "center";
  width?: string;
}

export function DataTable<R>({
  columns,
  rows,
  rowKey,
  loading,
  empty,
  testid,
  onRow,
}: {
  columns: Column<R>[];
  rows: R[] | null | undefined;
  rowKey: (r: R, i: number) => string;
  loading?: boolean;
  empty?: string;
  testid?: string;
  onRow?: (r: R) => void;
}) {
  const t = useT();
  return (
    <div class="table-wrap">
      <table class="table" data-testid={testid}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} class={c.align ? `ta-${c.align}` : undefined} style={c.width ? { width: c.width } : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(rows ?? []).map((r, i) => (
            <tr key={rowKey(r, i)} class={onRow ? "clickable" : undefined} onClick={onRow ? () => onRow(r) : undefined}>
              {columns.map((c) => (
                <td key={c.key} class={c.align ? `ta-${c.align}` : undefined}>
                  {c.render(r, i)}
                </td>
              ))}
            </tr>
          ))}
          {(!rows || rows.length === 0) && (
            <tr>
              <td colSpan={columns.length} class="empty">
                {loading ? t("common.loading") : (empty ?? t("common.empty"))}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({
  offset,
  limit,
  total,
  onChange,
}: {
  offset: number;
  limit: number;
  total: number | null;
  onChange: (offset: number) => void;
}) {
  const t = useT();
  const num = useNum();
  const from = total === 0 ? 0 : offset + 1;
  const to = total === null ? offset + limit : Math.min(offset + limit, total);
  return (
    <div class="pager">
      <span class="muted small">
        {total === null
          ? t("pager.range_open", { from: num(from), to: num(to) })
          : t("pager.range", { from: num(from), to: num(to), total: num(total) })}
      </span>
      <div class="btn-group">
        <button type="button" class="btn btn-sm" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
          ‹ {t("pager.prev")}
        </button>
        <button
          type="button"
          class="btn btn-sm"
          disabled={total !== null && offset + limit >= total}
          onClick={() => onChange(offset + limit)}
        >
          {t("pager.next")} ›
        </button>
      </div>
    </div>
  );
}

export function Field({
  label,
  children,
  hint,
}: {
  label: string;
  children: ComponentChildren;
  hint?: string;
}) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
    </label>
  );
}

export function Badge({
  tone,
  children,
  testid,
  title,
}: {
  tone: "good" | "bad" | "warn" | "muted" | "info";
  children: ComponentChildren;
  testid?: string;
  title?: string;
}) {
  return (
    <span class={`badge badge-${tone}`} data-testid={testid} title={title}>
      {children}
    </span>
  );
}

/** A form with a busy state and the hub's error shown above its buttons. */
export function useSubmit<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (...args: A) => {
    setBusy(true);
    setError(null);
    try {
      await fn(...args);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/** The foot of a modal form: the server's error, then Cancel and Save. */
export function FormFooter({
  error,
  busy,
  onCancel,
  testId,
  saveLabel,
}: {
  error: unknown;
  busy: boolean;
  onCancel: () => void;
  testId: string;
  /** The submit button's text (default: Save). */
  saveLabel?: string;
}) {
  const t = useT();
  return (
    <>
      <div class="span-2">
        <ErrorBanner error={error} />
      </div>
      <div class="form-actions span-2">
        <button type="button" class="btn" onClick={onCancel}>
          {t("common.cancel")}
        </button>
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid={testId}>
          {saveLabel ?? t("common.save")}
        </button>
      </div>
    </>
  );
}

export function Modal({
  title,
  onClose,
  children,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    addEventListener("keydown", onKey);
    ref.current?.querySelector<HTMLElement>("input,select,textarea,button")?.focus();
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class={`modal ${wide ? "modal-wide" : ""}`} role="dialog" aria-label={title} ref={ref}>
        <header class="card-head">
          <h2>{title}</h2>
          <button type="button" class="icon-btn" aria-label="close" onClick={onClose}>
            ×
          </button>
        </header>
        <div class="card-body">{children}</div>
      </div>
    </div>
  );
}

/** `value` of an input event. */
export function val(e: JSX.TargetedEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, Event>): string {
  return e.currentTarget.value;
}

/** A key of the dictionary built at run time (e.g. `role.${role}`). */
export function dynKey(k: string): Key {
  return k as Key;
}

export type { Vars };
