// Notices: HQ announcements to the stores. Write one (title, text, must it
// be acknowledged, to whom), see each one's "1 / 2 acknowledged" and read
// counts live as stores read and acknowledge at their tills, the stores one
// by one, and remind the tills of stores that have not acknowledged yet.

import { useEffect, useRef, useState } from "preact/hooks";

import "../chat/chat.css";
import type { AnnouncementDetail } from "../api/types/AnnouncementDetail";
import type { AnnouncementSummary } from "../api/types/AnnouncementSummary";
import type { Store } from "../api/types/Store";
import { api } from "../api/client";
import { chatApi } from "../chat/api";
import { parseChannel } from "../chat/logic";
import { AckProgress, ReadProgress } from "../components/chat/AnnouncementProgress";
import { AnnouncementForm } from "../components/chat/AnnouncementForm";
import { Badge, Card, DataTable, ErrorBanner, Notice, PageHeader, useAsync, useSession, useSubmit } from "../components/ui";
import { formatDateTime } from "../format";
import { live } from "../live/socket";
import { setQuery, useRoute } from "../router";

/** Wait this long after a burst of events before reading the counts again. */
const SETTLE_MS = 150;

export function NoticesPage() {
  const { t, lang } = useSession();
  const route = useRoute();
  const chosen = route.query.get("announcement");
  const [list, setList] = useState<AnnouncementSummary[] | null>(null);
  const [detail, setDetail] = useState<AnnouncementDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [writing, setWriting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const stores = useAsync((signal) => api.get<Store[]>("/stores", undefined, signal), []);
  const chosenRef = useRef(chosen);
  chosenRef.current = chosen;

  const loadList = () =>
    chatApi.announcements().then(
      (l) => {
        setList(l);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  const loadDetail = (id: string | null) => {
    if (!id) {
      setDetail(null);
      return;
    }
    chatApi.announcement(id).then(
      (d) => chosenRef.current === id && setDetail(d),
      (e: unknown) => setError(e),
    );
  };

  useEffect(() => {
    void loadList();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void loadList();
        loadDetail(chosenRef.current);
      }, SETTLE_MS);
    };
    const off = live.subscribe((e) => {
      if (e.type === "announcement_ack" || e.type === "lagged") refresh();
      else if (e.type === "chat_read" && parseChannel(e.channel)?.kind === "notices") refresh();
      else if (e.type === "chat_message" && e.message.kind === "announcement") refresh();
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, []);

  useEffect(() => loadDetail(chosen), [chosen]);

  const remind = useSubmit(async (id: string) => {
    const r = await chatApi.remind(id);
    setNotice(t("notices.reminded", { n: r.reminded }));
  });

  return (
    <div data-testid="page-notices">
      <PageHeader
        title={t("nav.notices")}
        sub={t("notices.subtitle")}
        actions={
          <button type="button" class="btn btn-primary" data-testid="new-announcement" onClick={() => setWriting(true)}>
            {t("notices.new")}
          </button>
        }
      />
      {notice && <Notice>{notice}</Notice>}
      <ErrorBanner error={error ?? stores.error ?? remind.error} onClose={() => { setError(null); remind.setError(null); }} />
      <Card>
        <DataTable
          testid="announcements"
          rows={list}
          loading={list === null}
          rowKey={(a) => a.id}
          empty={t("notices.none")}
          onRow={(a) => setQuery({ announcement: a.id })}
          columns={[
            { key: "title", label: t("notices.title"), render: (a) => <strong data-testid={`announcement-${a.id}`}>{a.title}</strong> },
            { key: "sent", label: t("notices.sent_at"), render: (a) => formatDateTime(a.sent_at_ms, lang) },
            { key: "by", label: t("notices.sent_by"), render: (a) => a.sent_by },
            { key: "ack", label: t("notices.ack_column"), render: (a) => <AckProgress a={a} /> },
            { key: "read", label: t("notices.read_at"), render: (a) => <ReadProgress a={a} /> },
          ]}
        />
      </Card>
      {detail && (
        <StoresOfAnnouncement
          detail={detail}
          busy={remind.busy}
          onRemind={() => void remind.run(detail.summary.id)}
          onClose={() => setQuery({ announcement: null })}
        />
      )}
      {writing && stores.data && (
        <AnnouncementForm
          stores={stores.data}
          onClose={() => setWriting(false)}
          onSent={(a, n) => {
            setWriting(false);
            setNotice(t("notices.sent", { title: a.title, n }));
            setList((l) => [a, ...(l ?? []).filter((x) => x.id !== a.id)]);
            setQuery({ announcement: a.id });
          }}
        />
      )}
    </div>
  );
}

function StoresOfAnnouncement({
  detail,
  busy,
  onRemind,
  onClose,
}: {
  detail: AnnouncementDetail;
  busy: boolean;
  onRemind: () => void;
  onClose: () => void;
}) {
  const { t, lang } = useSession();
  const a = detail.summary;
  const missing = a.requires_ack && a.acknowledged < a.audience;
  return (
    <Card
      testid="announcement-detail"
      title={a.title}
      actions={
        <>
          {missing && (
            <button type="button" class="btn btn-warn btn-sm" data-testid="remind" disabled={busy} onClick={onRemind}>
              {t("notices.remind")}
            </button>
          )}
          {a.requires_ack && !missing && <Badge tone="good">{t("notices.all_acked")}</Badge>}
          <button type="button" class="icon-btn" aria-label={t("common.close")} onClick={onClose}>
            ×
          </button>
        </>
      }
    >
      <p class="bubble-text">{a.text}</p>
      <DataTable
        testid="announcement-stores"
        rows={detail.stores}
        rowKey={(s) => s.store}
        columns={[
          { key: "store", label: t("notices.stores"), render: (s) => <span data-testid={`ack-row-${s.store}`}><strong class="mono">{s.store}</strong> {s.store_name}</span> },
          {
            key: "read",
            label: t("notices.read_at"),
            // Acknowledging is reading (the hub counts it so in `read`).
            render: (s) => {
              const at = s.read_at_hlc_ms ?? s.acked_at_ms;
              return at !== null ? formatDateTime(at, lang) : <span class="muted">{t("notices.not_yet")}</span>;
            },
          },
          {
            key: "acked",
            label: t("notices.acked_by"),
            render: (s) =>
              s.acked_by !== null ? (
                <Badge tone="good" testid="acked">{s.acked_by}</Badge>
              ) : a.requires_ack ? (
                <Badge tone="warn" testid="not-acked">{t("notices.not_yet")}</Badge>
              ) : (
                <span class="muted">—</span>
              ),
          },
          { key: "at", label: t("notices.acked_at"), render: (s) => (s.acked_at_ms !== null ? formatDateTime(s.acked_at_ms, lang) : "") },
        ]}
      />
    </Card>
  );
}
