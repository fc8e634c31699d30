// The login screen: user name and password (the hub's own login, which sets
// the session cookie), with a clear word for every way it can fail —
// including a valid account that is not a driver's.

import { useState } from "preact/hooks";

import { ApiError } from "../api/client";
import type { LoginResponse } from "../api/types";
import type { Key, Lang, T } from "../i18n";
import { translateCode } from "../i18n";

/** The message for a failed login. */
export function loginErrorKey(e: unknown): { key: Key; vars?: Record<string, string | number> } {
  if (e instanceof ApiError) {
    if (e.status === 0) return { key: "login.err.network" };
    if (e.code === "bad_credentials" || e.status === 401) return { key: "login.err.bad_credentials" };
    if (e.code === "account_disabled") return { key: "login.err.disabled" };
    if (e.code === "too_many_attempts" || e.status === 429) return { key: "login.err.throttled", vars: { s: e.retryAfterS ?? 60 } };
    return { key: "error.generic", vars: { error: e.message } };
  }
  return { key: "error.generic", vars: { error: e instanceof Error ? e.message : String(e) } };
}

export function Login(props: {
  t: T;
  lang: Lang;
  notice: string | null;
  login: (username: string, password: string) => Promise<LoginResponse>;
  onDriver: (r: LoginResponse) => void;
  onNotDriver: (r: LoginResponse) => Promise<void>;
}) {
  const { t } = props;
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(ev: Event) {
    ev.preventDefault();
    if (username.trim() === "" || password === "") {
      setError(t("login.err.empty"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await props.login(username.trim(), password);
      if (r.role !== "driver") {
        await props.onNotDriver(r);
        setError(t("login.err.not_driver", { role: translateCode(props.lang, "role", r.role) }));
        return;
      }
      setPassword("");
      props.onDriver(r);
    } catch (e) {
      const { key, vars } = loginErrorKey(e);
      setError(t(key, vars));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="screen login" data-testid="login-screen">
      <h1>{t("login.title")}</h1>
      <p class="muted">{t("login.subtitle")}</p>
      {typeof window !== "undefined" && !window.isSecureContext ? <div class="alert">{t("login.insecure")}</div> : null}
      {props.notice ? <div class="alert" data-testid="login-notice">{props.notice}</div> : null}
      <form onSubmit={submit} class="form">
        <label>
          <span>{t("login.username")}</span>
          <input
            data-testid="login-username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            value={username}
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          <span>{t("login.password")}</span>
          <input
            data-testid="login-password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        {error ? (
          <div class="alert alert-bad" role="alert" data-testid="login-error">
            {error}
          </div>
        ) : null}
        <button type="submit" class="btn btn-go" data-testid="login-submit" disabled={busy}>
          {busy ? t("login.busy") : t("login.submit")}
        </button>
      </form>
    </main>
  );
}
