import { describe, expect, it } from "vitest";

import {
  MAX_ATTACHMENT_BYTES,
  TICKET_CATEGORIES,
  TICKET_STATUSES,
  applyMessage,
  checkAnnouncement,
  checkAudience,
  checkFile,
  checkMessage,
  compareOrder,
  furthestStatus,
  inInbox,
  mergeRefetched,
  mergeMessages,
  nextStatuses,
  parseChannel,
  readTarget,
  regionsOf,
  sortChannels,
  unreadTotal,
  upsertTicket,
  uuidv7,
  withTicketStatus,
} from "../src/chat/logic";
import { dictionaries } from "../src/i18n";
import { pageForPath, pagesFor } from "../src/roles";

const A = "0190a0b0-0000-7000-8000-00000000000a";
const B = "0190a0b0-0000-7000-8000-00000000000b";

interface Msg {
  id: string;
  order: string;
  channel: string;
  username: string | null;
  kind: string;
  text: string;
}

function msg(id: string, order: string, extra: Partial<Msg> = {}): Msg {
  return { id, order, channel: "store:GN01", username: "gn01.kim", kind: "chat", text: id, ...extra };
}

describe("chat order", () => {
  it("orders by wall time, counter, actor, then id, not by arrival or string", () => {
    // As strings "99" > "100"; as HLCs 100 ms is later.
    expect(compareOrder("99.0.aa", "100.0.aa")).toBeLessThan(0);
    expect(compareOrder("100.2.aa", "100.10.aa")).toBeLessThan(0);
    expect(compareOrder("100.1.bb", "100.1.aa")).toBeGreaterThan(0);
    expect(compareOrder("0000000100.0001.aa", "100.1.aa")).toBe(0);
    const arrived = [msg("m3", "300.0.aa"), msg(B, "100.0.aa"), msg("m2", "200.5.aa"), msg(A, "100.0.aa")];
    expect(mergeMessages([], arrived).map((m) => m.id)).toEqual([A, B, "m2", "m3"]);
  });

  it("keeps each message once when the socket and a fetch bring it twice", () => {
    const known = [msg("m1", "100.0.aa", { text: "first copy" }), msg("m2", "200.0.aa")];
    const merged = mergeMessages(known, [msg("m1", "100.0.aa", { text: "second copy" }), msg("m0", "50.0.aa"), msg("m2", "200.0.aa")]);
    expect(merged.map((m) => m.id)).toEqual(["m0", "m1", "m2"]);
    expect(merged[1]?.text).toBe("first copy");
    // Any arrival order gives the same list.
    const again = mergeMessages([msg("m2", "200.0.aa")], [msg("m0", "50.0.aa"), msg("m1", "100.0.aa")]);
    expect(again.map((m) => m.id)).toEqual(["m0", "m1", "m2"]);
  });

  it("marks read only up to something newer than the last position", () => {
    const list = [msg("m1", "100.0.aa"), msg("m2", "250.0.aa"), msg("m3", "200.0.aa")];
    expect(readTarget(list, null)).toBe("250.0.aa");
    expect(readTarget(list, "200.9.zz")).toBe("250.0.aa");
    expect(readTarget(list, "250.0.aa")).toBeNull();
    expect(readTarget([], null)).toBeNull();
  });
});

describe("unread counts", () => {
  const channels = () => [
    { channel: "store:GN01", store: "GN01", kind: "store", last_message: msg("m1", "100.0.aa"), unread: 2, open_tickets: 0 },
    { channel: "notices:GN01", store: "GN01", kind: "notices", last_message: null, unread: 0, open_tickets: 0 },
    { channel: "store:HD02", store: "HD02", kind: "store", last_message: msg("h1", "150.0.aa", { channel: "store:HD02" }), unread: 1, open_tickets: 1 },
  ];

  it("totals every channel", () => {
    expect(unreadTotal(channels())).toBe(3);
    expect(unreadTotal([])).toBe(0);
  });

  it("counts a live message unless I wrote it or the channel is on screen", () => {
    const m = msg("m9", "900.0.aa", { username: "gn01.kim" });
    const after = applyMessage(channels(), m, "admin", null);
    expect(after[0]).toMatchObject({ unread: 3, last_message: { id: "m9" } });
    expect(unreadTotal(after)).toBe(4);
    expect(applyMessage(channels(), msg("m9", "900.0.aa", { username: "admin" }), "admin", null)[0]?.unread).toBe(2);
    expect(applyMessage(channels(), m, "admin", "store:GN01")[0]?.unread).toBe(2);
    // The same event twice counts once.
    expect(applyMessage(after, m, "admin", null)).toBe(after);
  });

  it("keeps the newer last message when an older one arrives late, and counts tickets", () => {
    const late = msg("m0", "50.0.aa", { kind: "ticket" });
    const after = applyMessage(channels(), late, "admin", null);
    expect(after[0]).toMatchObject({ unread: 3, open_tickets: 1, last_message: { id: "m1" } });
    const other = msg("x", "1.0.aa", { channel: "store:ZZ99" });
    const list = channels();
    expect(applyMessage(list, other, "admin", null)).toBe(list);
  });

  it("lists conversations newest first, quiet ones by store, then the notices", () => {
    expect(sortChannels(channels()).map((c) => c.channel)).toEqual(["store:HD02", "store:GN01", "notices:GN01"]);
    const more = [
      ...channels(),
      { channel: "notices:HD02", store: "HD02", kind: "notices", last_message: msg("n9", "999.0.aa", { channel: "notices:HD02" }), unread: 0, open_tickets: 0 },
      { channel: "store:AA00", store: "AA00", kind: "store", last_message: null, unread: 0, open_tickets: 0 },
    ];
    expect(sortChannels(more).map((c) => c.channel)).toEqual(["store:HD02", "store:GN01", "store:AA00", "notices:HD02", "notices:GN01"]);
  });
});

describe("tickets", () => {
  it("only move forward", () => {
    expect(nextStatuses("open")).toEqual(["in_progress", "resolved"]);
    expect(nextStatuses("in_progress")).toEqual(["resolved"]);
    expect(nextStatuses("resolved")).toEqual([]);
    expect(nextStatuses(null)).toEqual(["in_progress", "resolved"]);
    expect(furthestStatus("resolved", "in_progress")).toBe("resolved");
    expect(furthestStatus("open", "in_progress")).toBe("in_progress");
  });
});

describe("checks before sending", () => {
  it("refuses files the hub refuses", () => {
    expect(checkFile({ name: "box.jpg", type: "image/jpeg", size: 1000 })).toBeNull();
    expect(checkFile({ name: "notice.pdf", type: "", size: 1000 })).toBeNull();
    expect(checkFile({ name: "run.exe", type: "application/x-msdownload", size: 10 })?.key).toBe("chat.err.file_type");
    expect(checkFile({ name: "photo.heic", type: "", size: 10 })?.key).toBe("chat.err.file_type");
    expect(checkFile({ name: "big.png", type: "image/png", size: MAX_ATTACHMENT_BYTES + 1 })).toEqual({
      key: "chat.err.file_size",
      vars: { name: "big.png", mib: 10 },
    });
    expect(checkFile({ name: "max.png", type: "image/png", size: MAX_ATTACHMENT_BYTES })).toBeNull();
    expect(checkFile({ name: "zero.png", type: "image/png", size: 0 })?.key).toBe("chat.err.file_empty");
  });

  it("refuses empty and oversized messages (bytes, not characters)", () => {
    expect(checkMessage("  ", 0)?.key).toBe("chat.err.empty");
    expect(checkMessage("", 1)).toBeNull();
    expect(checkMessage("가".repeat(1333), 0)).toBeNull(); // 3,999 bytes
    expect(checkMessage("가".repeat(1334), 0)).toEqual({ key: "chat.err.too_long", vars: { max: 4000, n: 4002 } });
    expect(checkMessage("hi", 5)?.key).toBe("chat.err.too_many_files");
    expect(checkAnnouncement("", "text", 0)?.key).toBe("notices.err.title");
    expect(checkAnnouncement("x".repeat(201), "text", 0)?.key).toBe("notices.err.title_long");
    expect(checkAnnouncement("Title", "", 0)?.key).toBe("chat.err.empty");
  });
});

describe("announcement audience", () => {
  const stores = [
    { code: "GN01", kind: "store", region: "Seoul South" },
    { code: "HD02", kind: "store", region: "Seoul West" },
    { code: "JS04", kind: "store", region: "Seoul South" },
    { code: "WH01", kind: "warehouse", region: "Seoul South" },
    { code: "MK10", kind: "store", region: null },
  ];

  it("sends to every store, never to warehouses", () => {
    expect(checkAudience({ mode: "all", region: "", stores: [] }, stores)).toEqual({
      ok: true,
      body: { all: true },
      stores: ["GN01", "HD02", "JS04", "MK10"],
    });
    expect(checkAudience({ mode: "all", region: "", stores: [] }, [])).toMatchObject({ ok: false, problem: { key: "notices.err.no_stores" } });
  });

  it("needs a region that holds stores", () => {
    expect(checkAudience({ mode: "region", region: "Seoul South", stores: [] }, stores)).toEqual({
      ok: true,
      body: { region: "Seoul South" },
      stores: ["GN01", "JS04"],
    });
    expect(checkAudience({ mode: "region", region: " ", stores: [] }, stores)).toMatchObject({ ok: false, problem: { key: "notices.err.no_region" } });
    expect(checkAudience({ mode: "region", region: "Busan", stores: [] }, stores)).toMatchObject({
      ok: false,
      problem: { key: "notices.err.region_empty", vars: { region: "Busan" } },
    });
    expect(regionsOf(stores)).toEqual(["Seoul South", "Seoul West"]);
  });

  it("needs at least one known store in a list, each once", () => {
    expect(checkAudience({ mode: "stores", region: "", stores: ["GN01", "HD02", "GN01"] }, stores)).toEqual({
      ok: true,
      body: { stores: ["GN01", "HD02"] },
      stores: ["GN01", "HD02"],
    });
    expect(checkAudience({ mode: "stores", region: "", stores: [] }, stores)).toMatchObject({ ok: false, problem: { key: "notices.err.no_stores" } });
    expect(checkAudience({ mode: "stores", region: "", stores: ["WH01"] }, stores)).toMatchObject({
      ok: false,
      problem: { key: "notices.err.unknown_store", vars: { store: "WH01" } },
    });
  });
});

describe("ids and channels", () => {
  it("makes time-ordered UUIDv7 ids", () => {
    const zero = (b: Uint8Array) => b.fill(0);
    const id = uuidv7(0x0190a0b0c0d0, zero);
    expect(id).toBe("0190a0b0-c0d0-7000-8000-000000000000");
    expect(uuidv7(1, zero) < uuidv7(2, zero)).toBe(true);
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("reads a channel's store and kind", () => {
    expect(parseChannel("store:GN01")).toEqual({ kind: "store", store: "GN01" });
    expect(parseChannel("notices:HD02")).toEqual({ kind: "notices", store: "HD02" });
    expect(parseChannel("dm:x")).toBeNull();
  });
});

describe("tickets in the thread and the inbox", () => {
  const thread = () => [
    { id: "t1", ticket_status: "in_progress" as string | null },
    { id: "m2", ticket_status: null as string | null },
  ];

  it("moves a ticket's message forward only", () => {
    expect(withTicketStatus(thread(), { id: "t1", status: "resolved" })[0]?.ticket_status).toBe("resolved");
    expect(withTicketStatus(thread(), { id: "t1", status: "open" })[0]?.ticket_status).toBe("in_progress");
    const list = thread();
    expect(withTicketStatus(list, { id: "nope", status: "resolved" })).toBe(list);
  });

  it("keeps the inbox to its filters as tickets move", () => {
    const t = (id: string, status: string, store = "GN01", category = "delivery") => ({ id, status, store, category });
    const open = { status: "open", store: "", category: "" };
    const inbox = [t("a", "open"), t("b", "open", "HD02")];
    expect(inInbox(t("x", "open", "HD02", "it"), open)).toBe(true);
    expect(inInbox(t("x", "open", "HD02", "it"), { ...open, store: "GN01" })).toBe(false);
    expect(inInbox(t("x", "resolved"), { status: "", store: "", category: "delivery" })).toBe(true);
    expect(upsertTicket(inbox, t("a", "in_progress"), open).map((x) => x.id)).toEqual(["b"]);
    expect(upsertTicket(inbox, t("c", "open"), open).map((x) => x.id)).toEqual(["c", "a", "b"]);
    expect(upsertTicket(inbox, t("b", "open", "HD02", "it"), open)[1]).toEqual(t("b", "open", "HD02", "it"));
    expect(upsertTicket(inbox, t("a", "in_progress"), { status: "", store: "", category: "" })[0]?.status).toBe("in_progress");
  });
});

describe("who sees the chat pages", () => {
  it("gives HQ chat, notices and requests; a store manager their chat and requests; tills' people nothing", () => {
    for (const role of ["hq_admin", "hq_staff"] as const) {
      expect(pagesFor(role)).toEqual(expect.arrayContaining(["chat", "notices", "tickets"]));
    }
    expect(pagesFor("store_manager")).toEqual(expect.arrayContaining(["chat", "tickets"]));
    expect(pagesFor("store_manager")).not.toContain("notices");
    expect(pagesFor("cashier")).not.toContain("chat");
    expect(pagesFor("driver")).not.toContain("chat");
    expect(pageForPath("/chat")).toBe("chat");
    expect(pageForPath("/notices")).toBe("notices");
    expect(pageForPath("/tickets")).toBe("tickets");
  });
});

describe("catching up after a reconnect", () => {
  it("adds what was missed and moves tickets forward, never back", () => {
    const m = (id: string, order: string, ticket_status: string | null = null) => ({ id, order, ticket_status });
    const shown = [m("t1", "100.0.a", "open"), m("m2", "200.0.a"), m("t3", "300.0.a", "resolved")];
    const page = [m("t1", "100.0.a", "in_progress"), m("t3", "300.0.a", "open"), m("m4", "400.0.a")];
    const merged = mergeRefetched(shown, page);
    expect(merged.map((x) => [x.id, x.ticket_status])).toEqual([
      ["t1", "in_progress"],
      ["m2", null],
      ["t3", "resolved"],
      ["m4", null],
    ]);
  });
});

describe("chat words", () => {
  it("has a label for every ticket status, move and category in both languages", () => {
    for (const lang of ["en", "ko"] as const) {
      const d: Record<string, string> = dictionaries[lang];
      for (const s of TICKET_STATUSES) expect(d, `${lang} chat.status.${s}`).toHaveProperty([`chat.status.${s}`]);
      for (const s of nextStatuses("open")) expect(d, `${lang} chat.set.${s}`).toHaveProperty([`chat.set.${s}`]);
      for (const c of TICKET_CATEGORIES) expect(d, `${lang} chat.category.${c}`).toHaveProperty([`chat.category.${c}`]);
    }
  });
});
