// DEV ONLY: the chat part of the mock backend (./mock.ts): the store chat
// with HQ, notices (one waiting for acknowledgement), requests, photos drawn
// on a canvas, and HQ "reading" and answering a few seconds after the store
// writes — so the chat screen's polling can be seen working in `vite dev`.
// Mirrors pos-agent/desktop/src/chat.rs: same commands, shapes and codes.

import type { AckOutcome } from "./types/AckOutcome";
import type { AttachmentView } from "./types/AttachmentView";
import type { ChatChannel } from "./types/ChatChannel";
import type { ChatMessageView } from "./types/ChatMessageView";
import type { PickedFile } from "./types/PickedFile";
import type { Staff } from "./types/Staff";
import type { TicketCategory } from "./types/TicketCategory";
import type { TicketView } from "./types/TicketView";

type Handler = (a: Record<string, unknown>) => unknown;
const ui = (code: string, message: string) => ({ code, message });

const HUB = "09090909090909090909090909090909";
const TILL = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1";

function orderKey(wall: number, counter: number, actor: string, id: string): string {
  return `${String(wall).padStart(16, "0")}.${String(counter).padStart(10, "0")}.${actor}.${id.replace(/-/g, "")}`;
}

/** A small PNG drawn on a canvas (the mock's "photo"). */
function drawPhoto(label: string, hue: number): string {
  try {
    const c = document.createElement("canvas");
    c.width = 320;
    c.height = 220;
    const g = c.getContext("2d");
    if (!g) return "";
    const grad = g.createLinearGradient(0, 0, 320, 220);
    grad.addColorStop(0, `hsl(${hue} 45% 78%)`);
    grad.addColorStop(1, `hsl(${hue + 40} 45% 52%)`);
    g.fillStyle = grad;
    g.fillRect(0, 0, 320, 220);
    g.fillStyle = "rgba(255,255,255,0.85)";
    g.fillRect(40, 60, 240, 110);
    g.fillStyle = "#1c1917";
    g.font = "bold 22px sans-serif";
    g.fillText(label, 60, 125);
    return c.toDataURL("image/png");
  } catch {
    return "";
  }
}

export function chatMock(getStaff: () => Staff | null, bump: () => void, pinStaff: Record<string, Staff>): Record<string, Handler> {
  const now = Date.now();
  let counter = 0;
  const files = new Map<string, { name: string; mime: string; dataUrl: string }>();
  const messages: ChatMessageView[] = [];
  const tickets = new Map<string, { status: TicketView["status"]; updated_by: string | null }>();
  const read: Record<"store" | "notices", string> = { store: "", notices: "" };

  const addFile = (name: string, mime: string, dataUrl: string, state: string): AttachmentView => {
    const sha = Array.from({ length: 64 }, (_, i) => "0123456789abcdef"[(i * 7 + files.size * 13 + name.length) % 16]).join("");
    files.set(sha, { name, mime, dataUrl });
    const bytes = Math.round((dataUrl.length * 3) / 4);
    return { sha256: sha, name, mime, size: bytes, state };
  };

  const push = (
    m: Partial<ChatMessageView> & Pick<ChatMessageView, "channel" | "side" | "display_name" | "text">,
    wall: number,
    actor: string,
  ): ChatMessageView => {
    const id = crypto.randomUUID();
    const full: ChatMessageView = {
      id,
      order: orderKey(wall, counter++, actor, id),
      hlc_wall_ms: wall,
      username: null,
      kind: "chat",
      category: null,
      ticket_status: null,
      announcement: null,
      title: null,
      requires_ack: false,
      acked_by: null,
      acked_at_ms: null,
      attachments: [],
      written_at_ms: wall,
      mine: false,
      seen_by_hq: false,
      ...m,
    };
    messages.push(full);
    if (full.kind === "ticket") tickets.set(full.id, { status: full.ticket_status ?? "open", updated_by: null });
    return full;
  };

  // The seed: a conversation, notices, requests.
  const hq = { side: "hq" as const, username: "lee.hq", display_name: "Lee Soyoung" };
  const store = (name: string, user: string) => ({ side: "store" as const, username: user, display_name: name, mine: true, seen_by_hq: true });
  push({ ...hq, channel: "store:GN01", text: "Good morning Gangnam! The winter window kit arrives today — please set it up before 11:00 and send us a photo." }, now - 5 * 3_600_000, HUB);
  push(
    { ...store("Kim Minji", "minji"), channel: "store:GN01", text: "Kit received. Setting up now — here is the first half.", attachments: [addFile("window-left.png", "image/png", drawPhoto("Window — left", 210), "uploaded")] },
    now - 4 * 3_600_000,
    TILL,
  );
  push({ ...hq, channel: "store:GN01", text: "Looks great. Planogram attached for the second window.", attachments: [addFile("planogram-w49.pdf", "application/pdf", "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IK", "cached")] }, now - 3.5 * 3_600_000, HUB);
  push(
    { ...store("Park Jisoo", "jisoo"), channel: "store:GN01", kind: "ticket", category: "delivery", ticket_status: "in_progress", text: "Delivery DN-4471 arrived with 2 cartons short (KN200 ivory)." },
    now - 2 * 3_600_000,
    TILL,
  );
  tickets.set(messages[messages.length - 1]!.id, { status: "in_progress", updated_by: "lee.hq" });
  push({ ...hq, channel: "store:GN01", text: "Thanks — we are checking with the warehouse, the missing cartons go out tomorrow." }, now - 25 * 60_000, HUB);
  push(
    { ...store("Kim Minji", "minji"), channel: "store:GN01", kind: "ticket", category: "it", ticket_status: "resolved", text: "Receipt printer on till 2 was jamming." },
    now - 30 * 3_600_000,
    TILL,
  );
  tickets.set(messages[messages.length - 1]!.id, { status: "resolved", updated_by: "it.desk" });
  push(
    { ...hq, channel: "notices:GN01", kind: "announcement", announcement: crypto.randomUUID(), title: "New returns policy from Monday", requires_ack: true, text: "From Monday 1 December, returns without a receipt are refused. Please read the attached policy and confirm with your PIN.", attachments: [addFile("returns-policy.pdf", "application/pdf", "data:application/pdf;base64,JVBERi0xLjQKJcfsj6IK", "cached")] },
    now - 50 * 60_000,
    HUB,
  );
  push({ ...hq, channel: "notices:GN01", kind: "announcement", announcement: crypto.randomUUID(), title: "Winter sale −20% on knitwear", text: "The sale price applies automatically on all tills from Friday 00:00." }, now - 26 * 3_600_000, HUB);
  push(
    { ...hq, channel: "notices:GN01", kind: "announcement", announcement: crypto.randomUUID(), title: "Fire drill on Thursday", requires_ack: true, acked_by: "Park Jisoo", acked_at_ms: now - 40 * 3_600_000, text: "A short fire drill at 09:30 before opening." },
    now - 48 * 3_600_000,
    HUB,
  );
  read.store = messages.filter((m) => m.channel === "store:GN01")[2]!.order;

  const kindOf = (k: unknown) => (k === "notices" ? "notices" : "store");
  const channelOf = (k: "store" | "notices") => `${k}:GN01`;
  const inChannel = (k: "store" | "notices") =>
    messages.filter((m) => m.channel === channelOf(k)).sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  const withTicket = (m: ChatMessageView): ChatMessageView => {
    const tk = tickets.get(m.id);
    return tk ? { ...m, ticket_status: tk.status } : m;
  };
  const needStaff = (): Staff => {
    const s = getStaff();
    if (!s) throw ui("not_unlocked", "the till is locked: unlock it with your PIN first");
    return s;
  };
  const unread = (k: "store" | "notices") => inChannel(k).filter((m) => !m.mine && m.order > read[k]).length;

  const check = (text: string, attachments: PickedFile[]) => {
    if (!text.trim() && attachments.length === 0) throw ui("message_refused", "the message is empty: write something or attach a file");
    if (attachments.length > 4) throw ui("message_refused", `${attachments.length} attachments; at most 4 per message`);
    return attachments.map((f) => {
      const bytes = typeof f.bytes === "string" ? f.bytes : "";
      const mime = /^data:([^;,]+)/.exec(bytes)?.[1] ?? "";
      const ext = f.name.toLowerCase().split(".").pop() ?? "";
      const want = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp", pdf: "application/pdf" }[ext];
      if (!want) throw ui("attachment_refused", `cannot attach ${f.name}: this type of file is not allowed; attach a photo (.jpg, .png, .webp) or a PDF`);
      if (mime && mime !== want) throw ui("attachment_refused", `cannot attach ${f.name}: its name says ${want} but its contents are not`);
      return addFile(f.name, want, bytes.startsWith("data:") ? bytes : `data:${want};base64,${bytes}`, "pending");
    });
  };

  const send = (text: string, attachments: PickedFile[], id: unknown, ticket: TicketCategory | null) => {
    const s = needStaff();
    const existing = messages.find((m) => m.id === id);
    if (existing) return { message: withTicket(existing), created: false };
    const refs = check(text, attachments);
    const m = push(
      {
        channel: "store:GN01", side: "store", username: s.username, display_name: s.display_name, text, mine: true, attachments: refs,
        ...(ticket ? { kind: "ticket", category: ticket, ticket_status: "open" as const } : {}),
      },
      Date.now(),
      TILL,
    );
    if (typeof id === "string" && id) {
      // Keep the id the screen made (a retry finds it).
      tickets.delete(m.id);
      m.id = id;
      m.order = orderKey(m.hlc_wall_ms, counter++, TILL, id);
      if (ticket) {
        tickets.set(id, { status: "open", updated_by: null });
      }
    }
    bump();
    // HQ reads it a few seconds later, and sometimes answers.
    setTimeout(() => {
      m.seen_by_hq = true;
      if (!ticket && messages.filter((x) => x.side === "store").length % 2 === 0) {
        push({ ...hq, channel: "store:GN01", text: "Thanks, noted." }, Date.now(), HUB);
      }
      if (ticket) {
        const tk = tickets.get(m.id);
        if (tk) tickets.set(m.id, { status: "in_progress", updated_by: "lee.hq" });
      }
    }, 4_000);
    return { message: withTicket(m), created: true };
  };

  return {
    chat_channels: (): ChatChannel[] => {
      needStaff();
      return (["store", "notices"] as const).map((k) => {
        const list = inChannel(k);
        return {
          kind: k,
          channel: channelOf(k),
          unread: unread(k),
          latest: list[list.length - 1]?.order ?? null,
          open_tickets: k === "store" ? [...tickets.values()].filter((x) => x.status !== "resolved").length : 0,
          pending_acks: k === "notices" ? list.filter((m) => m.requires_ack && !m.acked_by).length : 0,
        };
      });
    },
    chat_messages: (a) => {
      needStaff();
      let list = inChannel(kindOf(a.kind));
      if (a.before) {
        const i = list.findIndex((m) => m.id === a.before);
        list = i < 0 ? [] : list.slice(0, i);
      }
      return list.slice(-Number(a.limit ?? 100)).map(withTicket);
    },
    chat_send: (a) => {
      if (a.kind === "notices") throw ui("notices_read_only", "notices come from head office; write to head office in the store chat");
      return send(String(a.text ?? ""), (a.attachments as PickedFile[] | undefined) ?? [], a.id, null);
    },
    chat_raise_ticket: (a) => send(String(a.text ?? ""), (a.attachments as PickedFile[] | undefined) ?? [], a.id, a.category as TicketCategory),
    chat_read: (a) => {
      needStaff();
      const k = kindOf(a.kind);
      const list = inChannel(k);
      const last = list[list.length - 1]?.order ?? "";
      if (last <= read[k]) return false;
      read[k] = last;
      return true;
    },
    chat_ack: async (a): Promise<AckOutcome> => {
      needStaff();
      await new Promise((r) => setTimeout(r, 150));
      const m = messages.find((x) => x.announcement === a.announcement || x.id === a.announcement);
      if (!m) throw ui("unknown_announcement", `no announcement ${a.announcement} in this store's notices`);
      const who = pinStaff[String(a.pin)];
      if (!who) throw ui("wrong_pin", "wrong PIN: no active staff member of this store has it");
      if (m.acked_by) return { announcement: m.announcement ?? m.id, title: m.title ?? "", by: m.acked_by, at_ms: m.acked_at_ms ?? 0, created: false };
      m.acked_by = who.display_name;
      m.acked_at_ms = Date.now();
      bump();
      return { announcement: m.announcement ?? m.id, title: m.title ?? "", by: who.display_name, at_ms: m.acked_at_ms, created: true };
    },
    chat_tickets: (): TicketView[] => {
      needStaff();
      return inChannel("store")
        .filter((m) => m.kind === "ticket")
        .reverse()
        .map((m) => {
          const tk = tickets.get(m.id);
          return { id: m.id, channel: m.channel, category: m.category, status: tk?.status ?? "open", text: m.text, display_name: m.display_name, written_at_ms: m.written_at_ms, updated_by: tk?.updated_by ?? null };
        });
    },
    chat_search: (a) => {
      needStaff();
      const q = String(a.text ?? "").trim().toLowerCase();
      if (!q) throw ui("empty_search", "search for what? give some text to look for");
      return messages.filter((m) => m.text.toLowerCase().includes(q) || (m.title ?? "").toLowerCase().includes(q)).map(withTicket);
    },
    chat_attachment: async (a) => {
      needStaff();
      await new Promise((r) => setTimeout(r, 60));
      const f = files.get(String(a.sha256));
      if (!f) throw ui("unknown_attachment", `no message at this till has an attachment with sha256 ${a.sha256}`);
      return { sha256: a.sha256, name: f.name, mime: f.mime, size: Math.round((f.dataUrl.length * 3) / 4), data_url: f.dataUrl };
    },
    chat_save_attachment: (a) => {
      needStaff();
      const f = files.get(String(a.sha256));
      if (!f) throw ui("unknown_attachment", `no message at this till has an attachment with sha256 ${a.sha256}`);
      return `/home/pos/.local/share/storelink-pos/downloads/${f.name}`;
    },
  };
}

/** The badge counts for `status().chat_unread` (the nav badge). */
export function chatUnreadOf(handlers: Record<string, Handler>): { channel: string; kind: "store" | "notices"; unread: number }[] {
  try {
    return (handlers.chat_channels!({}) as ChatChannel[]).map((c) => ({ channel: c.channel, kind: c.kind, unread: c.unread }));
  } catch {
    return [];
  }
}
