import { beforeEach, describe, expect, it, vi } from "vitest";

import type { ChatChannelSummary } from "../src/api/types/ChatChannelSummary";
import type { ChatMessage } from "../src/api/types/ChatMessage";
import type { Event as LiveEvent } from "../src/api/types/Event";
import type { LiveStatus } from "../src/live/socket";

// A live socket the test drives by hand, and a hub whose channel list it sets.
const socket = vi.hoisted(() => ({
  listeners: new Set<(e: unknown) => void>(),
  statusListeners: new Set<(s: string) => void>(),
  status: "live" as string,
}));
const hub = vi.hoisted(() => ({ channels: [] as unknown[], calls: 0 }));

vi.mock("../src/live/socket", () => ({
  live: {
    get status() {
      return socket.status;
    },
    subscribe: (l: (e: unknown) => void) => {
      socket.listeners.add(l);
      return () => socket.listeners.delete(l);
    },
    onStatus: (l: (s: string) => void) => {
      socket.statusListeners.add(l);
      l(socket.status);
      return () => socket.statusListeners.delete(l);
    },
  },
}));
vi.mock("../src/chat/api", () => ({
  chatApi: {
    channels: () => {
      hub.calls++;
      return Promise.resolve(structuredClone(hub.channels));
    },
  },
}));

const { chatChannels } = await import("../src/chat/store");

const emit = (e: LiveEvent) => socket.listeners.forEach((l) => l(e));
const setStatus = (s: LiveStatus) => {
  socket.status = s;
  socket.statusListeners.forEach((l) => l(s));
};
const settle = () => new Promise((r) => setTimeout(r, 0));

function message(id: string, channel: string, order: string, username: string | null = "ch01.kim"): ChatMessage {
  return {
    id,
    channel,
    order,
    hlc_wall_ms: 0,
    side: username === "admin" ? "hq" : "store",
    username,
    display_name: username ?? "till",
    text: id,
    kind: "chat",
    category: null,
    ticket_status: null,
    announcement: null,
    title: null,
    requires_ack: false,
    attachments: [],
    written_at_ms: 0,
  };
}

function channel(name: string, unread: number): ChatChannelSummary {
  const store = name.split(":")[1] ?? "";
  return { channel: name, store, store_name: store, kind: name.startsWith("notices") ? "notices" : "store", last_message: null, unread, open_tickets: 0 };
}

describe("the live channel list", () => {
  beforeEach(async () => {
    chatChannels.stop();
    socket.status = "live";
    hub.channels = [channel("store:CH01", 1), channel("notices:CH01", 0)];
    hub.calls = 0;
    chatChannels.start("admin");
    await settle();
  });

  it("loads once, then counts live messages without asking the hub again", async () => {
    expect(hub.calls).toBe(1);
    expect(chatChannels.current.channels?.[0]?.unread).toBe(1);
    emit({ type: "chat_message", message: message("m1", "store:CH01", "1.0.a") });
    emit({ type: "chat_message", message: message("m1", "store:CH01", "1.0.a") });
    emit({ type: "chat_message", message: message("m2", "store:CH01", "2.0.a", "admin") });
    await settle();
    expect(chatChannels.current.channels?.[0]).toMatchObject({ unread: 2, last_message: { id: "m2" } });
    expect(hub.calls).toBe(1);
    // A channel on screen is read as messages arrive.
    chatChannels.viewing = "store:CH01";
    emit({ type: "chat_message", message: message("m3", "store:CH01", "3.0.a") });
    expect(chatChannels.current.channels?.[0]?.unread).toBe(2);
    chatChannels.viewing = null;
  });

  it("asks the hub again after my read, a ticket update, lag, a reconnect or a new channel — not for others' reads", async () => {
    emit({ type: "chat_read", channel: "store:CH01", reader: "user:someone", up_to: "1" });
    await settle();
    expect(hub.calls).toBe(1);
    hub.channels = [channel("store:CH01", 0), channel("notices:CH01", 0)];
    emit({ type: "chat_read", channel: "store:CH01", reader: "user:admin", up_to: "1" });
    await settle();
    expect(hub.calls).toBe(2);
    expect(chatChannels.current.channels?.[0]?.unread).toBe(0);
    emit({ type: "lagged" });
    await settle();
    expect(hub.calls).toBe(3);
    setStatus("offline");
    setStatus("connecting");
    await settle();
    expect(hub.calls).toBe(3);
    setStatus("live");
    await settle();
    expect(hub.calls).toBe(4);
    emit({ type: "chat_message", message: message("x", "store:NEW1", "1.0.a") });
    await settle();
    expect(hub.calls).toBe(5);
  });

  it("zeroes a channel read on screen at once and forgets everything at logout", () => {
    chatChannels.readAll("store:CH01");
    expect(chatChannels.current.channels?.[0]?.unread).toBe(0);
    chatChannels.stop();
    expect(chatChannels.current.channels).toBeNull();
    emit({ type: "chat_message", message: message("m9", "store:CH01", "9.0.a") });
    expect(chatChannels.current.channels).toBeNull();
  });
});
