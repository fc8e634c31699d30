// The stores' channels down the left of the Chat page: store name, chat or
// notices, unread badge, open requests, and the last message.

import type { ChatChannelSummary } from "../../api/types/ChatChannelSummary";
import { sortChannels } from "../../chat/logic";
import { formatAgo } from "../../format";
import { Badge, useSession } from "../ui";

export function ChannelList({
  channels,
  selected,
  onSelect,
  now,
}: {
  channels: ChatChannelSummary[];
  selected: string | null;
  onSelect: (channel: string) => void;
  now: number;
}) {
  const { t, lang } = useSession();
  if (channels.length === 0) return <p class="muted chat-empty">{t("chat.no_channels")}</p>;
  return (
    <ul class="channel-list" data-testid="channel-list">
      {sortChannels(channels).map((c) => (
        <li key={c.channel}>
          <button
            type="button"
            class={`channel ${c.channel === selected ? "active" : ""} ${c.unread > 0 ? "has-unread" : ""}`}
            data-testid={`channel-${c.channel}`}
            aria-current={c.channel === selected}
            onClick={() => onSelect(c.channel)}
          >
            <span class="channel-top">
              <strong class="channel-name">{c.store_name || c.store}</strong>
              <Badge tone={c.kind === "notices" ? "muted" : "info"}>{t(c.kind === "notices" ? "chat.kind.notices" : "chat.kind.store")}</Badge>
              {c.unread > 0 && (
                <span class="unread-badge" data-testid="channel-unread" title={t("chat.unread", { n: c.unread })}>
                  {c.unread}
                </span>
              )}
            </span>
            <span class="channel-last muted small">
              {c.last_message ? (
                <>
                  <span class="channel-when">{formatAgo(c.last_message.written_at_ms, now, lang)}</span>
                  {c.last_message.display_name}: {c.last_message.title ?? c.last_message.text}
                </>
              ) : (
                t("chat.no_messages")
              )}
            </span>
            {c.open_tickets > 0 && (
              <span class="channel-tickets">
                <Badge tone="warn" testid="channel-tickets">
                  {t("chat.open_tickets", { n: c.open_tickets })}
                </Badge>
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  );
}
