// The status bar at the bottom of every screen after setup: online/offline,
// changes not yet acknowledged by HQ, last sync, new HQ messages; for a store
// manager also the outbox list and "Sync now".

import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { PendingOp } from "../api/types/PendingOp";
import type { UiError } from "../api/types/UiError";
import { formatAgo, formatDateTime, formatNumber } from "../format";
import { Btn, Dialog, ErrorBox, useApp } from "./ui";

export function StatusBar(props: { onMessages: () => void }): JSX.Element {
  const { t, lang, link, status, isManager, toastError, refreshStatus } = useApp();
  const [now, setNow] = useState(Date.now());
  const [outbox, setOutbox] = useState<PendingOp[] | null>(null);
  const [outboxErr, setOutboxErr] = useState<UiError | null>(null);
  const [syncing, setSyncing] = useState(false);
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(id);
  }, []);

  const online = link?.online ?? false;
  const unsent = link?.unsent_ops ?? status?.unsent_ops ?? 0;
  const last = link?.last_sync_ms ?? status?.last_sync_ms ?? null;
  const lastError = link?.last_error ?? status?.last_error ?? null;
  const unread = status?.unread_messages.length ?? 0;

  const syncNow = async () => {
    setSyncing(true);
    try {
      await api.syncNow();
      refreshStatus();
    } catch (e) {
      toastError(e as UiError);
    } finally {
      setTimeout(() => setSyncing(false), 800);
    }
  };
  const openOutbox = async () => {
    setOutbox([]);
    setOutboxErr(null);
    try {
      setOutbox(await api.outboxPending(200));
    } catch (e) {
      setOutboxErr(e as UiError);
    }
  };

  return (
    <footer class="statusbar" data-testid="status-bar">
      <span
        class={`pill ${online ? "pill-good" : "pill-bad"}`}
        data-testid="status-online"
        data-online={String(online)}
        title={lastError ?? undefined}
      >
        <span class="dot" />
        {online ? t("status.online") : t("status.offline")}
      </span>
      <span class={`pill ${unsent > 0 ? "pill-warn" : ""}`} data-testid="status-unsent" data-count={unsent}>
        {unsent > 0 ? t("status.unsent", { n: formatNumber(unsent, lang) }) : t("status.all_sent")}
      </span>
      <span class="muted" data-testid="status-last-sync" title={last ? formatDateTime(last, lang) : undefined}>
        {last ? t("status.last_sync", { ago: formatAgo(last, now, lang) }) : t("status.never_synced")}
      </span>
      {unread > 0 && (
        <button class="link-btn" onClick={props.onMessages} data-testid="status-messages">
          {t("status.messages", { n: unread })}
        </button>
      )}
      <span class="grow" />
      {isManager && (
        <>
          <Btn kind="ghost" onClick={openOutbox} testid="status-outbox">
            {t("status.outbox")}
          </Btn>
          <Btn kind="ghost" onClick={syncNow} disabled={syncing} testid="status-sync-now">
            {syncing ? t("status.syncing") : t("status.sync_now")}
          </Btn>
        </>
      )}
      {outbox && (
        <Dialog title={t("outbox.title")} onClose={() => setOutbox(null)} testid="outbox" wide>
          <ErrorBox error={outboxErr} />
          {outbox.length === 0 && !outboxErr ? (
            <p class="muted">{t("outbox.empty")}</p>
          ) : (
            <table class="table" data-testid="outbox-list">
              <thead>
                <tr>
                  <th>#</th>
                  <th>{t("outbox.kind")}</th>
                  <th>{t("outbox.summary")}</th>
                  <th>{t("common.time")}</th>
                  <th class="num">{t("outbox.bytes")}</th>
                </tr>
              </thead>
              <tbody>
                {outbox.map((o) => (
                  <tr key={o.seq} data-testid="outbox-row">
                    <td class="mono">{o.seq}</td>
                    <td>{o.kind}</td>
                    <td>{o.summary}</td>
                    <td>{formatDateTime(o.at_ms, lang)}</td>
                    <td class="num">{formatNumber(o.bytes, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Dialog>
      )}
    </footer>
  );
}
