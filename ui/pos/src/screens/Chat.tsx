// Chat with head office: the store's conversation (thread in HLC order, the
// store's side on the right, "seen by HQ", photos and PDFs, a composer with
// attachments checked here before the shell checks them again), HQ's notices
// (acknowledged with a staff PIN, showing who did) and the store's requests
// with their status. New messages arrive by polling the shell every few
// seconds while the screen is open; everything written is kept on the till
// and reaches HQ with the next sync, online or not.

import type { JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { api } from "../api/tauri";
import type { AttachmentView } from "../api/types/AttachmentView";
import type { ChannelKind } from "../api/types/ChannelKind";
import type { ChatChannel } from "../api/types/ChatChannel";
import type { ChatMessageView } from "../api/types/ChatMessageView";
import type { TicketCategory } from "../api/types/TicketCategory";
import type { TicketView } from "../api/types/TicketView";
import type { UiError } from "../api/types/UiError";
import { Btn, Dialog, ErrorBox, Field, useApp } from "../components/ui";
import { formatDateTime, formatTime } from "../format";
import type { Key, T } from "../i18n";
import {
  ACCEPT,
  MAX_ATTACHMENTS,
  MAX_ATTACHMENT_BYTES,
  PAGE,
  type Problem,
  TICKET_CATEGORIES,
  checkContents,
  checkFile,
  checkMessage,
  compareMessages,
  composerKey,
  formatBytes,
  isPhoto,
  mergeFresh,
  noticesOrder,
  uuidv7,
} from "../logic/chat";

/** How often the open screen asks the till for news. */
export const POLL_MS = 3_000;

type Tab = "store" | "notices" | "requests";

/** Today: the time only; before: date and time. */
function when(ms: number, lang: "en" | "ko"): string {
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? formatTime(ms, lang) : formatDateTime(ms, lang);
}

/** A paperclip (no emoji: the till's fonts may not have them). */
function ClipIcon(): JSX.Element {
  return (
    <svg class="icon-inline" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48" />
    </svg>
  );
}

/** The file's type as a small coloured label (PDF, PNG, JPG…). */
function FileBadge(props: { name: string }): JSX.Element {
  const ext = (props.name.split(".").pop() ?? "").toUpperCase().slice(0, 4);
  return <span class={`file-icon ${ext === "PDF" ? "" : "file-icon-photo"}`}>{ext || "FILE"}</span>;
}

/** Run `fn` now and every `ms` while mounted (and the window is visible). */
function usePoll(fn: () => void, ms: number, deps: unknown[]): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    ref.current();
    const timer = setInterval(() => {
      if (typeof document === "undefined" || document.visibilityState !== "hidden") ref.current();
    }, ms);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}

const problemError = (t: T, p: Problem): UiError => ({
  code: "check",
  message: t(p.key, p.vars),
});

export function Chat(): JSX.Element {
  const { t, refreshStatus } = useApp();
  const [tab, setTab] = useState<Tab>("store");
  const [channels, setChannels] = useState<ChatChannel[] | null>(null);
  const [search, setSearch] = useState("");
  const [results, setResults] = useState<{ q: string; list: ChatMessageView[] } | null>(null);
  const [err, setErr] = useState<UiError | null>(null);

  const loadChannels = useCallback(() => {
    api.chatChannels().then(
      (c) => {
        setChannels(c);
        setErr(null);
      },
      (e: UiError) => setErr(e),
    );
  }, []);
  usePoll(loadChannels, POLL_MS, []);

  const chan = (k: ChannelKind) => channels?.find((c) => c.kind === k) ?? null;
  const store = chan("store");
  const notices = chan("notices");

  const runSearch = async (e: Event) => {
    e.preventDefault();
    const q = search.trim();
    if (!q) return setResults(null);
    try {
      setResults({ q, list: await api.chatSearch(q) });
    } catch (x) {
      setErr(x as UiError);
    }
  };

  const tabs: { id: Tab; label: Key; count: number; attention: boolean }[] = [
    { id: "store", label: "chat.tab.store", count: store?.unread ?? 0, attention: (store?.unread ?? 0) > 0 },
    {
      id: "notices",
      label: "chat.tab.notices",
      count: Math.max(notices?.unread ?? 0, notices?.pending_acks ?? 0),
      attention: (notices?.unread ?? 0) + (notices?.pending_acks ?? 0) > 0,
    },
    { id: "requests", label: "chat.tab.requests", count: store?.open_tickets ?? 0, attention: false },
  ];

  const onRead = useCallback(() => {
    refreshStatus();
    loadChannels();
  }, [refreshStatus, loadChannels]);

  return (
    <div class="page chat-page" data-testid="chat-screen">
      <div class="chat-head">
        <h1>{t("chat.title")}</h1>
        <div class="seg chat-tabs" role="tablist">
          {tabs.map((x) => (
            <button
              key={x.id}
              role="tab"
              aria-selected={tab === x.id}
              class={tab === x.id ? "active" : ""}
              onClick={() => {
                setTab(x.id);
                setResults(null);
              }}
              data-testid={`chat-tab-${x.id}`}
            >
              {t(x.label)}
              {x.count > 0 && (
                <span class={`badge ${x.attention ? "badge-hot" : "badge-soft"}`} data-testid={`chat-tab-${x.id}-count`} data-count={x.count}>
                  {x.count}
                </span>
              )}
            </button>
          ))}
        </div>
        <span class="grow" />
        <form class="chat-search" role="search" onSubmit={runSearch}>
          <input
            class="input"
            type="search"
            value={search}
            placeholder={t("chat.search")}
            aria-label={t("chat.search")}
            data-testid="chat-search"
            onInput={(e) => {
              setSearch(e.currentTarget.value);
              if (!e.currentTarget.value) setResults(null);
            }}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                setSearch("");
                setResults(null);
              }
            }}
          />
        </form>
      </div>
      <ErrorBox error={err} testid="chat-screen-error" />
      {results ? (
        <SearchResults q={results.q} list={results.list} onClose={() => { setResults(null); setSearch(""); }} />
      ) : tab === "store" ? (
        <StoreThread channel={store} onRead={onRead} onSent={loadChannels} />
      ) : tab === "notices" ? (
        <Notices channel={notices} onRead={onRead} onAcked={loadChannels} />
      ) : (
        <Requests onRaised={loadChannels} />
      )}
    </div>
  );
}

/** Messages of one channel, kept fresh by polling, with older pages on demand. */
function useChannelMessages(kind: ChannelKind, channel: ChatChannel | null, onRead: () => void) {
  const [list, setList] = useState<ChatMessageView[] | null>(null);
  const [hasOlder, setHasOlder] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);
  const reading = useRef(false);

  const load = useCallback(() => {
    api.chatMessages(kind, null, PAGE).then(
      (fresh) => {
        setList((known) => {
          if (known === null) setHasOlder(fresh.length >= PAGE);
          return mergeFresh(known ?? [], fresh);
        });
        setErr(null);
      },
      (e: UiError) => setErr(e),
    );
  }, [kind]);
  // Poll again when the channel's newest message changes too (a quicker refresh).
  usePoll(load, POLL_MS, [kind]);
  useEffect(() => {
    if (channel?.latest) load();
  }, [channel?.latest, load]);

  // Seen on screen → read (once per change of the unread count).
  useEffect(() => {
    if (!channel || channel.unread <= 0 || list === null || reading.current) return;
    reading.current = true;
    api
      .chatRead(kind)
      .then(onRead, (e: UiError) => setErr(e))
      .finally(() => (reading.current = false));
  }, [channel?.unread, list === null, kind, onRead]);

  const older = async () => {
    const first = list?.[0];
    if (!first) return;
    try {
      const page = await api.chatMessages(kind, first.id, PAGE);
      setHasOlder(page.length >= PAGE);
      setList((known) => mergeFresh(known ?? [], page));
    } catch (e) {
      setErr(e as UiError);
    }
  };

  const add = (m: ChatMessageView) => setList((known) => mergeFresh(known ?? [], [m]));
  return { list, hasOlder, older, err, add, reload: load };
}

function StoreThread(props: { channel: ChatChannel | null; onRead: () => void; onSent: () => void }): JSX.Element {
  const { t, lang } = useApp();
  const { list, hasOlder, older, err, add } = useChannelMessages("store", props.channel, props.onRead);
  const box = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  const lastId = useRef<string | null>(null);

  // Stay at the bottom when new messages arrive (unless the person scrolled up).
  useEffect(() => {
    const el = box.current;
    const last = list?.[list.length - 1]?.id ?? null;
    if (el && last !== lastId.current && pinned.current) el.scrollTop = el.scrollHeight;
    lastId.current = last;
  }, [list]);

  const loadOlder = async () => {
    const el = box.current;
    const before = el ? el.scrollHeight - el.scrollTop : 0;
    await older();
    requestAnimationFrame(() => {
      if (el) el.scrollTop = el.scrollHeight - before;
    });
  };

  return (
    <div class="card chat-card">
      <ErrorBox error={err} testid="chat-load-error" />
      <ol
        class="thread"
        ref={box}
        data-testid="chat-thread"
        onScroll={(e) => {
          const el = e.currentTarget;
          pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {hasOlder && (
          <li class="thread-older">
            <Btn kind="ghost" onClick={() => void loadOlder()} testid="chat-older">
              {t("chat.older")}
            </Btn>
          </li>
        )}
        {list === null ? (
          <li class="muted">{t("common.loading")}</li>
        ) : list.length === 0 ? (
          <li class="muted chat-empty" data-testid="chat-empty">{t("chat.empty")}</li>
        ) : (
          list.map((m) => <Bubble key={m.id} m={m} lang={lang} />)
        )}
      </ol>
      <Composer
        onSent={(m) => {
          pinned.current = true;
          add(m);
          props.onSent();
        }}
      />
    </div>
  );
}

function Bubble(props: { m: ChatMessageView; lang: "en" | "ko" }): JSX.Element {
  const { t } = useApp();
  const { m } = props;
  const ours = m.side === "store";
  return (
    <li
      class={`bubble ${ours ? "bubble-own" : "bubble-hq"} ${m.kind === "ticket" ? "bubble-ticket" : ""}`}
      data-testid="chat-message"
      data-id={m.id}
      data-side={m.side}
      data-mine={String(m.mine)}
      data-order={m.order}
    >
      <div class="bubble-head">
        <strong>{m.side === "hq" ? `${m.display_name} · ${t("chat.hq")}` : m.display_name}</strong>
        <span class="muted small">{when(m.written_at_ms, props.lang)}</span>
        {m.kind === "ticket" && (
          <span class="tag">
            {t("chat.ticket")} · {m.category ? t(`category.${m.category}` as Key) : ""}
          </span>
        )}
        {m.ticket_status && <TicketStatusTag status={m.ticket_status} />}
      </div>
      {m.title && <div class="bubble-title">{m.title}</div>}
      {m.text && <div class="bubble-text" data-testid="chat-message-text">{m.text}</div>}
      {m.attachments.length > 0 && <Attachments list={m.attachments} />}
      {ours && m.seen_by_hq && (
        <div class="bubble-foot small" data-testid="chat-seen">
          ✓ {t("chat.seen")}
        </div>
      )}
    </li>
  );
}

function TicketStatusTag(props: { status: string }): JSX.Element {
  const { t } = useApp();
  return (
    <span class={`tag ticket-${props.status}`} data-testid="ticket-status" data-status={props.status}>
      {t(`ticket.${props.status}` as Key)}
    </span>
  );
}

/** Photos already fetched this session (sha256 → data URL). */
const photoCache = new Map<string, string>();

function Attachments(props: { list: AttachmentView[] }): JSX.Element {
  return (
    <div class="attachments">
      {props.list.map((a) => (isPhoto(a.mime) ? <Photo key={a.sha256} a={a} /> : <FileChip key={a.sha256} a={a} />))}
    </div>
  );
}

function Photo(props: { a: AttachmentView }): JSX.Element {
  const { t, toastError } = useApp();
  const { a } = props;
  const [url, setUrl] = useState<string | null>(photoCache.get(a.sha256) ?? null);
  const [failed, setFailed] = useState(false);
  const [big, setBig] = useState(false);

  const fetchIt = useCallback(
    (loud: boolean) => {
      setFailed(false);
      api.chatAttachment(a.sha256).then(
        (d) => {
          photoCache.set(a.sha256, d.data_url);
          setUrl(d.data_url);
        },
        (e: UiError) => {
          setFailed(true);
          if (loud) toastError(e);
        },
      );
    },
    [a.sha256, toastError],
  );
  // Photos on this till show at once; photos only on the hub wait for a click (offline tills).
  useEffect(() => {
    if (!url && a.state !== "remote") fetchIt(false);
  }, [a.sha256]);

  if (!url) {
    return (
      <button
        type="button"
        class="attachment-photo attachment-missing"
        onClick={() => fetchIt(true)}
        data-testid="chat-photo-load"
        title={a.name}
      >
        <FileBadge name={a.name} />
        <span class="small">{a.name}</span>
        <span class="muted small">{failed || a.state === "remote" ? t("chat.photo_load") : t("common.loading")}</span>
      </button>
    );
  }
  return (
    <>
      <button type="button" class="attachment-photo" onClick={() => setBig(true)} data-testid="chat-photo" data-sha={a.sha256} title={a.name}>
        <img src={url} alt={a.name} />
        {a.state === "pending" && <span class="photo-state">{t("chat.uploading")}</span>}
      </button>
      {big && (
        <Dialog title={a.name} onClose={() => setBig(false)} testid="chat-photo-view" wide>
          <img class="photo-big" src={url} alt={a.name} />
        </Dialog>
      )}
    </>
  );
}

function FileChip(props: { a: AttachmentView }): JSX.Element {
  const { t, toastError, toastInfo } = useApp();
  const { a } = props;
  const save = async () => {
    try {
      const path = await api.chatSaveAttachment(a.sha256);
      toastInfo(t("chat.saved", { path }));
    } catch (e) {
      toastError(e as UiError);
    }
  };
  return (
    <button type="button" class="attachment-file" onClick={() => void save()} data-testid="chat-file-link" data-sha={a.sha256} title={t("chat.save")}>
      <FileBadge name={a.name} />
      <span class="file-name">{a.name}</span>
      <span class="muted small">{formatBytes(a.size)}</span>
      <span class="link-like small">{t("chat.save")}</span>
    </button>
  );
}

/** A picked file, read and checked, ready to send. */
interface Picked {
  name: string;
  size: number;
  dataUrl: string;
}

function readDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error("read failed"));
    r.readAsDataURL(file);
  });
}

/** Check and read one picked file: its problem, or the file ready to send. */
async function readPicked(file: File): Promise<Picked | Problem> {
  const first = checkFile(file);
  if (first) return first;
  try {
    const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
    const contents = checkContents(file.name, head);
    if (contents) return contents;
    return { name: file.name, size: file.size, dataUrl: await readDataUrl(file) };
  } catch {
    return { key: "chat.err.read_failed", vars: { name: file.name } };
  }
}

function isProblem(x: Picked | Problem): x is Problem {
  return "key" in x;
}

/** Attach button + chips; shared by the chat composer and the request form. */
function useAttachments() {
  const { t } = useApp();
  const [files, setFiles] = useState<Picked[]>([]);
  const [problem, setProblem] = useState<UiError | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const pick = async (list: FileList | null) => {
    if (!list) return;
    setProblem(null);
    const next = [...files];
    for (const f of Array.from(list)) {
      if (next.length >= MAX_ATTACHMENTS) {
        setProblem(problemError(t, { key: "chat.err.too_many_files", vars: { max: MAX_ATTACHMENTS } }));
        break;
      }
      const r = await readPicked(f);
      if (isProblem(r)) setProblem(problemError(t, r));
      else next.push(r);
    }
    setFiles(next);
    if (input.current) input.current.value = "";
  };

  const view = (
    <>
      <input
        ref={input}
        type="file"
        accept={ACCEPT}
        multiple
        hidden
        data-testid="chat-file-input"
        onChange={(e) => void pick(e.currentTarget.files)}
      />
      {files.length > 0 && (
        <ul class="composer-files">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`} class="chip" data-testid="chat-file" data-name={f.name}>
              <FileBadge name={f.name} />
              <span>{f.name}</span>
              <span class="muted small">{formatBytes(f.size)}</span>
              <button
                type="button"
                class="icon-btn"
                aria-label={t("common.remove")}
                data-testid="chat-file-remove"
                onClick={() => setFiles(files.filter((_, j) => j !== i))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
  return { files, setFiles, problem, setProblem, open: () => input.current?.click(), view };
}

function Composer(props: { onSent: (m: ChatMessageView) => void }): JSX.Element {
  const { t } = useApp();
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);
  const id = useRef(uuidv7());
  const att = useAttachments();
  const area = useRef<HTMLTextAreaElement>(null);

  useEffect(() => area.current?.focus(), []);

  const send = async () => {
    if (sending) return;
    const p = checkMessage(text, att.files.length);
    if (p) return setErr(problemError(t, p));
    setSending(true);
    setErr(null);
    try {
      const sent = await api.chatSend(
        "store",
        text,
        att.files.map((f) => ({ name: f.name, bytes: f.dataUrl })),
        id.current,
      );
      setText("");
      att.setFiles([]);
      att.setProblem(null);
      id.current = uuidv7();
      props.onSent(sent.message);
    } catch (e) {
      setErr(e as UiError);
    } finally {
      setSending(false);
      area.current?.focus();
    }
  };

  return (
    <div class="composer" data-testid="chat-composer">
      <ErrorBox error={err ?? att.problem} testid="chat-error" />
      {att.view}
      <div class="composer-bar">
        <Btn onClick={att.open} testid="chat-attach" title={t("chat.attach_hint", { mib: MAX_ATTACHMENT_BYTES / (1024 * 1024), max: MAX_ATTACHMENTS })}>
          <ClipIcon /> {t("chat.attach")}
        </Btn>
        <textarea
          ref={area}
          rows={2}
          value={text}
          placeholder={t("chat.placeholder")}
          aria-label={t("chat.placeholder")}
          data-testid="chat-input"
          onInput={(e) => {
            setText(e.currentTarget.value);
            id.current = uuidv7();
          }}
          onKeyDown={(e) => {
            if (composerKey(e) === "send") {
              e.preventDefault();
              void send();
            }
          }}
        />
        <Btn kind="primary" onClick={() => void send()} disabled={sending} testid="chat-send" hint="Enter">
          {sending ? t("chat.sending") : t("chat.send")}
        </Btn>
      </div>
      <div class="muted small">{t("chat.offline_note")}</div>
    </div>
  );
}

function Notices(props: { channel: ChatChannel | null; onRead: () => void; onAcked: () => void }): JSX.Element {
  const { t, lang, toastInfo } = useApp();
  const { list, hasOlder, older, err, reload } = useChannelMessages("notices", props.channel, props.onRead);
  const [acking, setAcking] = useState<ChatMessageView | null>(null);

  return (
    <div class="notices" data-testid="notices-list">
      <ErrorBox error={err} testid="chat-load-error" />
      {list === null ? (
        <p class="muted">{t("common.loading")}</p>
      ) : list.length === 0 ? (
        <p class="muted" data-testid="notices-empty">{t("notices.empty")}</p>
      ) : (
        noticesOrder(list).map((m) => {
          const waiting = m.requires_ack && m.acked_by === null;
          return (
            <article
              key={m.id}
              class={`card notice ${waiting ? "notice-waiting" : ""}`}
              data-testid="notice"
              data-id={m.announcement ?? m.id}
              data-acked={String(m.acked_by !== null)}
            >
              <header class="row">
                <h2 class="notice-title">{m.title ?? t("chat.tab.notices")}</h2>
                {waiting && <span class="tag tag-warn">{t("notices.needs_ack")}</span>}
                <span class="grow" />
                <span class="muted small">
                  {m.display_name} · {when(m.written_at_ms, lang)}
                </span>
              </header>
              {m.text && <p class="bubble-text">{m.text}</p>}
              {m.attachments.length > 0 && <Attachments list={m.attachments} />}
              {m.requires_ack && (
                <footer class="notice-foot">
                  {m.acked_by !== null ? (
                    <span class="ack-done" data-testid="notice-acked">
                      ✓ {t("notices.acked", { by: m.acked_by, when: m.acked_at_ms != null ? formatDateTime(m.acked_at_ms, lang) : "" })}
                    </span>
                  ) : (
                    <Btn kind="primary" onClick={() => setAcking(m)} testid="notice-ack">
                      {t("notices.ack")}
                    </Btn>
                  )}
                </footer>
              )}
            </article>
          );
        })
      )}
      {hasOlder && (
        <Btn kind="ghost" onClick={() => void older()} testid="chat-older">
          {t("chat.older")}
        </Btn>
      )}
      {acking && (
        <AckDialog
          notice={acking}
          onClose={() => setAcking(null)}
          onDone={(by) => {
            setAcking(null);
            toastInfo(t("notices.acked_now", { by }));
            reload();
            props.onAcked();
          }}
        />
      )}
    </div>
  );
}

function AckDialog(props: { notice: ChatMessageView; onClose: () => void; onDone: (by: string) => void }): JSX.Element {
  const { t } = useApp();
  const [pin, setPin] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<UiError | null>(null);
  const submit = async (e?: Event) => {
    e?.preventDefault();
    if (busy || !pin) return;
    setBusy(true);
    setErr(null);
    try {
      const out = await api.chatAck(props.notice.announcement ?? props.notice.id, pin);
      props.onDone(out.by);
    } catch (x) {
      setErr(x as UiError);
      setPin("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={t("notices.ack_title")}
      onClose={props.onClose}
      testid="notice-ack-dialog"
      footer={
        <>
          <Btn onClick={props.onClose} hint="Esc">
            {t("common.cancel")}
          </Btn>
          <Btn kind="primary" onClick={() => void submit()} disabled={busy || !pin} testid="notice-ack-submit" hint="Enter">
            {t("notices.ack")}
          </Btn>
        </>
      }
    >
      <form onSubmit={(e) => void submit(e)} class="stack">
        <p>{t("notices.ack_lead", { title: props.notice.title ?? "" })}</p>
        <Field label={t("notices.ack_pin")}>
          <input
            class="input input-big"
            type="password"
            inputMode="numeric"
            autoComplete="off"
            autoFocus
            value={pin}
            onInput={(e) => setPin(e.currentTarget.value.replace(/\D/g, ""))}
            data-testid="notice-ack-pin"
          />
        </Field>
        <ErrorBox error={err} testid="notice-ack-error" />
      </form>
    </Dialog>
  );
}

function Requests(props: { onRaised: () => void }): JSX.Element {
  const { t, lang, toastInfo } = useApp();
  const [list, setList] = useState<TicketView[] | null>(null);
  const [err, setErr] = useState<UiError | null>(null);
  const [category, setCategory] = useState<TicketCategory>("stock");
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [formErr, setFormErr] = useState<UiError | null>(null);
  const id = useRef(uuidv7());
  const att = useAttachments();

  const load = useCallback(() => {
    api.chatTickets().then(
      (l) => {
        setList(l);
        setErr(null);
      },
      (e: UiError) => setErr(e),
    );
  }, []);
  usePoll(load, POLL_MS, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const p = text.trim() ? checkMessage(text, att.files.length) : ({ key: "chat.err.empty" } as Problem);
    if (p) return setFormErr(problemError(t, p));
    setBusy(true);
    setFormErr(null);
    try {
      await api.chatRaiseTicket(
        category,
        text,
        att.files.map((f) => ({ name: f.name, bytes: f.dataUrl })),
        id.current,
      );
      id.current = uuidv7();
      setText("");
      att.setFiles([]);
      toastInfo(t("requests.sent"));
      load();
      props.onRaised();
    } catch (x) {
      setFormErr(x as UiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="requests">
      <form class="card stack request-form" onSubmit={(e) => void submit(e)} data-testid="request-form">
        <h2>{t("requests.new")}</h2>
        <Field label={t("requests.category")}>
          <select
            class="input"
            value={category}
            onChange={(e) => {
              setCategory(e.currentTarget.value as TicketCategory);
              id.current = uuidv7();
            }}
            data-testid="request-category"
          >
            {TICKET_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`category.${c}` as Key)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("requests.text")}>
          <textarea
            rows={4}
            value={text}
            onInput={(e) => {
              setText(e.currentTarget.value);
              id.current = uuidv7();
            }}
            data-testid="request-text"
          />
        </Field>
        {att.view}
        <ErrorBox error={formErr ?? att.problem} testid="request-error" />
        <div class="row">
          <Btn onClick={att.open} testid="request-attach">
            <ClipIcon /> {t("chat.attach")}
          </Btn>
          <span class="grow" />
          <Btn kind="primary" type="submit" disabled={busy} testid="request-submit">
            {t("requests.submit")}
          </Btn>
        </div>
      </form>
      <div class="request-list">
        <ErrorBox error={err} testid="chat-load-error" />
        {list === null ? (
          <p class="muted">{t("common.loading")}</p>
        ) : list.length === 0 ? (
          <p class="muted" data-testid="requests-empty">{t("requests.empty")}</p>
        ) : (
          <ul class="stack plain-list" data-testid="requests-list">
            {list.map((r) => (
              <li key={r.id} class="card request" data-testid="request" data-id={r.id} data-status={r.status}>
                <div class="row">
                  <TicketStatusTag status={r.status} />
                  <strong>{r.category ? t(`category.${r.category}` as Key) : t("chat.ticket")}</strong>
                  <span class="grow" />
                  <span class="muted small">{when(r.written_at_ms, lang)}</span>
                </div>
                <p class="bubble-text">{r.text}</p>
                <div class="muted small">
                  {t("requests.by", { name: r.display_name })}
                  {r.updated_by && <> · {t("requests.updated", { by: r.updated_by })}</>}
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function SearchResults(props: { q: string; list: ChatMessageView[]; onClose: () => void }): JSX.Element {
  const { t, lang } = useApp();
  const sorted = props.list.slice().sort((a, b) => compareMessages(b, a));
  return (
    <div class="card stack" data-testid="chat-search-results">
      <div class="row">
        <strong>{sorted.length ? t("chat.search_results", { n: sorted.length, q: props.q }) : t("chat.search_none", { q: props.q })}</strong>
        <span class="grow" />
        <Btn kind="ghost" onClick={props.onClose} testid="chat-search-clear" hint="Esc">
          {t("chat.search_clear")}
        </Btn>
      </div>
      <ol class="thread thread-flat">
        {sorted.map((m) => (
          <li key={m.id} data-testid="chat-search-result" class={`bubble ${m.side === "store" ? "bubble-own" : "bubble-hq"}`}>
            <div class="bubble-head">
              <strong>{m.title ?? m.display_name}</strong>
              <span class="muted small">{when(m.written_at_ms, lang)}</span>
              <span class="tag">{t(m.channel.startsWith("notices:") ? "chat.tab.notices" : "chat.tab.store")}</span>
            </div>
            <div class="bubble-text">{m.text}</div>
          </li>
        ))}
      </ol>
    </div>
  );
}
