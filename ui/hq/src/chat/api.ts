// The chat endpoints of the hub (`/api/v1/chat/…`), typed with the ts-rs
// types the hub generates. Uploads send the file's bytes as they are, with
// their media type, and turn a refusal (413, 415) into the hub's own message.

import { api, errorFromResponse, ApiError } from "../api/client";
import type { AnnouncementDetail } from "../api/types/AnnouncementDetail";
import type { AnnouncementSummary } from "../api/types/AnnouncementSummary";
import type { Attachment } from "../api/types/Attachment";
import type { ChatChannelSummary } from "../api/types/ChatChannelSummary";
import type { ChatMessage } from "../api/types/ChatMessage";
import type { ChatMessagePage } from "../api/types/ChatMessagePage";
import type { CreateAnnouncement } from "../api/types/CreateAnnouncement";
import type { PostChatMessage } from "../api/types/PostChatMessage";
import type { RemindResult } from "../api/types/RemindResult";
import type { Ticket } from "../api/types/Ticket";
import type { TicketStatus } from "../api/types/TicketStatus";
import { fileType } from "./logic";

const ch = (channel: string) => `/chat/channels/${encodeURIComponent(channel)}`;

export const chatApi = {
  channels: (signal?: AbortSignal) => api.get<ChatChannelSummary[]>("/chat/channels", undefined, signal),
  messages: (channel: string, query: { before?: string; after?: string; limit?: number }, signal?: AbortSignal) =>
    api.get<ChatMessagePage>(`${ch(channel)}/messages`, query, signal),
  send: (channel: string, body: PostChatMessage) => api.post<ChatMessage>(`${ch(channel)}/messages`, body),
  markRead: (channel: string, upTo: string) => api.post<void>(`${ch(channel)}/read`, { up_to: upTo }),
  search: (q: string, channel: string | null, signal?: AbortSignal) =>
    api.get<ChatMessagePage>("/chat/search", { q, channel }, signal),
  announcements: (signal?: AbortSignal) => api.get<AnnouncementSummary[]>("/chat/announcements", undefined, signal),
  announcement: (id: string, signal?: AbortSignal) =>
    api.get<AnnouncementDetail>(`/chat/announcements/${encodeURIComponent(id)}`, undefined, signal),
  announce: (body: CreateAnnouncement) => api.post<AnnouncementSummary>("/chat/announcements", body),
  remind: (id: string) => api.post<RemindResult>(`/chat/announcements/${encodeURIComponent(id)}/remind`),
  tickets: (query: { status?: string; store?: string | null; category?: string }, signal?: AbortSignal) =>
    api.get<Ticket[]>("/chat/tickets", query, signal),
  setTicketStatus: (id: string, status: TicketStatus) =>
    api.post<Ticket>(`/chat/tickets/${encodeURIComponent(id)}/status`, { status }),
};

/** Where the browser fetches an attachment's bytes. */
export function attachmentUrl(sha256: string): string {
  return api.url(`/chat/attachments/${encodeURIComponent(sha256)}`);
}

/** Upload one file (`POST /chat/attachments?name=`); the hub checks its type, bytes and size. */
export async function uploadAttachment(file: File): Promise<Attachment> {
  let res: Response;
  try {
    res = await fetch(api.url("/chat/attachments", { name: file.name }), {
      method: "POST",
      headers: { "content-type": fileType(file) || "application/octet-stream", accept: "application/json" },
      body: file,
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "network", "the hub could not be reached");
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (res.status === 401) api.onUnauthorized?.();
    throw err;
  }
  return (await res.json()) as Attachment;
}
