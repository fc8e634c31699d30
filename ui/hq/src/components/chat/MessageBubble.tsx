// One message of a conversation: who wrote it (store or HQ), when, the
// text, its files, and for a request its category, status and the buttons
// that move it; an announcement shows its title and whether it needs an
// acknowledgement.

import type { ChatMessage } from "../../api/types/ChatMessage";
import type { Ticket } from "../../api/types/Ticket";
import { formatDateTime } from "../../format";
import { Badge, useCode, useSession } from "../ui";
import { AttachmentList } from "./AttachmentList";
import { TicketActions } from "./TicketActions";

export function MessageBubble({ message: m, onTicketMoved }: { message: ChatMessage; onTicketMoved: (t: Ticket) => void }) {
  const { t, lang, me } = useSession();
  const code = useCode();
  const mine = m.side === "hq" && m.username === me.username;
  return (
    <li class={`bubble bubble-${m.side} ${mine ? "bubble-mine" : ""} bubble-${m.kind}`} data-testid="message" data-id={m.id} data-order={m.order}>
      <div class="bubble-head small">
        <Badge tone={m.side === "hq" ? "info" : "muted"}>{t(m.side === "hq" ? "chat.side.hq" : "chat.side.store")}</Badge>
        <strong class="bubble-author">{m.display_name}</strong>
        {mine && <span class="muted">({t("chat.you")})</span>}
        <time class="muted" dateTime={new Date(m.written_at_ms).toISOString()}>
          {formatDateTime(m.written_at_ms, lang)}
        </time>
      </div>
      {m.kind === "announcement" && (
        <div class="bubble-title">
          <Badge tone="info">{t("chat.announcement")}</Badge> <strong>{m.title}</strong>
          {m.requires_ack && (
            <>
              {" "}
              <Badge tone="warn">{t("chat.requires_ack")}</Badge>
            </>
          )}
        </div>
      )}
      {m.text && <div class="bubble-text" data-testid="message-text">{m.text}</div>}
      <AttachmentList files={m.attachments} />
      {m.kind === "ticket" && (
        <div class="bubble-ticket">
          <span class="small">{t("chat.ticket", { category: code("chat.category", m.category ?? "other") })}</span>
          <TicketActions ticket={m.id} status={m.ticket_status ?? "open"} onMoved={onTicketMoved} />
        </div>
      )}
    </li>
  );
}
