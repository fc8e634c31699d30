// Typed wrappers over the desktop shell's Tauri commands (contract section B)
// and its events (`link`, `quit_requested`). Every command resolves with its
// value or rejects with a `UiError { code, message }`; anything else that
// rejects (a string, an Error) is normalised to a UiError here so the
// screens always have a message to show. Argument names are camelCase
// (Tauri's default for snake_case Rust parameters).
//
// Outside Tauri (a plain browser in `vite dev`) the dev-only mock backend of
// ./mock.ts answers instead; production builds never include it.

import type { AckOutcome } from "./types/AckOutcome";
import type { AppInfo } from "./types/AppInfo";
import type { AttachmentData } from "./types/AttachmentData";
import type { ChannelKind } from "./types/ChannelKind";
import type { ChatChannel } from "./types/ChatChannel";
import type { ChatMessageView } from "./types/ChatMessageView";
import type { ChatSent } from "./types/ChatSent";
import type { PickedFile } from "./types/PickedFile";
import type { TicketCategory } from "./types/TicketCategory";
import type { TicketView } from "./types/TicketView";
import type { CashMovement } from "./types/CashMovement";
import type { CashMovementKind } from "./types/CashMovementKind";
import type { CashierMessage } from "./types/CashierMessage";
import type { CategoryCount } from "./types/CategoryCount";
import type { ElsewhereStock } from "./types/ElsewhereStock";
import type { LinkState } from "./types/LinkState";
import type { Member } from "./types/Member";
import type { MemberSignUp } from "./types/MemberSignUp";
import type { PendingOp } from "./types/PendingOp";
import type { ProductHit } from "./types/ProductHit";
import type { QuitCheck } from "./types/QuitCheck";
import type { ReceiptFormat } from "./types/ReceiptFormat";
import type { ReturnPreview } from "./types/ReturnPreview";
import type { ReturnReceipt } from "./types/ReturnReceipt";
import type { ReturnRequest } from "./types/ReturnRequest";
import type { SaleReceipt } from "./types/SaleReceipt";
import type { SaleRequest } from "./types/SaleRequest";
import type { Settlement } from "./types/Settlement";
import type { Shift } from "./types/Shift";
import type { ShiftSummary } from "./types/ShiftSummary";
import type { SignUpOutcome } from "./types/SignUpOutcome";
import type { Staff } from "./types/Staff";
import type { StockLevel } from "./types/StockLevel";
import type { TenderRequest } from "./types/TenderRequest";
import type { TillStatus } from "./types/TillStatus";
import type { UiError } from "./types/UiError";
import type { VariantGrid } from "./types/VariantGrid";
import type { ZReport } from "./types/ZReport";
import type { ClockGuard, LimitHoldView, LimitedSaleQuote, LimitedSaleRequest, LimitedStatus } from "../limited/types";
import type { CountedLine, DeliveryView, OrderView, ReceivingView, StockRequestLine } from "../logistics/types";

/** Calls one command; the transport (real Tauri or the dev mock). */
export type Invoke = (cmd: string, args?: Record<string, unknown>) => Promise<unknown>;
/** Subscribes to one event; resolves with the unsubscribe function. */
export type Listen = (event: string, handler: (payload: unknown) => void) => Promise<() => void>;

interface Transport {
  invoke: Invoke;
  listen: Listen;
}

let transport: Transport | null = null;

/** Is the page running inside the Tauri webview? */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** Replace the transport (tests, the dev mock). */
export function setTransport(t: Transport): void {
  transport = t;
}

async function realTransport(): Promise<Transport> {
  const core = await import("@tauri-apps/api/core");
  const ev = await import("@tauri-apps/api/event");
  return {
    invoke: (cmd, args) => core.invoke(cmd, args),
    listen: async (event, handler) => ev.listen(event, (e) => handler(e.payload)),
  };
}

let pending: Promise<Transport> | null = null;
async function getTransport(): Promise<Transport> {
  if (transport) return transport;
  pending ??= (async () => {
    if (!inTauri() && import.meta.env.DEV) {
      const mock = await import("./mock");
      return mock.mockTransport();
    }
    return realTransport();
  })();
  transport = await pending;
  return transport;
}

/** Is `e` a UiError as the shell sends it? */
export function isUiError(e: unknown): e is UiError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as UiError).code === "string" &&
    typeof (e as UiError).message === "string"
  );
}

/** Any rejection → a UiError with a message a person can read. */
export function toUiError(e: unknown): UiError {
  if (isUiError(e)) return { code: e.code, message: e.message };
  if (typeof e === "string") {
    // A JSON-encoded UiError, or a plain message from Tauri itself.
    try {
      const parsed: unknown = JSON.parse(e);
      if (isUiError(parsed)) return parsed;
    } catch {
      /* not JSON */
    }
    return { code: "error", message: e || "unknown error" };
  }
  if (e instanceof Error) return { code: "error", message: e.message || e.name };
  return { code: "error", message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  const t = await getTransport();
  try {
    return (await t.invoke(cmd, args)) as T;
  } catch (e) {
    throw toUiError(e);
  }
}

/** Every command of contract section B, typed. */
export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  enrol: (hubUrl: string, code: string) => call<TillStatus>("enrol", { hubUrl, code }),
  status: () => call<TillStatus>("status"),
  link: () => call<LinkState>("link"),
  syncNow: () => call<void>("sync_now"),

  unlock: (pin: string) => call<Staff>("unlock", { pin }),
  lockScreen: () => call<void>("lock_screen"),
  currentStaff: () => call<Staff | null>("current_staff"),

  scan: (code: string) => call<ProductHit>("scan", { code }),
  searchProducts: (query: string, limit: number) =>
    call<ProductHit[]>("search_products", { query, limit }),
  categories: () => call<CategoryCount[]>("categories"),
  productsInCategory: (category: string, offset: number, limit: number) =>
    call<ProductHit[]>("products_in_category", { category, offset, limit }),
  variants: (style: string) => call<VariantGrid>("variants", { style }),

  quoteSale: (req: LimitedSaleRequest | SaleRequest) => call<LimitedSaleQuote>("quote_sale", { req }),
  settlePreview: (total: number, tenders: TenderRequest[]) =>
    call<Settlement>("settle_preview", { total, tenders }),
  sell: (req: LimitedSaleRequest | SaleRequest) => call<SaleReceipt>("sell", { req }),
  receiptText: (receipt: string) => call<string>("receipt_text", { receipt }),
  saveReceipt: (receipt: string, path: string, format: ReceiptFormat) =>
    call<string | null>("save_receipt", { receipt, path, format }),

  returnPreview: (receipt: string) => call<ReturnPreview>("return_preview", { receipt }),
  returnSale: (req: ReturnRequest) => call<ReturnReceipt>("return_sale", { req }),

  stock: (sku: string | null) => call<StockLevel[]>("stock", { sku }),
  stockElsewhere: (sku: string) => call<ElsewhereStock>("stock_elsewhere", { sku }),

  findMember: (phone: string) => call<Member | null>("find_member", { phone }),
  signUpMember: (req: MemberSignUp) => call<SignUpOutcome>("sign_up_member", { req }),

  openShift: (float: number) => call<Shift>("open_shift", { float }),
  currentShift: () => call<ShiftSummary | null>("current_shift"),
  cashMovement: (kind: CashMovementKind, amount: number, reason: string) =>
    call<CashMovement>("cash_movement", { kind, amount, reason }),
  closeShift: (countedCash: number) => call<ZReport>("close_shift", { countedCash }),
  zReport: (shiftId: string) => call<ZReport>("z_report", { shiftId }),

  outboxPending: (limit: number) => call<PendingOp[]>("outbox_pending", { limit }),
  messages: (unreadOnly: boolean) => call<CashierMessage[]>("messages", { unreadOnly }),
  markMessageRead: (id: string) => call<boolean>("mark_message_read", { id }),
  quit: (force: boolean) => call<QuitCheck>("quit", { force }),
  setDiscountLimitPct: (pct: number) => call<void>("set_discount_limit_pct", { pct }),

  // Limited editions, holds and coupons (issue 7, contract section C).
  limitedStatus: (sku: string) => call<LimitedStatus | null>("limited_status", { sku }),
  limitedItems: () => call<LimitedStatus[]>("limited_items"),
  holdLimited: (sku: string, qty: number, note: string) => call<LimitHoldView>("hold_limited", { sku, qty, note }),
  releaseHold: (id: string) => call<unknown>("release_hold", { id }),
  holds: () => call<LimitHoldView[]>("holds"),
  /** Store manager: ask the hub for more of a limited item. */
  requestRights: (sku: string, qty: number) => call<unknown>("request_rights", { sku, qty }),
  clockGuard: () => call<ClockGuard>("clock_guard"),

  // Replenishment and deliveries (issue 5, pos-agent/desktop/src/logistics.rs). Who asks,
  // cancels or counts is the unlocked staff member; asking and cancelling are a manager's.
  requestStock: (lines: StockRequestLine[], note: string | null) => call<OrderView>("request_stock", { lines, note }),
  replenishmentOrders: () => call<OrderView[]>("replenishment_orders"),
  cancelOrder: (id: string) => call<OrderView>("cancel_order", { id }),
  deliveries: () => call<DeliveryView[]>("deliveries"),
  receiveDelivery: (shipment: string, counted: CountedLine[], note: string | null) =>
    call<ReceivingView>("receive_delivery", { shipment, counted, note }),

  // Chat with head office (pos-agent/desktop/src/chat.rs). The author is always
  // the unlocked staff member; `id` (a UUIDv7 made here) makes a retry store once.
  chatChannels: () => call<ChatChannel[]>("chat_channels"),
  chatMessages: (kind: ChannelKind, before: string | null, limit: number) =>
    call<ChatMessageView[]>("chat_messages", { kind, before, limit }),
  chatSend: (kind: ChannelKind, text: string, attachments: PickedFile[], id: string) =>
    call<ChatSent>("chat_send", { kind, text, attachments, id }),
  chatRaiseTicket: (category: TicketCategory, text: string, attachments: PickedFile[], id: string) =>
    call<ChatSent>("chat_raise_ticket", { category, text, attachments, id }),
  chatRead: (kind: ChannelKind) => call<boolean>("chat_read", { kind }),
  chatAck: (announcement: string, pin: string) => call<AckOutcome>("chat_ack", { announcement, pin }),
  chatTickets: () => call<TicketView[]>("chat_tickets"),
  chatSearch: (text: string) => call<ChatMessageView[]>("chat_search", { text }),
  chatAttachment: (sha256: string) => call<AttachmentData>("chat_attachment", { sha256 }),
  chatSaveAttachment: (sha256: string) => call<string>("chat_save_attachment", { sha256 }),
};

export type Api = typeof api;

/** The shell's sync link changed (payload LinkState). */
export async function onLink(handler: (l: LinkState) => void): Promise<() => void> {
  const t = await getTransport();
  return t.listen("link", (p) => handler(p as LinkState));
}

/**
 * The window's close button was pressed: the UI decides (unsent sales
 * warning). The payload is a QuitCheck (`unsent_ops`), or null from an older shell.
 */
export async function onQuitRequested(handler: (q: QuitCheck | null) => void): Promise<() => void> {
  const t = await getTransport();
  return t.listen("quit_requested", (p) =>
    handler(p && typeof (p as QuitCheck).unsent_ops === "number" ? (p as QuitCheck) : null),
  );
}
