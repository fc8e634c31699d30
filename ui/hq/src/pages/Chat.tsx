// Chat: every store's conversation with head office (a store manager sees
// their own store's two channels). Channels on the left with unread and open
// requests, the chosen conversation on the right; the choice is in the query
// string (`/chat?channel=store:GN01`), so a link opens it.

import { useEffect, useState } from "preact/hooks";

import "../chat/chat.css";
import { chatChannels, useChatChannels } from "../chat/store";
import { ChannelList } from "../components/chat/ChannelList";
import { Conversation } from "../components/chat/Conversation";
import { SearchResults } from "../components/chat/SearchResults";
import { Card, ErrorBanner, PageHeader, useSession } from "../components/ui";
import { setQuery, useRoute } from "../router";

const LAST_CHANNEL = "storelink.hq.chat.channel";

function lastChannel(): string | null {
  try {
    return sessionStorage.getItem(LAST_CHANNEL);
  } catch {
    return null;
  }
}

function rememberChannel(channel: string): void {
  try {
    sessionStorage.setItem(LAST_CHANNEL, channel);
  } catch {
    // private mode: the first conversation opens next time
  }
}

export function ChatPage() {
  const { me, t } = useSession();
  const route = useRoute();
  const { channels, error } = useChatChannels();
  const [now, setNow] = useState(Date.now());
  const [search, setSearch] = useState("");
  const [query, setQueryText] = useState<string | null>(null);
  const wanted = route.query.get("channel");
  const selected = channels?.find((c) => c.channel === wanted) ?? null;

  useEffect(() => {
    chatChannels.start(me.username);
    const tick = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(tick);
  }, [me.username]);

  useEffect(() => {
    // Open the conversation of last time, else the first one, when none is chosen (or the
    // chosen one is not the user's).
    if (channels && channels.length > 0 && !selected) {
      const last = channels.find((c) => c.channel === lastChannel());
      const first = last ?? channels.find((c) => c.kind === "store") ?? channels[0];
      if (first) setQuery({ channel: first.channel });
    }
    if (selected) rememberChannel(selected.channel);
  }, [channels, selected]);

  useEffect(() => {
    setQueryText(null);
    setSearch("");
  }, [selected?.channel]);

  return (
    <div data-testid="page-chat">
      <PageHeader title={t("nav.chat")} sub={t("chat.subtitle")} />
      <ErrorBanner error={error} />
      <div class="chat-layout">
        <Card class="chat-channels" title={t("chat.channels")}>
          {channels === null ? (
            <p class="muted">{t("common.loading")}</p>
          ) : (
            <ChannelList channels={channels} selected={selected?.channel ?? null} onSelect={(c) => setQuery({ channel: c })} now={now} />
          )}
        </Card>
        <Card
          class="chat-main"
          title={
            selected ? (
              <span data-testid="conversation-title">
                {selected.store_name || selected.store} · {t(selected.kind === "notices" ? "chat.kind.notices" : "chat.kind.store")}
              </span>
            ) : (
              t("chat.pick")
            )
          }
          actions={
            selected && (
              <form
                class="filters"
                role="search"
                onSubmit={(e) => {
                  e.preventDefault();
                  setQueryText(search.trim() || null);
                }}
              >
                <input
                  type="search"
                  name="q"
                  value={search}
                  placeholder={t("chat.search")}
                  aria-label={t("chat.search")}
                  data-testid="chat-search"
                  onInput={(e) => setSearch(e.currentTarget.value)}
                />
              </form>
            )
          }
        >
          {selected &&
            (query ? (
              <SearchResults channel={selected.channel} query={query} onClose={() => setQueryText(null)} />
            ) : (
              <Conversation key={selected.channel} channel={selected} />
            ))}
        </Card>
      </div>
    </div>
  );
}
