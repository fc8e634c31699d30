// Tills (fleet): every till's state, live from /events `till` messages (and
// a slow refetch as a safety net), with remote commands — lock, unlock,
// force sync, show a message — delivered on the till's next contact.

import { useEffect, useState } from "preact/hooks";

import { api } from "../api/client";
import type { TillCommandKind as CommandKind } from "../api/types/TillCommandKind";
import type { Till } from "../api/types/Till";
import type { TillCommand } from "../api/types/TillCommand";
import { Badge, Card, DataTable, ErrorBanner, Field, Modal, Notice, PageHeader, useSession, useSubmit, dynKey } from "../components/ui";
import { formatAgo, formatNumber } from "../format";
import { live } from "../live/socket";
import { canEdit } from "../roles";

const REFRESH_MS = 10_000;

/** Merge a `till` event into the list (new tills are appended). */
export function upsertTill(list: Till[], till: Till): Till[] {
  const i = list.findIndex((x) => x.actor === till.actor);
  if (i < 0) return [...list, till];
  const next = list.slice();
  next[i] = { ...list[i], ...till };
  return next;
}

export function TillsPage() {
  const { me, t, lang } = useSession();
  const ownStore = me.role === "store_manager" ? me.store : null;
  const [tills, setTills] = useState<Till[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());
  const [notice, setNotice] = useState<string | null>(null);
  const [messageFor, setMessageFor] = useState<Till | null>(null);
  const [showRevoked, setShowRevoked] = useState(false);
  const commands = canEdit(me.role, "commands");

  useEffect(() => {
    let stop = false;
    const load = () =>
      api.get<Till[]>("/tills", { store: ownStore }).then(
        (list) => {
          if (!stop) {
            setTills(list);
            setError(null);
          }
        },
        (e: unknown) => !stop && setError(e),
      );
    void load();
    const iv = setInterval(() => void load(), REFRESH_MS);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const off = live.subscribe((e) => {
      if (e.type === "till") {
        const { type: _t, ...till } = e;
        if (!ownStore || till.store === ownStore) setTills((l) => upsertTill(l ?? [], till));
      } else if (e.type === "command") {
        void load();
      }
    });
    return () => {
      stop = true;
      clearInterval(iv);
      clearInterval(tick);
      off();
    };
  }, [ownStore]);

  const send = useSubmit(async (till: Till, kind: CommandKind, message?: string) => {
    const cmd = await api.post<TillCommand>(`/tills/${encodeURIComponent(till.actor)}/commands`, { kind, message });
    setNotice(t("tills.sent", { kind: t(dynKey(`tills.cmd.${kind}`)), till: `${till.store} #${till.till_no}`, status: t(dynKey(`tills.status.${cmd.status}`)) }));
    setTills((l) => (l ? upsertTill(l, { ...till, pending_commands: (till.pending_commands ?? 0) + 1 }) : l));
  });
  const revoke = useSubmit(async (till: Till) => {
    if (!confirm(t("tills.revoke_confirm", { till: `${till.store} #${till.till_no}` }))) return;
    await api.post(`/tills/${encodeURIComponent(till.actor)}/revoke`);
    setTills((l) => (l ? upsertTill(l, { ...till, revoked: true, online: false }) : l));
  });

  const rows = (tills ?? []).filter((x) => showRevoked || !x.revoked).sort((a, b) => a.store.localeCompare(b.store) || a.till_no - b.till_no);
  const online = rows.filter((x) => x.online).length;
  return (
    <div data-testid="page-tills">
      <PageHeader
        title={t("nav.tills")}
        sub={t("tills.subtitle", { online, total: rows.length })}
        actions={
          <label class="check">
            <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.currentTarget.checked)} /> {t("tills.show_revoked")}
          </label>
        }
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={error ?? send.error ?? revoke.error} onClose={send.error || revoke.error ? () => { send.setError(null); revoke.setError(null); } : undefined} />
      <Card>
        <DataTable
          testid="tills"
          rows={rows}
          loading={tills === null}
          rowKey={(x) => x.actor}
          empty={t("tills.none")}
          columns={[
            { key: "till", label: t("tills.till"), render: (x) => <span data-testid={`till-${x.store}-${x.till_no}`}><strong>{x.store}</strong> #{x.till_no}</span> },
            {
              key: "state",
              label: t("tills.state"),
              render: (x) => (
                <span class="badges">
                  {x.revoked ? (
                    <Badge tone="muted">{t("tills.revoked")}</Badge>
                  ) : x.online ? (
                    <Badge tone="good" testid="till-online">{t("tills.online")}</Badge>
                  ) : (
                    <Badge tone="bad">{t("tills.offline")}</Badge>
                  )}
                  {x.locked && <Badge tone="warn" testid="till-locked">{t("tills.locked")}</Badge>}
                </span>
              ),
            },
            { key: "seen", label: t("tills.last_seen"), render: (x) => (x.last_seen_ms ? formatAgo(x.last_seen_ms, now, lang) : "—") },
            {
              key: "unsent",
              label: t("tills.unsent"),
              align: "right",
              render: (x) => {
                const n = x.unsent_ops;
                return n === null ? "—" : <span class={n > 0 ? "warn-text" : ""}>{formatNumber(n, lang)}</span>;
              },
            },
            { key: "ver", label: t("tills.version"), render: (x) => <span class="mono small">{x.app_version}</span> },
            { key: "err", label: t("tills.last_error"), render: (x) => (x.last_error ? <span class="bad-text small">{x.last_error}</span> : <span class="muted">—</span>) },
            { key: "pending", label: t("tills.pending"), align: "right", render: (x) => (x.pending_commands ? <Badge tone="info">{x.pending_commands}</Badge> : "") },
            {
              key: "cmd",
              label: "",
              align: "right",
              render: (x) =>
                commands && !x.revoked ? (
                  <div class="btn-group">
                    {x.locked ? (
                      <button type="button" class="btn btn-sm" data-testid="cmd-unlock" disabled={send.busy} onClick={() => void send.run(x, "unlock")}>
                        {t("tills.cmd.unlock")}
                      </button>
                    ) : (
                      <button type="button" class="btn btn-sm btn-warn" data-testid="cmd-lock" disabled={send.busy} onClick={() => void send.run(x, "lock")}>
                        {t("tills.cmd.lock")}
                      </button>
                    )}
                    <button type="button" class="btn btn-sm" data-testid="cmd-sync" disabled={send.busy} onClick={() => void send.run(x, "force_sync")}>
                      {t("tills.cmd.force_sync")}
                    </button>
                    <button type="button" class="btn btn-sm" data-testid="cmd-message" onClick={() => setMessageFor(x)}>
                      {t("tills.cmd.show_message")}
                    </button>
                    {me.role === "hq_admin" && (
                      <button type="button" class="btn btn-sm btn-ghost bad-text" disabled={revoke.busy} onClick={() => void revoke.run(x)}>
                        {t("tills.revoke")}
                      </button>
                    )}
                  </div>
                ) : null,
            },
          ]}
        />
      </Card>
      {messageFor && (
        <MessageForm
          till={messageFor}
          onClose={() => setMessageFor(null)}
          onSend={async (msg) => {
            await send.run(messageFor, "show_message", msg);
            setMessageFor(null);
          }}
        />
      )}
    </div>
  );
}

function MessageForm({ till, onClose, onSend }: { till: Till; onClose: () => void; onSend: (m: string) => Promise<void> }) {
  const { t } = useSession();
  const [msg, setMsg] = useState("");
  return (
    <Modal title={t("tills.message_to", { till: `${till.store} #${till.till_no}` })} onClose={onClose}>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void onSend(msg.trim());
        }}
      >
        <Field label={t("tills.message")}>
          <textarea rows={3} required maxLength={500} value={msg} onInput={(e) => setMsg(e.currentTarget.value)} />
        </Field>
        <div class="form-actions">
          <button type="button" class="btn" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" class="btn btn-primary">
            {t("common.send")}
          </button>
        </div>
      </form>
    </Modal>
  );
}
