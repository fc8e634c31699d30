// The pure rules of the till's chat screen: the order of messages (the HLC of
// the op that carried each one, then its id — as the HQ console orders them),
// folding a fresh poll into what is shown, the checks a picked file gets
// before it is sent (type by extension AND by its first bytes, size, count,
// as the till core and the hub check them), and small helpers (UUIDv7 ids,
// sizes). No IO here; screens/Chat.tsx calls these.

import type { Key } from "../i18n";

/** Longest message text, in UTF-8 bytes (sync-proto `MAX_MESSAGE_TEXT`). */
export const MAX_MESSAGE_TEXT = 4_000;
/** Most files on one message (sync-proto `MAX_ATTACHMENTS`). */
export const MAX_ATTACHMENTS = 4;
/** Largest attachment, in bytes: 10 MiB (sync-proto `MAX_ATTACHMENT_BYTES`). */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** What a request is about (sync-proto `TicketCategory::ALL`, in display order). */
export const TICKET_CATEGORIES = ["stock", "delivery", "facilities", "it", "customer", "other"] as const;
/** A ticket's statuses, in the only order it moves. */
export const TICKET_STATUSES = ["open", "in_progress", "resolved"] as const;
/** Messages per page asked of the shell. */
export const PAGE = 100;
/** What the file picker offers. */
export const ACCEPT = ".jpg,.jpeg,.png,.webp,.pdf,image/jpeg,image/png,image/webp,application/pdf";

export type AllowedType = "image/jpeg" | "image/png" | "image/webp" | "application/pdf";

const BY_EXTENSION: Record<string, AllowedType> = {
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  pdf: "application/pdf",
};

/** The position of a message in its channel. */
export interface Ordered {
  id: string;
  /** `wall.counter.actor.id` (the till's order key) or `wall.counter.actor` (the hub's). */
  order: string;
}

function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function parseOrder(order: string): { wall: number; counter: number; rest: string } | null {
  const [wall, counter, ...rest] = order.split(".");
  const w = Number(wall);
  const c = Number(counter);
  if (wall === undefined || counter === undefined || wall === "" || counter === "" || !Number.isFinite(w) || !Number.isFinite(c)) {
    return null;
  }
  return { wall: w, counter: c, rest: rest.join(".").toLowerCase() };
}

/** Compare two order keys as HLCs: wall time, counter (as numbers), then the rest. */
export function compareOrder(a: string, b: string): number {
  const x = parseOrder(a);
  const y = parseOrder(b);
  if (!x || !y) return cmp(a, b);
  return cmp(x.wall, y.wall) || cmp(x.counter, y.counter) || cmp(x.rest, y.rest);
}

/** The order of messages everywhere: op HLC, then message id. */
export function compareMessages(a: Ordered, b: Ordered): number {
  return compareOrder(a.order, b.order) || cmp(a.id.toLowerCase(), b.id.toLowerCase());
}

/**
 * Fold what the till answered now (`fresh`) into what is shown (`known`,
 * maybe with older pages): one entry per id, in order. The fresh copy wins —
 * the text never changes, but "seen by HQ", a ticket's status and a notice's
 * acknowledgement do.
 */
export function mergeFresh<M extends Ordered>(known: readonly M[], fresh: readonly M[]): M[] {
  const byId = new Map<string, M>();
  for (const m of known) byId.set(m.id, m);
  for (const m of fresh) byId.set(m.id, m);
  return [...byId.values()].sort(compareMessages);
}

/** Notices for the Notices tab: newest first, those still to acknowledge on top. */
export function noticesOrder<M extends Ordered & { requires_ack: boolean; acked_by: string | null }>(list: readonly M[]): M[] {
  const waiting = (m: M) => (m.requires_ack && m.acked_by === null ? 0 : 1);
  return list.slice().sort((a, b) => waiting(a) - waiting(b) || compareMessages(b, a));
}

/** Size of a text in UTF-8 bytes (the limits count bytes). */
export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** What is wrong with a draft, as an i18n key and its placeholders. */
export interface Problem {
  key: Extract<Key, `chat.err.${string}`>;
  vars?: Record<string, string | number>;
}

/** The allowed type a file name's extension stands for, or null. */
export function typeByName(name: string): AllowedType | null {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

/** The allowed type the first bytes of a file are (magic numbers), or null. */
export function sniff(head: Uint8Array): AllowedType | null {
  const starts = (sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (head.length >= 12 && starts([0x52, 0x49, 0x46, 0x46]) && head[8] === 0x57 && head[9] === 0x45 && head[10] === 0x42 && head[11] === 0x50) {
    return "image/webp";
  }
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return "application/pdf";
  return null;
}

/** A picked file's first check (before reading it): type by name, not empty, at most 10 MiB. */
export function checkFile(file: { name: string; size: number }): Problem | null {
  if (!typeByName(file.name)) return { key: "chat.err.file_type", vars: { name: file.name } };
  if (file.size <= 0) return { key: "chat.err.file_empty", vars: { name: file.name } };
  if (file.size > MAX_ATTACHMENT_BYTES) {
    return { key: "chat.err.file_size", vars: { name: file.name, mib: MAX_ATTACHMENT_BYTES / (1024 * 1024) } };
  }
  return null;
}

/** The second check (with its first 12 bytes): the contents are what the name says. */
export function checkContents(name: string, head: Uint8Array): Problem | null {
  const t = typeByName(name);
  if (!t) return { key: "chat.err.file_type", vars: { name } };
  return sniff(head) === t ? null : { key: "chat.err.file_contents", vars: { name } };
}

/** Check a message before it is sent: something to send, text within the limit, at most 4 files. */
export function checkMessage(text: string, files: number): Problem | null {
  if (text.trim() === "" && files === 0) return { key: "chat.err.empty" };
  const bytes = utf8Length(text);
  if (bytes > MAX_MESSAGE_TEXT) return { key: "chat.err.too_long", vars: { max: MAX_MESSAGE_TEXT, n: bytes } };
  if (files > MAX_ATTACHMENTS) return { key: "chat.err.too_many_files", vars: { max: MAX_ATTACHMENTS } };
  return null;
}

/** Unread over both channels (the nav badge). */
export function unreadTotal(channels: readonly { unread: number }[] | null | undefined): number {
  return (channels ?? []).reduce((n, c) => n + Math.max(0, c.unread), 0);
}

/** Keyboard in the composer: Enter sends, Shift+Enter is a new line (also while composing Hangul). */
export function composerKey(e: { key: string; shiftKey?: boolean; isComposing?: boolean }): "send" | null {
  return e.key === "Enter" && !e.shiftKey && !e.isComposing ? "send" : null;
}

/** A fresh message id: UUIDv7 (time-ordered), made here so a resend never duplicates. */
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

/** Is this attachment shown as a photo (else a file chip)? */
export function isPhoto(mime: string): boolean {
  return mime === "image/jpeg" || mime === "image/png" || mime === "image/webp";
}
