// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type CashierMessage = { id: string, text: string, received_ms: number, read_ms: number | null, };
