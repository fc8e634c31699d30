// The console shell: session check, login, the sidebar with role-aware
// navigation, the top bar (live indicator, language, user) and the page.

import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";

import { api } from "./api/client";
import type { Me } from "./api/types/Me";
import type { Store } from "./api/types/Store";
import { type Key, type Lang, LANGS, loadLang, saveLang, translate } from "./i18n";
import { type LiveStatus, live } from "./live/socket";
import { navigate, useRoute } from "./router";
import { type Page, PAGE_PATHS, pageForPath, pagesFor } from "./roles";
import { Icon } from "./components/icons";
import { type Session, ErrorBanner, SessionContext, dynKey, forgetStoreNames, useSession } from "./components/ui";
import { Login } from "./pages/Login";
import { DashboardPage } from "./pages/Dashboard";
import { InventoryPage } from "./pages/Inventory";
import { CatalogPage } from "./pages/Catalog";
import { SalesPage } from "./pages/Sales";
import { MembersPage } from "./pages/Members";
import { StoresPage } from "./pages/Stores";
import { TillsPage } from "./pages/Tills";
import { UsersPage } from "./pages/Users";
import { AuditPage } from "./pages/Audit";
import { ChatPage } from "./pages/Chat";
import { NoticesPage } from "./pages/Notices";
import { TicketsPage } from "./pages/Tickets";
import { DropsPage } from "./pages/Drops";
import { ReplenishmentPage } from "./pages/Replenishment";
import { ShipmentsPage } from "./pages/Shipments";
import { UnreadBadge } from "./components/chat/UnreadBadge";

const PAGES: Record<Page, () => ComponentChildren> = {
  dashboard: () => <DashboardPage />,
  inventory: () => <InventoryPage />,
  catalog: () => <CatalogPage />,
  sales: () => <SalesPage />,
  members: () => <MembersPage />,
  stores: () => <StoresPage />,
  tills: () => <TillsPage />,
  chat: () => <ChatPage />,
  notices: () => <NoticesPage />,
  tickets: () => <TicketsPage />,
  drops: () => <DropsPage />,
  replenishment: () => <ReplenishmentPage />,
  shipments: () => <ShipmentsPage />,
  map: () => <LazyLiveMap />,
  users: () => <UsersPage />,
  audit: () => <AuditPage />,
};

/** The live map page, loaded on first visit (Leaflet stays out of the main bundle). */
function LazyLiveMap() {
  const [page, setPage] = useState<{ Page: () => ComponentChildren } | null>(null);
  const [failed, setFailed] = useState<unknown>(null);
  useEffect(() => {
    import("./pages/LiveMap").then((m) => setPage({ Page: m.LiveMapPage }), setFailed);
  }, []);
  if (failed) return <ErrorBanner error={failed} />;
  return page ? <page.Page /> : <div class="muted">…</div>;
}

export function App() {
  const [lang, setLangState] = useState<Lang>(loadLang);
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  const [currency, setCurrency] = useState("KRW");
  const t = useMemo(() => (key: Key, vars?: Record<string, string | number>) => translate(lang, key, vars), [lang]);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  useEffect(() => {
    api.onUnauthorized = () => setMe(null);
    api
      .get<Me>("/auth/me")
      .then(setMe, () => setMe(null))
      .finally(() => setChecking(false));
  }, []);

  useEffect(() => {
    if (!me) {
      live.stop();
      return;
    }
    live.start();
    api.get<Store[]>("/stores").then(
      (stores) => {
        const own = stores.find((s) => s.code === me.store) ?? stores.find((s) => s.kind === "store") ?? stores[0];
        if (own) setCurrency(own.currency);
      },
      () => undefined,
    );
  }, [me]);

  const setLang = (l: Lang) => {
    saveLang(l);
    setLangState(l);
  };

  const logout = () => {
    api.post("/auth/logout").catch(() => undefined);
    setMe(null);
    navigate("/login", true);
  };

  if (checking) return <div class="splash">Storelink HQ</div>;
  if (!me) {
    return (
      <Login
        lang={lang}
        setLang={setLang}
        onLoggedIn={(m) => {
          forgetStoreNames();
          setMe(m);
          if (location.pathname === "/login") navigate("/", true);
        }}
      />
    );
  }
  const session: Session = { me, lang, t, setLang, logout, currency };
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  );
}

function LiveIndicator({ t }: { t: Session["t"] }) {
  const [status, setStatus] = useState<LiveStatus>(live.status);
  useEffect(() => live.onStatus(setStatus), []);
  return (
    <span class={`live live-${status}`} data-testid="live-indicator" data-state={status} title={t(dynKey(`live.${status}`))}>
      <span class="live-dot" />
      {t(dynKey(`live.${status}`))}
    </span>
  );
}

function Shell() {
  const route = useRoute();
  const session = useSession();
  const { me, t, lang, setLang, logout } = session;
  const pages = pagesFor(me.role);
  let page = pageForPath(route.path);
  if (route.path === "/login") page = "dashboard";
  const allowed = page !== null && pages.includes(page);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    if (route.path === "/login") navigate("/", true);
  }, [route.path]);

  useEffect(() => {
    document.title = `${page ? t(dynKey(`nav.${page}`)) : "Storelink"} · Storelink HQ`;
  }, [page, t]);

  return (
    <div class={`shell ${menuOpen ? "menu-open" : ""}`}>
      <aside class="sidebar">
        <div class="brand">
          <span class="brand-mark">S</span>
          <span>
            <strong>Storelink</strong> <span class="brand-sub">HQ</span>
          </span>
        </div>
        <nav>
          {pages.map((p) => (
            <a
              key={p}
              href={PAGE_PATHS[p]}
              class={`nav-item ${p === page ? "active" : ""}`}
              data-testid={`nav-${p}`}
              onClick={(e) => {
                e.preventDefault();
                setMenuOpen(false);
                navigate(PAGE_PATHS[p]);
              }}
            >
              <Icon name={p} />
              <span>{t(dynKey(`nav.${p}`))}</span>
              {p === "chat" && <UnreadBadge />}
            </a>
          ))}
        </nav>
        <div class="sidebar-foot">
          <div class="who">
            <div class="who-name">{me.display_name || me.username}</div>
            <div class="who-role">
              {t(dynKey(`role.${me.role}`))}
              {me.store ? ` · ${me.store}` : ""}
            </div>
          </div>
        </div>
      </aside>
      <div class="main">
        <header class="topbar">
          <button type="button" class="icon-btn menu-btn" aria-label="menu" onClick={() => setMenuOpen(!menuOpen)}>
            ☰
          </button>
          <div class="topbar-title">{page ? t(dynKey(`nav.${page}`)) : ""}</div>
          <LiveIndicator t={t} />
          <div class="lang-toggle" role="group" aria-label={t("common.language")}>
            {LANGS.map((l) => (
              <button
                key={l}
                type="button"
                class={l === lang ? "active" : ""}
                data-testid={`lang-${l}`}
                aria-pressed={l === lang}
                onClick={() => setLang(l)}
              >
                {l === "ko" ? "한국어" : "English"}
              </button>
            ))}
          </div>
          <button type="button" class="btn btn-ghost btn-sm" data-testid="logout" onClick={logout}>
            {t("common.logout")}
          </button>
        </header>
        <main class="content">
          {allowed && page ? (
            PAGES[page]()
          ) : (
            <div class="card card-body">
              <h1>{page ? t("error.forbidden_page") : t("error.no_page")}</h1>
              <p>
                <a
                  href="/"
                  onClick={(e) => {
                    e.preventDefault();
                    navigate("/");
                  }}
                >
                  {t("nav.dashboard")}
                </a>
              </p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
