// Sign-in: user name and password; the hub's refusal (wrong password, too
// many attempts, cashier account) is shown as the hub worded it.

import { useState } from "preact/hooks";

import { api } from "../api/client";
import type { LoginResponse } from "../api/types/LoginResponse";
import type { Me } from "../api/types/Me";
import { type Key, type Lang, LANGS, translate } from "../i18n";
import { ApiError } from "../api/client";

export function Login({ lang, setLang, onLoggedIn }: { lang: Lang; setLang: (l: Lang) => void; onLoggedIn: (m: Me) => void }) {
  const t = (k: Key, v?: Record<string, string | number>) => translate(lang, k, v);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<LoginResponse>("/auth/login", { username, password });
      onLoggedIn(answer.user);
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login-page">
      <form class="login-card" onSubmit={submit} data-testid="login-form">
        <div class="brand brand-login">
          <span class="brand-mark">S</span>
          <span>
            <strong>Storelink</strong> <span class="brand-sub">HQ</span>
          </span>
        </div>
        <h1>{t("login.title")}</h1>
        <p class="muted">{t("login.subtitle")}</p>
        <label class="field">
          <span class="field-label">{t("login.username")}</span>
          <input name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span class="field-label">{t("login.password")}</span>
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <div class="banner banner-error" role="alert" data-testid="error">
            <div>
              <strong>{error instanceof ApiError && error.code === "network" ? t("error.network") : error.message}</strong>
              {error instanceof ApiError && error.retryAfterS ? (
                <div class="small">{t("error.retry_after", { s: error.retryAfterS })}</div>
              ) : null}
            </div>
            {error instanceof ApiError && <code class="small">{error.code}</code>}
          </div>
        )}
        <button class="btn btn-primary btn-block" type="submit" disabled={busy} data-testid="login-submit">
          {busy ? t("common.working") : t("login.submit")}
        </button>
        <div class="lang-toggle lang-toggle-center">
          {LANGS.map((l) => (
            <button key={l} type="button" class={l === lang ? "active" : ""} onClick={() => setLang(l)}>
              {l === "ko" ? "한국어" : "English"}
            </button>
          ))}
        </div>
      </form>
    </div>
  );
}
