// The command wrappers with `invoke` mocked: command names, camelCase
// arguments, and every rejection normalised to a UiError with a message.
import { beforeEach, describe, expect, it } from "vitest";

import { api, onLink, onQuitRequested, setTransport, toUiError } from "../src/api/tauri";

const calls: { cmd: string; args: unknown }[] = [];
let reply: (cmd: string) => unknown = () => null;
let handlers: Record<string, (p: unknown) => void> = {};

beforeEach(() => {
  calls.length = 0;
  handlers = {};
  setTransport({
    invoke: async (cmd, args) => {
      calls.push({ cmd, args });
      const r = reply(cmd);
      if (r instanceof Rejection) throw r.value;
      return r;
    },
    listen: async (event, h) => {
      handlers[event] = h;
      return () => delete handlers[event];
    },
  });
});

class Rejection {
  constructor(public value: unknown) {}
}

describe("api", () => {
  it("calls the contract's commands with camelCase arguments", async () => {
    reply = () => ({});
    await api.enrol("https://hub", "ABCD");
    await api.productsInCategory("Tops", 48, 48);
    await api.closeShift(120000);
    await api.zReport("s-1");
    await api.messages(true);
    await api.settlePreview(30000, [{ kind: "cash", amount: null }]);
    await api.stock(null);
    expect(calls).toEqual([
      { cmd: "enrol", args: { hubUrl: "https://hub", code: "ABCD" } },
      { cmd: "products_in_category", args: { category: "Tops", offset: 48, limit: 48 } },
      { cmd: "close_shift", args: { countedCash: 120000 } },
      { cmd: "z_report", args: { shiftId: "s-1" } },
      { cmd: "messages", args: { unreadOnly: true } },
      { cmd: "settle_preview", args: { total: 30000, tenders: [{ kind: "cash", amount: null }] } },
      { cmd: "stock", args: { sku: null } },
    ]);
  });

  it("calls the limited-item, hold and clock commands of contract C with the shell's argument names", async () => {
    reply = () => ({});
    await api.limitedStatus("JK-1");
    await api.limitedItems();
    await api.holdLimited("JK-1", 2, "Ms Kim");
    await api.releaseHold("h-1");
    await api.holds();
    await api.requestRights("JK-1", 3);
    await api.clockGuard();
    expect(calls).toEqual([
      { cmd: "limited_status", args: { sku: "JK-1" } },
      { cmd: "limited_items", args: undefined },
      { cmd: "hold_limited", args: { sku: "JK-1", qty: 2, note: "Ms Kim" } },
      { cmd: "release_hold", args: { id: "h-1" } },
      { cmd: "holds", args: undefined },
      { cmd: "request_rights", args: { sku: "JK-1", qty: 3 } },
      { cmd: "clock_guard", args: undefined },
    ]);
  });

  it("calls the chat commands with the shell's argument names", async () => {
    reply = () => ({});
    await api.chatMessages("notices", "m-1", 100);
    await api.chatSend("store", "hi", [{ name: "a.png", bytes: "data:image/png;base64,iVBO" }], "id-1");
    await api.chatRaiseTicket("it", "printer", [], "id-2");
    await api.chatAck("ann-1", "1234");
    await api.chatRead("store");
    await api.chatAttachment("ab12");
    expect(calls).toEqual([
      { cmd: "chat_messages", args: { kind: "notices", before: "m-1", limit: 100 } },
      { cmd: "chat_send", args: { kind: "store", text: "hi", attachments: [{ name: "a.png", bytes: "data:image/png;base64,iVBO" }], id: "id-1" } },
      { cmd: "chat_raise_ticket", args: { category: "it", text: "printer", attachments: [], id: "id-2" } },
      { cmd: "chat_ack", args: { announcement: "ann-1", pin: "1234" } },
      { cmd: "chat_read", args: { kind: "store" } },
      { cmd: "chat_attachment", args: { sha256: "ab12" } },
    ]);
  });

  it("passes a UiError through and normalises other rejections", async () => {
    reply = () => new Rejection({ code: "unknown_item", message: "no product 999" });
    await expect(api.scan("999")).rejects.toEqual({ code: "unknown_item", message: "no product 999" });
    reply = () => new Rejection('{"code":"locked","message":"locked by HQ"}');
    await expect(api.sell({} as never)).rejects.toEqual({ code: "locked", message: "locked by HQ" });
    reply = () => new Rejection("command sell not found");
    await expect(api.sell({} as never)).rejects.toEqual({ code: "error", message: "command sell not found" });
    expect(toUiError(new Error("boom"))).toEqual({ code: "error", message: "boom" });
    expect(toUiError(undefined).message).toBe("undefined");
  });

  it("delivers link events", async () => {
    const seen: unknown[] = [];
    const off = await onLink((l) => seen.push(l));
    handlers.link?.({ online: false, last_sync_ms: null, last_error: "down", unsent_ops: 2 });
    expect(seen).toEqual([{ online: false, last_sync_ms: null, last_error: "down", unsent_ops: 2 }]);
    off();
    expect(handlers.link).toBeUndefined();
  });

  it("passes the quit check of quit_requested, null when the shell sends none", async () => {
    const seen: unknown[] = [];
    await onQuitRequested((q) => seen.push(q));
    handlers.quit_requested?.({ unsent_ops: 3 });
    handlers.quit_requested?.(null);
    expect(seen).toEqual([{ unsent_ops: 3 }, null]);
  });
});
