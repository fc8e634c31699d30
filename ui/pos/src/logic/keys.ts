// The keyboard map of the till: one table of which key does what on which
// screen, shown on the buttons (F-key hints) and used by the key handler.
// Pure: `keyAction` turns a key event's fields into an action name.

export type Screen = "sell" | "returns" | "stock" | "deliveries" | "shift" | "messages" | "chat";

export type Action =
  | "nav.sell"
  | "nav.returns"
  | "nav.stock"
  | "nav.deliveries"
  | "nav.shift"
  | "nav.messages"
  | "nav.chat"
  | "lock"
  | "sell.search"
  | "sell.browse"
  | "sell.member"
  | "sell.discount"
  | "sell.lineDiscount"
  | "sell.pay"
  | "sell.clear"
  | "cancel";

/** The F-key label shown on the button of each action. */
export const KEY_HINT: Partial<Record<Action, string>> = {
  "nav.sell": "F1",
  "sell.search": "F2",
  "sell.browse": "F3",
  "sell.member": "F4",
  "sell.discount": "F5",
  "sell.lineDiscount": "F6",
  "nav.deliveries": "F7",
  "sell.pay": "F8",
  "nav.returns": "F9",
  "nav.stock": "F10",
  "nav.shift": "F11",
  "nav.messages": "Ctrl+M",
  "nav.chat": "F12",
  lock: "Ctrl+L",
  "sell.clear": "Ctrl+Del",
  cancel: "Esc",
};

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  altKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
}

const GLOBAL: Record<string, Action> = {
  F1: "nav.sell",
  F7: "nav.deliveries",
  F9: "nav.returns",
  F10: "nav.stock",
  F11: "nav.shift",
  F12: "nav.chat",
};

const SELL: Record<string, Action> = {
  F2: "sell.search",
  F3: "sell.browse",
  F4: "sell.member",
  F5: "sell.discount",
  F6: "sell.lineDiscount",
  F8: "sell.pay",
};

/**
 * What a key does on `screen`; `dialogOpen` = a dialog has the keyboard
 * (then only Esc, handled by the dialog itself, and nothing global).
 */
export function keyAction(e: KeyLike, screen: Screen, dialogOpen: boolean): Action | null {
  if (dialogOpen) return null;
  if (e.key === "Escape") return "cancel";
  if (e.ctrlKey && !e.altKey) {
    const k = e.key.toLowerCase();
    if (k === "l") return "lock";
    if (k === "m") return "nav.messages";
    if (screen === "sell" && e.key === "Delete") return "sell.clear";
    return null;
  }
  if (e.altKey || e.metaKey) return null;
  const g = GLOBAL[e.key];
  if (g) return g;
  if (screen === "sell") return SELL[e.key] ?? null;
  return null;
}

/**
 * In the empty scan field, `+` / `-` change the selected line's quantity and
 * ↑ / ↓ move the selection (a scanner never sends these alone).
 */
export function scanFieldKey(key: string, fieldEmpty: boolean): "inc" | "dec" | "up" | "down" | "remove" | null {
  if (!fieldEmpty) return null;
  switch (key) {
    case "+":
      return "inc";
    case "-":
      return "dec";
    case "ArrowUp":
      return "up";
    case "ArrowDown":
      return "down";
    case "Delete":
      return "remove";
    default:
      return null;
  }
}
