// The console's chat channels, shared by the Chat page and the navigation's
// unread badge: loaded once after login, then kept current by the
// /api/v1/events socket (a new message counts as unread at once; a read,
// a ticket's move, a missed stretch of events or a reconnect reload the list
// from the hub, which counts unread per user). No polling.

import { useEffect, useState } from "preact/hooks";

import type { ChatChannelSummary } from "../api/types/ChatChannelSummary";
import { live, type LiveStatus } from "../live/socket";
import { chatApi } from "./api";
import { applyMessage, unreadTotal } from "./logic";

export interface ChannelsState {
  channels: ChatChannelSummary[] | null;
  error: unknown;
}

type Listener = (s: ChannelsState) => void;

class ChatChannels {
  private state: ChannelsState = { channels: null, error: null };
  private listeners = new Set<Listener>();
  private me: string | null = null;
  private stopLive: (() => void) | null = null;
  private loading: Promise<void> | null = null;
  private again = false;
  /** The channel on screen: its new messages are read as they arrive. */
  viewing: string | null = null;

  get current(): ChannelsState {
    return this.state;
  }

  /** Start for a signed-in user (idempotent). */
  start(username: string): void {
    if (this.me === username && this.stopLive) return;
    this.stop();
    this.me = username;
    let status: LiveStatus = live.status;
    const offEvents = live.subscribe((e) => {
      switch (e.type) {
        case "chat_message": {
          const list = this.state.channels;
          if (!list || !list.some((c) => c.channel === e.message.channel)) {
            this.reload();
            return;
          }
          this.set({ ...this.state, channels: applyMessage(list, e.message, username, this.onScreen()) });
          return;
        }
        case "chat_read":
          if (e.reader === `user:${username}`) this.reload();
          return;
        case "ticket_update":
        case "lagged":
          this.reload();
          return;
        default:
          return;
      }
    });
    const offStatus = live.onStatus((s) => {
      // Events sent while the socket was down are gone: read the list again.
      if (s === "live" && status !== "live") this.reload();
      status = s;
    });
    this.stopLive = () => {
      offEvents();
      offStatus();
    };
    this.reload();
  }

  stop(): void {
    this.stopLive?.();
    this.stopLive = null;
    this.me = null;
    this.set({ channels: null, error: null });
  }

  /** Read the list from the hub (one request at a time; a call meanwhile runs once more after it). */
  reload(): void {
    if (this.loading) {
      this.again = true;
      return;
    }
    const who = this.me;
    this.loading = chatApi.channels().then(
      (channels) => {
        if (this.me === who) this.set({ channels, error: null });
      },
      (error: unknown) => {
        if (this.me === who) this.set({ ...this.state, error });
      },
    );
    void this.loading.finally(() => {
      this.loading = null;
      if (this.again) {
        this.again = false;
        this.reload();
      }
    });
  }

  /** The person read `channel` to its end (the hub confirms with a `chat_read` event). */
  readAll(channel: string): void {
    const list = this.state.channels;
    if (!list) return;
    if (!list.some((c) => c.channel === channel && c.unread > 0)) return;
    this.set({ ...this.state, channels: list.map((c) => (c.channel === channel ? { ...c, unread: 0 } : c)) });
  }

  /** The channel a person is looking at now (none while the tab is hidden). */
  private onScreen(): string | null {
    if (typeof document !== "undefined" && document.visibilityState === "hidden") return null;
    return this.viewing;
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private set(s: ChannelsState): void {
    this.state = s;
    for (const l of this.listeners) l(s);
  }
}

export const chatChannels = new ChatChannels();

/** The channel list, live. */
export function useChatChannels(): ChannelsState {
  const [state, setState] = useState<ChannelsState>(chatChannels.current);
  useEffect(() => {
    setState(chatChannels.current);
    return chatChannels.subscribe(setState);
  }, []);
  return state;
}

/** Unread messages over every channel the user may see. */
export function useUnreadTotal(): number {
  const { channels } = useChatChannels();
  return channels ? unreadTotal(channels) : 0;
}
