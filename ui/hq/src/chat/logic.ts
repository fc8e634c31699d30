// The pure rules of the console's chat, notices and tickets: the order of
// messages (op HLC, then id — the same on every screen), merging what the
// REST API and the live socket bring without duplicates, unread counts, the
// forward-only ticket status, and the checks a person gets before the hub
// refuses something (file type and size, text length, an announcement's
// audience). No IO here; the pages and `chat/store.ts` call these.

import type { Key } from "../i18n";

/** Longest message text, in UTF-8 bytes (sync-proto `MAX_MESSAGE_TEXT`). */
export const MAX_MESSAGE_TEXT = 4_000;
/** Longest announcement title, in UTF-8 bytes (sync-proto `MAX_TITLE`). */
export const MAX_TITLE = 200;
/** Most files on one message (sync-proto `MAX_ATTACHMENTS`). */
export const MAX_ATTACHMENTS = 4;
/** Largest attachment, in bytes: 10 MiB (sync-proto `MAX_ATTACHMENT_BYTES`). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** Photos and PDF notices (sync-proto `ALLOWED_ATTACHMENT_TYPES`). */
export const ALLOWED_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"] as const;
export type AllowedType = (typeof ALLOWED_TYPES)[number];

const BY_EXTENSION: Record<string, AllowedType> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  pdf: "application/pdf",
};

/** The position of a message in its channel, as the hub sends it. */
export interface Ordered {
  id: string;
  /** `"wall.counter.actor"`: the HLC of the op that carried the message. */
  order: string;
}

interface OrderKey {
  wall: number;
  counter: number;
  actor: string;
}

function parseOrder(order: string): OrderKey | null {
  const [wall, counter, ...rest] = order.split(".");
  const w = Number(wall);
  const c = Number(counter);
  if (wall === undefined || counter === undefined || !Number.isFinite(w) || !Number.isFinite(c)) return null;
  return { wall: w, counter: c, actor: rest.join(".").toLowerCase() };
}

function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Compare two order keys as HLCs: wall time, then counter, then actor. The
 * numbers are compared as numbers, so a key with or without zero padding
 * sorts the same.
 */
export function compareOrder(a: string, b: string): number {
  const x = parseOrder(a);
  const y = parseOrder(b);
  if (!x || !y) return cmp(a, b);
  return cmp(x.wall, y.wall) || cmp(x.counter, y.counter) || cmp(x.actor, y.actor);
}

/** The order of messages everywhere: op HLC, then message id. */
export function compareMessages(a: Ordered, b: Ordered): number {
  return compareOrder(a.order, b.order) || cmp(a.id.toLowerCase(), b.id.toLowerCase());
}

/**
 * `known` and `incoming` as one list in order, each id once. The copy
 * already shown wins (a message never changes after it is written, and the
 * first copy is the one every replica keeps).
 */
export function mergeMessages<M extends Ordered>(known: readonly M[], incoming: readonly M[]): M[] {
  const seen = new Set<string>();
  const out: M[] = [];
  for (const m of [...known, ...incoming]) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(m);
  }
  return out.sort(compareMessages);
}

/** The newest of a list (by HLC and id), or null. */
export function newest<M extends Ordered>(list: readonly M[]): M | null {
  let best: M | null = null;
  for (const m of list) if (!best || compareMessages(m, best) > 0) best = m;
  return best;
}

/**
 * The order key to mark read when a person views `messages`, or null when
 * nothing newer than `readUpTo` is on screen (so no read is sent for nothing).
 */
export function readTarget(messages: readonly Ordered[], readUpTo: string | null): string | null {
  const last = newest(messages);
  if (!last) return null;
  if (readUpTo !== null && compareOrder(last.order, readUpTo) <= 0) return null;
  return last.order;
}

/** The fields of a channel summary these rules use. */
export interface ChannelLike<M> {
  channel: string;
  last_message: M | null;
  unread: number;
  open_tickets: number;
}

/** The fields of a message these rules use. */
export interface MessageLike extends Ordered {
  channel: string;
  username: string | null;
  kind: string;
}

/** Unread messages over every channel (the badge in the navigation). */
export function unreadTotal(channels: readonly { unread: number }[]): number {
  return channels.reduce((n, c) => n + Math.max(0, c.unread), 0);
}

/**
 * Fold a message that just arrived (live) into the channel list: it becomes
 * the channel's last message when it is newer; it counts as unread unless
 * `me` wrote it or the channel is on screen (`viewing`); a ticket adds an
 * open ticket. A channel the list does not have is left alone (the caller
 * reloads the list then). Returns the same array when nothing changed.
 */
export function applyMessage<M extends MessageLike, C extends ChannelLike<M>>(
  channels: readonly C[],
  message: M,
  me: string,
  viewing: string | null,
): C[] {
  const i = channels.findIndex((c) => c.channel === message.channel);
  const c = channels[i];
  if (!c) return channels as C[];
  if (c.last_message && c.last_message.id === message.id) return channels as C[];
  const newer = !c.last_message || compareMessages(message, c.last_message) > 0;
  const mine = message.username !== null && message.username === me;
  const next: C = {
    ...c,
    last_message: newer ? message : c.last_message,
    unread: mine || viewing === message.channel ? c.unread : c.unread + 1,
    open_tickets: message.kind === "ticket" ? c.open_tickets + 1 : c.open_tickets,
  };
  const out = channels.slice() as C[];
  out[i] = next;
  return out;
}

/**
 * Conversations before notices; within each, the newest first and those
 * without messages by store.
 */
export function sortChannels<M extends Ordered, C extends ChannelLike<M> & { store: string; kind: string }>(channels: readonly C[]): C[] {
  const rank = (c: C) => (c.kind === "notices" ? 1 : 0);
  return channels.slice().sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (a.last_message && b.last_message) return compareMessages(b.last_message, a.last_message);
    if (a.last_message) return -1;
    if (b.last_message) return 1;
    return cmp(a.store, b.store) || cmp(a.channel, b.channel);
  });
}

export const TICKET_STATUSES = ["open", "in_progress", "resolved"] as const;
/** What a request is about (sync-proto `TicketCategory::ALL`, in display order). */
export const TICKET_CATEGORIES = ["stock", "delivery", "facilities", "it", "customer", "other"] as const;
export type TicketStatusName = (typeof TICKET_STATUSES)[number];

/** The statuses a ticket may move to from `status` (never backwards). */
export function nextStatuses(status: string | null): TicketStatusName[] {
  const at = TICKET_STATUSES.indexOf((status ?? "open") as TicketStatusName);
  return at < 0 ? [] : TICKET_STATUSES.slice(at + 1);
}

/** The furthest of two statuses (what the hub keeps when two updates cross). */
export function furthestStatus(a: string | null, b: string | null): string | null {
  const ia = TICKET_STATUSES.indexOf((a ?? "") as TicketStatusName);
  const ib = TICKET_STATUSES.indexOf((b ?? "") as TicketStatusName);
  return ib > ia ? b : a;
}

/**
 * A ticket's new status on the message that raised it, never backwards (an
 * older update arriving late changes nothing). Same array when no message is
 * that ticket.
 */
export function withTicketStatus<M extends { id: string; ticket_status: S | null }, S extends string>(
  list: M[],
  ticket: { id: string; status: NoInfer<S> },
): M[] {
  if (!list.some((m) => m.id === ticket.id)) return list;
  return list.map((m) => (m.id === ticket.id ? { ...m, ticket_status: furthestStatus(m.ticket_status, ticket.status) as S } : m));
}

/**
 * Merge a page the hub sent again (after a reconnect or lost events) into
 * what is shown: new messages in order, and the tickets among them moved to
 * the furthest status either copy knows (a message's text never changes, its
 * ticket's status does).
 */
export function mergeRefetched<M extends Ordered & { ticket_status: S | null }, S extends string>(known: readonly M[], page: readonly M[]): M[] {
  let out = mergeMessages(known, page);
  for (const m of page) if (m.ticket_status !== null) out = withTicketStatus(out, { id: m.id, status: m.ticket_status });
  return out;
}

/** The inbox's filters ("" = any). */
export interface InboxFilter {
  status: string;
  store: string;
  category: string;
}

/** Does a ticket belong in the inbox under these filters? */
export function inInbox(t: { status: string; store: string; category: string }, f: InboxFilter): boolean {
  return (!f.status || t.status === f.status) && (!f.store || t.store === f.store) && (!f.category || t.category === f.category);
}

/**
 * Fold a ticket's update into the inbox: replaced where it is, added on top
 * when it now matches the filters, dropped when it no longer does.
 */
export function upsertTicket<T extends { id: string; status: string; store: string; category: string }>(list: T[], ticket: T, f: InboxFilter): T[] {
  const rest = list.filter((x) => x.id !== ticket.id);
  if (!inInbox(ticket, f)) return rest;
  return list.some((x) => x.id === ticket.id) ? list.map((x) => (x.id === ticket.id ? ticket : x)) : [ticket, ...rest];
}

/** Size of a text in UTF-8 bytes (the hub's limits count bytes). */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** What is wrong with a draft, as an i18n key and its placeholders. */
export interface Problem {
  /** A key of the dictionary (checked by the compiler). */
  key: Extract<Key, `chat.err.${string}` | `notices.err.${string}`>;
  vars?: Record<string, string | number>;
}

/** The media type a file will be sent as: the browser's, else by extension. */
export function fileType(file: { name: string; type: string }): string {
  if (file.type) return file.type.toLowerCase();
  const ext = file.name.toLowerCase().split(".").pop() ?? "";
  return BY_EXTENSION[ext] ?? "";
}

/** Refuse a file the hub would refuse: a type other than photos and PDF, empty, or over 10 MiB. */
export function checkFile(file: { name: string; type: string; size: number }): Problem | null {
  const type = fileType(file);
  if (!(ALLOWED_TYPES as readonly string[]).includes(type)) {
    return { key: "chat.err.file_type", vars: { name: file.name } };
  }
  if (file.size <= 0) return { key: "chat.err.file_empty", vars: { name: file.name } };
  if (file.size > MAX_ATTACHMENT_BYTES) {
    return { key: "chat.err.file_size", vars: { name: file.name, mib: MAX_ATTACHMENT_BYTES / (1024 * 1024) } };
  }
  return null;
}

/** Check a message before it is sent: something to send, text within the limit, at most 4 files. */
export function checkMessage(text: string, files: number): Problem | null {
  if (text.trim() === "" && files === 0) return { key: "chat.err.empty" };
  const bytes = utf8Length(text);
  if (bytes > MAX_MESSAGE_TEXT) return { key: "chat.err.too_long", vars: { max: MAX_MESSAGE_TEXT, n: bytes } };
  if (files > MAX_ATTACHMENTS) return { key: "chat.err.too_many_files", vars: { max: MAX_ATTACHMENTS } };
  return null;
}

/** Who an announcement goes to, as the form holds it. */
export interface AudienceDraft {
  mode: "all" | "region" | "stores";
  region: string;
  stores: string[];
}

/** The stores an announcement can reach (warehouses never get announcements). */
export interface StoreLike {
  code: string;
  kind: string;
  region: string | null;
}

/** The `audience` of `POST /chat/announcements`. */
export type AudienceBody = { all: true } | { region: string } | { stores: string[] };

export type AudienceCheck = { ok: true; body: AudienceBody; stores: string[] } | { ok: false; problem: Problem };

/** Regions of the chain's stores, sorted, each once. */
export function regionsOf(stores: readonly StoreLike[]): string[] {
  const set = new Set<string>();
  for (const s of stores) if (s.kind === "store" && s.region) set.add(s.region);
  return [...set].sort();
}

/**
 * Check the audience picker: a region must be chosen and hold stores; a
 * list must name at least one known store. Returns the body to send and the
 * store codes it reaches today (stores created later do not get it).
 */
export function checkAudience(draft: AudienceDraft, stores: readonly StoreLike[]): AudienceCheck {
  const shops = stores.filter((s) => s.kind === "store");
  switch (draft.mode) {
    case "all":
      if (shops.length === 0) return { ok: false, problem: { key: "notices.err.no_stores" } };
      return { ok: true, body: { all: true }, stores: shops.map((s) => s.code) };
    case "region": {
      const region = draft.region.trim();
      if (!region) return { ok: false, problem: { key: "notices.err.no_region" } };
      const reached = shops.filter((s) => s.region === region).map((s) => s.code);
      if (reached.length === 0) return { ok: false, problem: { key: "notices.err.region_empty", vars: { region } } };
      return { ok: true, body: { region }, stores: reached };
    }
    case "stores": {
      const chosen = [...new Set(draft.stores)];
      if (chosen.length === 0) return { ok: false, problem: { key: "notices.err.no_stores" } };
      const unknown = chosen.find((c) => !shops.some((s) => s.code === c));
      if (unknown) return { ok: false, problem: { key: "notices.err.unknown_store", vars: { store: unknown } } };
      return { ok: true, body: { stores: chosen }, stores: chosen };
    }
  }
}

/** Check an announcement's title (1 to 200 bytes) and text (as a message). */
export function checkAnnouncement(title: string, text: string, files: number): Problem | null {
  if (title.trim() === "") return { key: "notices.err.title" };
  if (utf8Length(title) > MAX_TITLE) return { key: "notices.err.title_long", vars: { max: MAX_TITLE } };
  return checkMessage(text, files);
}

/** A channel's store code (`store:GN01` → `GN01`) and kind. */
export function parseChannel(channel: string): { kind: "store" | "notices"; store: string } | null {
  const m = /^(store|notices):(.+)$/.exec(channel);
  if (!m || !m[1] || !m[2]) return null;
  return { kind: m[1] === "store" ? "store" : "notices", store: m[2] };
}

/** A fresh message id: UUIDv7 (time-ordered), made on the client so a resend never duplicates. */
export function uuidv7(now = Date.now(), random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const b = random(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Human size of a file: 812 B, 48 KB, 2.4 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}
