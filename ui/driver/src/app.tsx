// The driver page: which screen shows (login, today's shipments, tracking),
// and the long-lived parts behind them — the IndexedDB buffer and its
// sender, the GPS tracker, the online state, and the periodic refresh of
// `/driver/today` that brings the hub's stop statuses and ETAs.
//
// Tracking outlives screens: going back to the list, or a login screen after
// the session ended, keeps the GPS and the buffer running; only Finish or
// Log out stops it. The shipment being driven is remembered on the phone, so
// reopening the page goes straight back to tracking it.

import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";

import { ApiError, driverApi, errorMessage } from "./api/client";
import type { DriverToday, GpsPoint, LoginResponse, ShipmentJson, StopJson } from "./api/types";
import { Header } from "./components/Header";
import { loadLang, otherLang, saveLang, translate, translateCode, type Key, type Lang, type Vars } from "./i18n";
import { Login } from "./screens/Login";
import { Today } from "./screens/Today";
import { Track } from "./screens/Track";
import { IdbPointStore } from "./track/buffer";
import { SpeedSmoother } from "./track/geo";
import { allDone, etaView } from "./track/route";
import { PositionSender, type SenderStatus } from "./track/sender";
import { Tracker, type TrackerState } from "./track/tracker";

/** Where the shipment being driven is remembered. */
const ACTIVE_KEY = "storelink.driver.active";
/** How often `/driver/today` is read while logged in. */
const REFRESH_MS = 20_000;
/** After the hub confirmed positions, read it again if the last read is older than this. */
const REFRESH_AFTER_SEND_MS = 10_000;

type Screen = "boot" | "login" | "today" | "track";

const IDLE_SENDER: SenderStatus = {
  buffered: 0,
  sending: false,
  failures: 0,
  lastError: null,
  lastErrorStatus: null,
  lastSentMs: null,
  retryAtMs: null,
  needsLogin: false,
  confirmed: 0,
  refused: {},
};

function readActive(): string | null {
  try {
    return localStorage.getItem(ACTIVE_KEY);
  } catch {
    return null;
  }
}

function writeActive(id: string | null): void {
  try {
    if (id === null) localStorage.removeItem(ACTIVE_KEY);
    else localStorage.setItem(ACTIVE_KEY, id);
  } catch {
    // private mode: remembered for this visit only
  }
}

export function App() {
  const [lang, setLang] = useState<Lang>(loadLang);
  const t = useCallback((key: Key, vars?: Vars) => translate(lang, key, vars), [lang]);
  const [screen, setScreen] = useState<Screen>("boot");
  const [notice, setNotice] = useState<string | null>(null);
  const [who, setWho] = useState<string | null>(null);
  const [today, setToday] = useState<DriverToday | null>(null);
  const [readAtMs, setReadAtMs] = useState<number | null>(null);
  const [todayError, setTodayError] = useState<string | null>(null);
  const [active, setActive] = useState<string | null>(readActive);
  const [starting, setStarting] = useState<string | null>(null);
  const [trackError, setTrackError] = useState<string | null>(null);
  const [online, setOnline] = useState<boolean>(() => navigator.onLine);
  const [nowMs, setNowMs] = useState(() => Date.now());
  const [senderStatus, setSenderStatus] = useState<SenderStatus>(IDLE_SENDER);
  const [trackerState, setTrackerState] = useState<TrackerState>({ gps: "off", wake: "off", last: null });

  const sender = useRef<PositionSender | null>(null);
  const tracker = useRef<Tracker | null>(null);
  const activeRef = useRef<string | null>(active);
  const smoother = useMemo(() => new SpeedSmoother(), []);

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = translate(lang, "app.title");
  }, [lang]);

  const switchLang = () => {
    const next = otherLang(lang);
    saveLang(next);
    setLang(next);
  };

  // The clock that moves ETAs and retry countdowns.
  useEffect(() => {
    const id = setInterval(() => setNowMs(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);

  const refresh = useCallback(async () => {
    try {
      const r = await driverApi.today();
      setToday(r);
      setWho(r.driver_name);
      setReadAtMs(Date.now());
      setTodayError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        setScreen("login");
        setNotice(translate(lang, "session.expired"));
        return;
      }
      setTodayError(errorMessage(e));
    }
  }, [lang]);

  const onFix = useCallback(
    (p: GpsPoint) => {
      smoother.observe(p);
      const s = sender.current;
      if (!s) return;
      s.record(activeRef.current, p).catch((e: unknown) => {
        setTrackError(translate(lang, "error.storage", { error: errorMessage(e) }));
      });
    },
    [smoother, lang],
  );

  const startTracking = useCallback(
    (id: string) => {
      activeRef.current = id;
      setActive(id);
      writeActive(id);
      if (!tracker.current) tracker.current = new Tracker(onFix, setTrackerState);
      tracker.current.start();
    },
    [onFix],
  );

  const stopTracking = useCallback(() => {
    tracker.current?.stop();
    tracker.current = null;
    activeRef.current = null;
    setActive(null);
    writeActive(null);
  }, []);

  // The buffer and its sender, then who is logged in.
  useEffect(() => {
    let unsub: (() => void) | null = null;
    (async () => {
      try {
        const store = await IdbPointStore.open();
        const s = new PositionSender(store, (b) => driverApi.positions(b));
        sender.current = s;
        unsub = s.subscribe(setSenderStatus);
        await s.refresh();
        s.kick();
      } catch (e) {
        setTrackError(translate(lang, "error.storage", { error: errorMessage(e) }));
      }
      try {
        const me = await driverApi.me();
        if (me.role !== "driver") {
          // A console session of this browser (same hub): say why it is not enough.
          setNotice(translate(lang, "login.err.not_driver", { role: translateCode(lang, "role", me.role) }));
          setScreen("login");
          return;
        }
        setWho(me.display_name);
        await refresh();
        setScreen(activeRef.current ? "track" : "today");
      } catch {
        setScreen("login");
      }
    })();
    return () => {
      unsub?.();
      sender.current?.stop();
    };
    // Once per page load.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Back on the network: send what waited, read the hub again.
  useEffect(() => {
    const up = () => {
      setOnline(true);
      sender.current?.flushNow();
      if (screen === "today" || screen === "track") void refresh();
    };
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, [refresh, screen]);

  // The hub's view (statuses, ETAs) every 30 s while logged in.
  useEffect(() => {
    if (screen !== "today" && screen !== "track") return;
    const id = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(id);
  }, [screen, refresh]);

  // New positions reached the hub: its statuses (geofence arrivals) and ETAs
  // may have moved; read them again unless that was just done.
  useEffect(() => {
    if (screen !== "track" || senderStatus.confirmed === 0) return;
    if (readAtMs === null || Date.now() - readAtMs > REFRESH_AFTER_SEND_MS) void refresh();
    // Only when more positions were confirmed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [senderStatus.confirmed]);

  // The session ended while sending: log in again, tracking goes on meanwhile.
  useEffect(() => {
    if (senderStatus.needsLogin && screen !== "login") {
      setNotice(translate(lang, "session.expired"));
      setScreen("login");
    }
  }, [senderStatus.needsLogin, screen, lang]);

  // Reopened on a shipment being driven: resume tracking it.
  const shipment: ShipmentJson | null = today?.shipments.find((s) => s.id === active) ?? null;
  useEffect(() => {
    if (screen !== "track" || !today) return;
    if (!shipment) {
      // Not (or no longer) this driver's shipment today.
      stopTracking();
      setScreen("today");
      return;
    }
    if (!tracker.current) startTracking(shipment.id);
  }, [screen, today, shipment, startTracking, stopTracking]);

  const onDriver = (r: LoginResponse) => {
    setWho(r.user.display_name);
    setNotice(null);
    sender.current?.resume();
    void refresh().then(() => setScreen(activeRef.current ? "track" : "today"));
  };

  const onNotDriver = async () => {
    // Do not keep a console session open on the drivers' page.
    await driverApi.logout().catch(() => undefined);
  };

  const replaceShipment = (s: ShipmentJson) =>
    setToday((cur) => (cur ? { ...cur, shipments: cur.shipments.map((x) => (x.id === s.id ? s : x)) } : cur));

  const onStart = async (s: ShipmentJson) => {
    setStarting(s.id);
    setTrackError(null);
    try {
      const started = await driverApi.start(s.id);
      replaceShipment(started);
      startTracking(s.id);
      setScreen("track");
    } catch (e) {
      setTodayError(errorMessage(e));
    } finally {
      setStarting(null);
    }
  };

  const onArrive = async (stop: StopJson) => {
    if (!shipment) return;
    setTrackError(null);
    try {
      replaceShipment(await driverApi.arrive(shipment.id, stop.store));
    } catch (e) {
      setTrackError(translate(lang, "error.generic", { error: errorMessage(e) }));
    }
  };

  const onFinish = () => {
    stopTracking();
    sender.current?.flushNow();
    setScreen("today");
    void refresh();
  };

  const onLogout = async () => {
    stopTracking();
    await driverApi.logout().catch(() => undefined);
    setToday(null);
    setWho(null);
    setNotice(null);
    setScreen("login");
  };

  const eta = (stop: StopJson) => etaView(stop, trackerState.last, smoother, nowMs, { readAtMs, online });

  let body;
  if (screen === "boot") body = <main class="screen splash">{t("today.loading")}</main>;
  else if (screen === "login")
    body = (
      <Login
        t={t}
        lang={lang}
        notice={notice}
        login={(u, p) => driverApi.login(u, p)}
        onDriver={onDriver}
        onNotDriver={onNotDriver}
      />
    );
  else if (screen === "track" && shipment)
    body = (
      <Track
        t={t}
        lang={lang}
        shipment={shipment}
        eta={eta}
        online={online}
        sender={senderStatus}
        tracker={trackerState}
        nowMs={nowMs}
        error={trackError}
        onArrive={onArrive}
        onSendNow={() => sender.current?.flushNow()}
        onFinish={onFinish}
        onBack={() => setScreen("today")}
      />
    );
  else
    body = (
      <Today
        t={t}
        lang={lang}
        today={today}
        readAtMs={readAtMs}
        error={todayError ?? (screen === "today" ? trackError : null)}
        starting={starting}
        active={active}
        onStart={(s) => (s.id === active && tracker.current ? setScreen("track") : void onStart(s))}
        onRefresh={() => void refresh()}
        onLogout={() => void onLogout()}
      />
    );

  return (
    <div class={`app${shipment && allDone(shipment) ? " app-done" : ""}`}>
      <Header t={t} lang={lang} onLang={switchLang} who={screen === "login" ? null : who} />
      {body}
    </div>
  );
}
