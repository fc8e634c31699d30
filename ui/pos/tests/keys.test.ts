// The keyboard map: F-keys per screen, nothing global while a dialog is open.
import { describe, expect, it } from "vitest";

import { KEY_HINT, keyAction, scanFieldKey } from "../src/logic/keys";

describe("keys", () => {
  it("maps F-keys on the Sell screen", () => {
    expect(keyAction({ key: "F2" }, "sell", false)).toBe("sell.search");
    expect(keyAction({ key: "F4" }, "sell", false)).toBe("sell.member");
    expect(keyAction({ key: "F8" }, "sell", false)).toBe("sell.pay");
    expect(keyAction({ key: "Escape" }, "sell", false)).toBe("cancel");
    expect(keyAction({ key: "Delete", ctrlKey: true }, "sell", false)).toBe("sell.clear");
  });
  it("has global navigation and lock, but no Sell keys elsewhere", () => {
    expect(keyAction({ key: "F9" }, "sell", false)).toBe("nav.returns");
    expect(keyAction({ key: "F1" }, "stock", false)).toBe("nav.sell");
    expect(keyAction({ key: "l", ctrlKey: true }, "stock", false)).toBe("lock");
    expect(keyAction({ key: "F8" }, "returns", false)).toBeNull();
    expect(keyAction({ key: "a" }, "sell", false)).toBeNull();
  });
  it("opens the chat with F12 from any screen", () => {
    expect(keyAction({ key: "F12" }, "sell", false)).toBe("nav.chat");
    expect(keyAction({ key: "F12" }, "stock", false)).toBe("nav.chat");
    expect(keyAction({ key: "F12" }, "chat", true)).toBeNull();
    expect(KEY_HINT["nav.chat"]).toBe("F12");
  });
  it("leaves keys to an open dialog", () => {
    expect(keyAction({ key: "F8" }, "sell", true)).toBeNull();
    expect(keyAction({ key: "Escape" }, "sell", true)).toBeNull();
  });
  it("uses +/−/arrows in the scan field only when it is empty", () => {
    expect(scanFieldKey("+", true)).toBe("inc");
    expect(scanFieldKey("-", true)).toBe("dec");
    expect(scanFieldKey("-", false)).toBeNull();
    expect(scanFieldKey("ArrowUp", true)).toBe("up");
    expect(scanFieldKey("7", true)).toBeNull();
  });
  it("shows a hint for every Sell action", () => {
    for (const a of ["sell.search", "sell.browse", "sell.member", "sell.discount", "sell.pay"] as const) {
      expect(KEY_HINT[a]).toMatch(/^F\d$/);
    }
  });
});
