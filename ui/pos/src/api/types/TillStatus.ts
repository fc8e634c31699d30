// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { CashierMessage } from "./CashierMessage";
import type { ChannelUnread } from "./ChannelUnread";


export type TillStatus = { actor: string | null, store: string | null, store_name: string | null, till_no: number | null, hub: string | null, last_seq: number, acked_seq: number, unsent_ops: number, cursor: number, last_sync_ms: number | null, sales_count: number, returns_count: number, needs_enrolment: boolean, last_error: string | null, locked: boolean, unread_messages: Array<CashierMessage>, chat_unread: Array<ChannelUnread>, };
