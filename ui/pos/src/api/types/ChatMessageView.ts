// Hand-written stand-in for the Rust type (pos-agent chat / storelink-pos chat.rs); an export test may overwrite it with the generated one.
import type { AttachmentView } from "./AttachmentView";
import type { ChatSide } from "./ChatSide";
import type { TicketCategory } from "./TicketCategory";
import type { TicketStatus } from "./TicketStatus";

export type ChatMessageView = { id: string, channel: string, order: string, hlc_wall_ms: number, side: ChatSide, username: string | null, display_name: string, text: string, kind: string, category: TicketCategory | null, ticket_status: TicketStatus | null, announcement: string | null, title: string | null, requires_ack: boolean, acked_by: string | null, acked_at_ms: number | null, attachments: Array<AttachmentView>, written_at_ms: number, mine: boolean, seen_by_hq: boolean, };
