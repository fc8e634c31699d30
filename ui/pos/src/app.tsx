// The till app: which phase it is in (setup → lock → open shift → work),
// the top bar with the screens and the language menu, the always-visible
// status bar, toasts, and the quit / lock warnings when sales are unsent.
// The shell's session decides who is unlocked; the UI asks it at start.

import type { JSX } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";

import { api, onLink, onQuitRequested } from "./api/tauri";
import type { LinkState } from "./api/types/LinkState";
import type { Staff } from "./api/types/Staff";
import type { TillStatus } from "./api/types/TillStatus";
import type { UiError } from "./api/types/UiError";
import { AppContext, type AppCtx, Btn, Dialog, dialogOpen, moneyOf } from "./components/ui";
import { StatusBar } from "./components/StatusBar";
import { ClockGuardBanner } from "./components/ClockGuard";
import { DeliveryBanner } from "./components/DeliveryBanner";
import { LangSwitch } from "./components/LangSwitch";
import { type Key, type Lang, type Vars, loadLang, saveLang, translate } from "./i18n";
import { KEY_HINT, type Screen, keyAction } from "./logic/keys";
import { showError } from "./logic/errors";
import { Setup } from "./screens/Setup";
import { Lock } from "./screens/Lock";
import { OpenShift } from "./screens/OpenShift";
import { Sell } from "./screens/Sell";
import { Returns } from "./screens/Returns";
import { Stock } from "./screens/Stock";
import { Deliveries } from "./screens/Deliveries";
import { ShiftScreen } from "./screens/Shift";
import { Messages } from "./screens/Messages";
import { Chat } from "./screens/Chat";
import { unreadTotal } from "./logic/chat";

type Phase = "loading" | "setup" | "lock" | "open-shift" | "work";

interface Toast {
  id: number;
  kind: "error" | "info";
  title: string | null;
  text: string;
  code?: string;
}

const CURRENCY_KEY = "storelink.pos.currency";

function storedCurrency(): string {
  try {
    return localStorage.getItem(CURRENCY_KEY) || "KRW";
  } catch {
    return "KRW";
  }
}

export function App(): JSX.Element {
  const [lang, setLangState] = useState<Lang>(loadLang);
  const [currency, setCurrencyState] = useState<string>(storedCurrency);
  const [phase, setPhase] = useState<Phase>("loading");
  const [staff, setStaff] = useState<Staff | null>(null);
  const [status, setStatus] = useState<TillStatus | null>(null);
  const [link, setLink] = useState<LinkState | null>(null);
  const [screen, setScreen] = useState<Screen>("sell");
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [warn, setWarn] = useState<null | { kind: "quit" | "lock"; n: number }>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const [startError, setStartError] = useState<UiError | null>(null);
  const toastId = useRef(0);

  const t = useCallback((key: Key, vars?: Vars) => translate(lang, key, vars), [lang]);
  const setLang = useCallback((l: Lang) => {
    saveLang(l);
    setLangState(l);
  }, []);
  const setCurrency = useCallback((c: string) => {
    setCurrencyState((old) => {
      if (old === c) return old;
      try {
        localStorage.setItem(CURRENCY_KEY, c);
      } catch {
        /* memory only */
      }
      return c;
    });
  }, []);

  const pushToast = useCallback((toast: Omit<Toast, "id">) => {
    const id = ++toastId.current;
    setToasts((ts) => [...ts.slice(-3), { ...toast, id }]);
    setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), toast.kind === "error" ? 8000 : 4000);
  }, []);
  const toastError = useCallback(
    (e: UiError) => {
      const s = showError(lang, e);
      pushToast({ kind: "error", title: s.title, text: s.message, code: s.code });
    },
    [lang, pushToast],
  );
  const toastInfo = useCallback((text: string) => pushToast({ kind: "info", title: null, text }), [pushToast]);

  const refreshStatus = useCallback(() => {
    api.status().then(setStatus, () => undefined);
  }, []);

  // Which phase to start in: enrolled? someone unlocked? a shift open?
  const decide = useCallback(async () => {
    try {
      const info = await api.appInfo();
      const cur = (info as { currency?: string | null }).currency;
      if (cur) setCurrency(cur);
      if (!info.enrolled) {
        setPhase("setup");
        return;
      }
      refreshStatus();
      const who = await api.currentStaff();
      setStaff(who);
      if (!who) {
        setPhase("lock");
        return;
      }
      const shift = await api.currentShift();
      setPhase(shift ? "work" : "open-shift");
    } catch (e) {
      setStartError(e as UiError);
    }
  }, [refreshStatus, setCurrency]);

  useEffect(() => {
    void decide();
  }, [decide]);

  // Status: the link event as it changes, and a poll for unsent/unread/locked.
  useEffect(() => {
    let off: (() => void) | null = null;
    let alive = true;
    void onLink((l) => {
      setLink(l);
      refreshStatus();
    }).then((f) => (alive ? (off = f) : f()));
    api.link().then(setLink, () => undefined);
    const timer = setInterval(refreshStatus, 5000);
    return () => {
      alive = false;
      off?.();
      clearInterval(timer);
    };
  }, [refreshStatus]);

  const unsent = link?.unsent_ops ?? status?.unsent_ops ?? 0;
  const unsentRef = useRef(unsent);
  unsentRef.current = unsent;

  // The window's close button.
  useEffect(() => {
    let off: (() => void) | null = null;
    let alive = true;
    void onQuitRequested((q) => {
      if (q && q.unsent_ops > 0) {
        setWarn({ kind: "quit", n: q.unsent_ops });
        return;
      }
      api.quit(false).catch((e: UiError) =>
        e.code === "unsent_sales" ? setWarn({ kind: "quit", n: Math.max(1, unsentRef.current) }) : toastError(e),
      );
    }).then((f) => (alive ? (off = f) : f()));
    return () => {
      alive = false;
      off?.();
    };
  }, [toastError]);

  const doLock = useCallback(async () => {
    setWarn(null);
    try {
      await api.lockScreen();
    } catch (e) {
      toastError(e as UiError);
      return;
    }
    setStaff(null);
    setScreen("sell");
    setPhase("lock");
  }, [toastError]);

  const askLock = useCallback(() => {
    if (unsentRef.current > 0) setWarn({ kind: "lock", n: unsentRef.current });
    else void doLock();
  }, [doLock]);

  const ctx: AppCtx = useMemo(
    () => ({
      lang,
      t,
      setLang,
      currency,
      setCurrency,
      money: moneyOf(lang, currency),
      staff,
      isManager: staff?.role === "store_manager",
      status,
      link,
      refreshStatus,
      toastError,
      toastInfo,
    }),
    [lang, t, setLang, currency, setCurrency, staff, status, link, refreshStatus, toastError, toastInfo],
  );

  // Global keys while working: F1/F9/F10/F11/F12 screens, Ctrl+L lock, Ctrl+M messages.
  useEffect(() => {
    if (phase !== "work" && phase !== "open-shift") return;
    const onKey = (e: KeyboardEvent) => {
      const a = keyAction(e, screen, dialogOpen());
      if (!a) return;
      if (a.startsWith("nav.") && phase === "work") {
        e.preventDefault();
        setScreen(a.slice(4) as Screen);
      } else if (a === "lock") {
        e.preventDefault();
        askLock();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [phase, screen, askLock]);

  const unread = status?.unread_messages.length ?? 0;
  const chatUnread = unreadTotal(status?.chat_unread);

  let body: JSX.Element;
  if (startError) {
    body = (
      <div class="center-page">
        <div class="card narrow">
          <h1>{t("app.name")}</h1>
          <div class="error-box" role="alert" data-testid="start-error">
            {startError.message}
          </div>
          <Btn kind="primary" onClick={() => { setStartError(null); void decide(); }}>
            {t("common.retry")}
          </Btn>
        </div>
      </div>
    );
  } else if (phase === "loading") {
    body = <div class="center-page muted">{t("app.loading")}</div>;
  } else if (phase === "setup") {
    body = <Setup onDone={() => { refreshStatus(); setPhase("lock"); }} />;
  } else if (phase === "lock") {
    body = (
      <Lock
        onUnlocked={async (s) => {
          setStaff(s);
          try {
            const shift = await api.currentShift();
            setPhase(shift ? "work" : "open-shift");
          } catch (e) {
            toastError(e as UiError);
            setPhase("open-shift");
          }
        }}
      />
    );
  } else if (phase === "open-shift") {
    body = <OpenShift onOpened={() => { setScreen("sell"); setPhase("work"); }} onLock={askLock} />;
  } else {
    const nav: { id: Screen; key: Key; badge?: number }[] = [
      { id: "sell", key: "nav.sell" },
      { id: "returns", key: "nav.returns" },
      { id: "stock", key: "nav.stock" },
      { id: "deliveries", key: "nav.deliveries" },
      { id: "shift", key: "nav.shift" },
      { id: "messages", key: "nav.messages", badge: unread },
      { id: "chat", key: "nav.chat", badge: chatUnread },
    ];
    body = (
      <div class="work">
        <header class="topbar">
          <div class="brand">
            <span class="brand-mark">S</span>
            <span class="brand-text">
              <span class="brand-name">{status?.store_name ?? t("app.name")}</span>
              {status?.till_no != null && (
                <span class="brand-sub">{t("receipt.till", { till: status.till_no })}</span>
              )}
            </span>
          </div>
          <nav class="tabs" role="tablist">
            {nav.map((n) => (
              <button
                key={n.id}
                role="tab"
                aria-selected={screen === n.id}
                class={`tab ${screen === n.id ? "active" : ""}`}
                onClick={() => setScreen(n.id)}
                data-testid={`nav-${n.id}`}
              >
                {t(n.key)}
                {!!n.badge && <span class="badge" data-testid={`${n.id}-badge`} data-count={n.badge}>{n.badge}</span>}
                <kbd class="hint">{KEY_HINT[`nav.${n.id}`]}</kbd>
              </button>
            ))}
          </nav>
          <div class="top-right">
            <div class="who" data-testid="staff-name">
              <span class="who-name">{staff?.display_name}</span>
              <span class="who-role">{staff ? t(`role.${staff.role}` as Key) : ""}</span>
            </div>
            <div class="menu-wrap">
              <Btn kind="ghost" onClick={() => setMenuOpen((o) => !o)} testid="menu">
                {t("nav.menu")}
              </Btn>
              {menuOpen && (
                <div class="menu" role="menu">
                  <div class="menu-label">{t("common.language")}</div>
                  <LangSwitch />
                  <button class="menu-item" role="menuitem" data-testid="menu-lock" onClick={() => { setMenuOpen(false); askLock(); }}>
                    {t("nav.lock")} <kbd class="hint">Ctrl+L</kbd>
                  </button>
                </div>
              )}
            </div>
            <Btn kind="ghost" onClick={askLock} hint="Ctrl+L" testid="lock-button">
              {t("nav.lock")}
            </Btn>
          </div>
        </header>
        {status?.locked && (
          <div class="banner banner-bad" role="alert" data-testid="status-locked">
            {t("status.locked_hq")}
          </div>
        )}
        <ClockGuardBanner />
        {screen === "sell" && <DeliveryBanner onOpen={() => setScreen("deliveries")} />}
        <main class="work-main">
          {screen === "sell" && <Sell />}
          {screen === "returns" && <Returns />}
          {screen === "stock" && <Stock />}
          {screen === "deliveries" && <Deliveries />}
          {screen === "shift" && <ShiftScreen onClosed={() => setPhase("open-shift")} />}
          {screen === "messages" && <Messages />}
          {screen === "chat" && <Chat />}
        </main>
      </div>
    );
  }

  return (
    <AppContext.Provider value={ctx}>
      <div class="app" onClick={() => menuOpen && setMenuOpen(false)}>
        {body}
        {phase !== "setup" && phase !== "loading" && <StatusBar onMessages={() => setScreen("messages")} />}
        <div class="toasts" aria-live="polite">
          {toasts.map((x) => (
            <div key={x.id} class={`toast toast-${x.kind}`} data-testid="toast" data-code={x.code}>
              {x.title && <strong>{x.title}</strong>}
              <span>{x.text}</span>
            </div>
          ))}
        </div>
        {warn && (
          <Dialog
            title={warn.kind === "quit" ? t("quit.title") : t("lock.warn_title")}
            onClose={() => setWarn(null)}
            testid={warn.kind === "quit" ? "quit-warning" : "lock-warning"}
            footer={
              <>
                <Btn onClick={() => setWarn(null)} testid="warn-cancel" hint="Esc">
                  {t("quit.stay")}
                </Btn>
                {warn.kind === "quit" ? (
                  <Btn kind="danger" testid="quit-confirm" onClick={() => api.quit(true).catch((e: UiError) => toastError(e))}>
                    {t("quit.confirm")}
                  </Btn>
                ) : (
                  <Btn kind="danger" testid="lock-confirm" onClick={() => void doLock()}>
                    {t("lock.confirm")}
                  </Btn>
                )}
              </>
            }
          >
            <p data-testid="warn-unsent" data-count={warn.n}>{t("quit.lead", { n: warn.n })}</p>
          </Dialog>
        )}
      </div>
    </AppContext.Provider>
  );
}
