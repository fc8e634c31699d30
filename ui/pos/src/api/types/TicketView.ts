// Hand-written stand-in for the Rust type (pos-agent chat / storelink-pos chat.rs); an export test may overwrite it with the generated one.
import type { TicketCategory } from "./TicketCategory";
import type { TicketStatus } from "./TicketStatus";

export type TicketView = { id: string, channel: string, category: TicketCategory | null, status: TicketStatus, text: string, display_name: string, written_at_ms: number, updated_by: string | null, };
