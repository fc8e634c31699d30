// The chat screen's pure rules: HLC-then-id order (numbers compared as
// numbers), polls folded in with the fresh copy winning, notices with the
// ones to acknowledge on top, and the checks a picked file gets before the
// shell sees it (type by name AND by its first bytes, size, count).
import { describe, expect, it } from "vitest";

import { en } from "../src/i18n/en";
import {
  MAX_ATTACHMENT_BYTES,
  checkContents,
  checkFile,
  checkMessage,
  compareMessages,
  compareOrder,
  composerKey,
  formatBytes,
  mergeFresh,
  noticesOrder,
  sniff,
  typeByName,
  unreadTotal,
  uuidv7,
} from "../src/logic/chat";

const key = (wall: number, counter: number, actor = "aa", id = "00") =>
  `${String(wall).padStart(16, "0")}.${String(counter).padStart(10, "0")}.${actor}.${id}`;
const msg = (id: string, order: string, extra: Record<string, unknown> = {}) => ({ id, order, ...extra });

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0]);
const PDF = new TextEncoder().encode("%PDF-1.7\n....");
const WEBP = new TextEncoder().encode("RIFF\u0000\u0000\u0000\u0000WEBP");

describe("chat order", () => {
  it("orders by wall time, then counter, then actor, then id — never by arrival", () => {
    const list = [
      msg("c", key(2000, 0)),
      msg("a", key(1000, 1)),
      msg("b", key(1000, 0, "bb")),
      msg("d", key(1000, 0, "aa")),
    ];
    expect(list.sort(compareMessages).map((m) => m.id)).toEqual(["d", "b", "a", "c"]);
  });
  it("compares wall and counter as numbers, so padding does not matter", () => {
    expect(compareOrder("999.0.x", "1000.0.x")).toBeLessThan(0);
    expect(compareOrder("0000000000001000.0000000002.x", "1000.10.x")).toBeLessThan(0);
    expect(compareMessages(msg("b", "5.0.x"), msg("a", "5.0.x"))).toBeGreaterThan(0);
  });
  it("folds a poll in: one entry per id, the fresh copy wins, older pages kept", () => {
    const known = [msg("old", key(1, 0), { seen: false }), msg("m1", key(5, 0), { seen: false })];
    const fresh = [msg("m1", key(5, 0), { seen: true }), msg("m2", key(3, 0))];
    const out = mergeFresh(known, fresh);
    expect(out.map((m) => m.id)).toEqual(["old", "m2", "m1"]);
    expect(out.find((m) => m.id === "m1")).toMatchObject({ seen: true });
  });
  it("puts notices to acknowledge first, then newest first", () => {
    const n = (id: string, wall: number, requires_ack: boolean, acked_by: string | null) => ({
      id,
      order: key(wall, 0),
      requires_ack,
      acked_by,
    });
    const out = noticesOrder([n("old-info", 1, false, null), n("waiting", 2, true, null), n("new-info", 9, false, null), n("acked", 8, true, "Kim")]);
    expect(out.map((m) => m.id)).toEqual(["waiting", "new-info", "acked", "old-info"]);
  });
  it("adds unread over channels, ignoring nonsense", () => {
    expect(unreadTotal([{ unread: 2 }, { unread: 3 }, { unread: -1 }])).toBe(5);
    expect(unreadTotal(undefined)).toBe(0);
  });
});

describe("file checks", () => {
  it("knows the allowed types by extension, any case", () => {
    expect(typeByName("Box.PNG")).toBe("image/png");
    expect(typeByName("a.jpeg")).toBe("image/jpeg");
    expect(typeByName("policy.pdf")).toBe("application/pdf");
    expect(typeByName("setup.exe")).toBeNull();
    expect(typeByName("noext")).toBeNull();
  });
  it("sniffs magic bytes like the till core and the hub", () => {
    expect(sniff(PNG)).toBe("image/png");
    expect(sniff(JPEG)).toBe("image/jpeg");
    expect(sniff(PDF)).toBe("application/pdf");
    expect(sniff(WEBP)).toBe("image/webp");
    expect(sniff(new TextEncoder().encode("hello world!"))).toBeNull();
  });
  it("refuses other types, empty and oversized files before reading them", () => {
    expect(checkFile({ name: "run.exe", size: 10 })?.key).toBe("chat.err.file_type");
    expect(checkFile({ name: "a.png", size: 0 })?.key).toBe("chat.err.file_empty");
    const big = checkFile({ name: "a.pdf", size: MAX_ATTACHMENT_BYTES + 1 });
    expect(big).toEqual({ key: "chat.err.file_size", vars: { name: "a.pdf", mib: 10 } });
    expect(checkFile({ name: "a.pdf", size: MAX_ATTACHMENT_BYTES })).toBeNull();
  });
  it("refuses contents that are not what the name says", () => {
    expect(checkContents("photo.png", PNG)).toBeNull();
    expect(checkContents("photo.png", JPEG)?.key).toBe("chat.err.file_contents");
    expect(checkContents("notice.pdf", new TextEncoder().encode("just text..."))?.key).toBe("chat.err.file_contents");
  });
  it("checks the message: something to send, byte length, at most 4 files", () => {
    expect(checkMessage("  ", 0)?.key).toBe("chat.err.empty");
    expect(checkMessage("", 1)).toBeNull();
    expect(checkMessage("가".repeat(1334), 0)?.key).toBe("chat.err.too_long");
    expect(checkMessage("가".repeat(1333), 0)).toBeNull();
    expect(checkMessage("x", 5)?.key).toBe("chat.err.too_many_files");
  });
  it("has a string for every problem key", () => {
    for (const k of ["chat.err.file_type", "chat.err.file_empty", "chat.err.file_size", "chat.err.file_contents", "chat.err.empty", "chat.err.too_long", "chat.err.too_many_files", "chat.err.read_failed"]) {
      expect(en).toHaveProperty(k);
    }
  });
});

describe("helpers", () => {
  it("makes UUIDv7 ids that sort by time", () => {
    const zero = (b: Uint8Array) => b.fill(0);
    const a = uuidv7(1_700_000_000_000, zero);
    const b = uuidv7(1_700_000_000_001, zero);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
  });
  it("sends on Enter, not on Shift+Enter or while composing Hangul", () => {
    expect(composerKey({ key: "Enter" })).toBe("send");
    expect(composerKey({ key: "Enter", shiftKey: true })).toBeNull();
    expect(composerKey({ key: "Enter", isComposing: true })).toBeNull();
    expect(composerKey({ key: "a" })).toBeNull();
  });
  it("formats sizes", () => {
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(48 * 1024)).toBe("48 KB");
    expect(formatBytes(2.4 * 1024 * 1024)).toBe("2.4 MB");
  });
});
