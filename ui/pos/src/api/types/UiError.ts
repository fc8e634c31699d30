// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

/** A rejected command: `code` from the TillError variant (e.g. "unknown_item"), `message` for the person at the till. */
export type UiError = { code: string, message: string, };
