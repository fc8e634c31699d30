// One store's conversation: the messages in HLC order (earlier ones on
// request), live from the events socket, marked read while they are on
// screen, searchable, with the composer below (notices are written on the
// Notices page, so a notices channel has none).

import { useEffect, useRef, useState } from "preact/hooks";

import type { ChatChannelSummary } from "../../api/types/ChatChannelSummary";
import type { ChatMessage } from "../../api/types/ChatMessage";
import type { Ticket } from "../../api/types/Ticket";
import { chatApi } from "../../chat/api";
import { mergeMessages, mergeRefetched, newest, readTarget, withTicketStatus } from "../../chat/logic";
import { chatChannels } from "../../chat/store";
import { live, type LiveStatus } from "../../live/socket";
import { ErrorBanner, Notice, useSession } from "../ui";
import { Composer } from "./Composer";
import { MessageBubble } from "./MessageBubble";

/** Messages fetched at a time. */
export const PAGE = 100;
/** Messages fetched at a time when catching up after a reconnect (the hub's most). */
const CATCH_UP = 500;

export function Conversation({ channel }: { channel: ChatChannelSummary }) {
  const { t } = useSession();
  const name = channel.channel;
  const [messages, setMessages] = useState<ChatMessage[] | null>(null);
  const [hasOlder, setHasOlder] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [stale, setStale] = useState(false);
  const [visible, setVisible] = useState(document.visibilityState === "visible");
  const readSent = useRef<string | null>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const newestOrder = useRef<string | null>(null);
  newestOrder.current = messages ? (newest(messages)?.order ?? null) : null;

  useEffect(() => {
    let stop = false;
    setMessages(null);
    setError(null);
    setStale(false);
    readSent.current = null;
    stick.current = true;
    const load = () =>
      chatApi.messages(name, { limit: PAGE }).then(
        (page) => {
          if (stop) return;
          setMessages((known) => mergeRefetched(known ?? [], page.messages));
          setHasOlder(page.messages.length >= PAGE);
          setError(null);
        },
        (e: unknown) => !stop && setError(e),
      );
    // After a reconnect or lost events: everything after the newest message shown (a page
    // of the newest would leave a gap after a long outage), and the newest page again for
    // the tickets' statuses.
    const catchUp = async () => {
      let after = newestOrder.current;
      if (after === null) return load();
      try {
        for (;;) {
          const page = await chatApi.messages(name, { after, limit: CATCH_UP });
          if (stop) return;
          setMessages((known) => mergeRefetched(known ?? [], page.messages));
          const last = page.messages[page.messages.length - 1];
          if (page.messages.length < CATCH_UP || !last) break;
          after = last.order;
        }
        await load();
      } catch (e) {
        if (!stop) setError(e);
      }
    };
    void load();
    chatChannels.viewing = name;
    let status: LiveStatus = live.status;
    const offStatus = live.onStatus((s) => {
      if (s === "live" && status !== "live") void catchUp();
      status = s;
    });
    const off = live.subscribe((e) => {
      if (e.type === "chat_message" && e.message.channel === name) {
        setMessages((known) => mergeMessages(known ?? [], [e.message]));
      } else if (e.type === "ticket_update") {
        setMessages((known) => (known ? withTicketStatus(known, e.ticket) : known));
      } else if (e.type === "lagged") {
        setStale(true);
        void catchUp();
      }
    });
    const onVisible = () => setVisible(document.visibilityState === "visible");
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      stop = true;
      if (chatChannels.viewing === name) chatChannels.viewing = null;
      off();
      offStatus();
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [name]);

  // Read while on screen: the newest message shown, once, only forward.
  useEffect(() => {
    if (!messages || !visible) return;
    const upTo = readTarget(messages, readSent.current);
    if (!upTo) return;
    readSent.current = upTo;
    chatChannels.readAll(name);
    chatApi.markRead(name, upTo).catch((e: unknown) => setError(e));
  }, [messages, visible, name]);

  // Follow the conversation's end unless the person scrolled up to read.
  useEffect(() => {
    const el = listRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  const older = async () => {
    const first = messages?.[0];
    if (!first) return;
    try {
      const page = await chatApi.messages(name, { before: first.order, limit: PAGE });
      stick.current = false;
      setMessages((known) => mergeMessages(known ?? [], page.messages));
      setHasOlder(page.messages.length >= PAGE);
    } catch (e) {
      setError(e);
    }
  };

  const onTicketMoved = (ticket: Ticket) => setMessages((known) => (known ? withTicketStatus(known, ticket) : known));

  return (
    <div class="conversation" data-testid="conversation" data-channel={name}>
      {stale && <Notice kind="info">{t("chat.stale")}</Notice>}
      <ErrorBanner error={error} onClose={() => setError(null)} />
      <ol
        class="thread"
        ref={listRef}
        data-testid="thread"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {hasOlder && (
          <li class="thread-older">
            <button type="button" class="btn btn-sm btn-ghost" onClick={() => void older()}>
              {t("chat.older")}
            </button>
          </li>
        )}
        {messages === null && !error && <li class="muted chat-empty">{t("common.loading")}</li>}
        {messages?.length === 0 && <li class="muted chat-empty">{t("chat.no_messages")}</li>}
        {messages?.map((m) => <MessageBubble key={m.id} message={m} onTicketMoved={onTicketMoved} />)}
      </ol>
      {channel.kind === "store" ? (
        <Composer
          channel={name}
          onSent={(m) => {
            stick.current = true;
            setMessages((known) => mergeMessages(known ?? [], [m]));
          }}
        />
      ) : (
        <p class="muted small composer-none">{t("chat.notices_read_only")}</p>
      )}
    </div>
  );
}
