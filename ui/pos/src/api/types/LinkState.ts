// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type LinkState = { online: boolean, last_sync_ms: number | null, last_error: string | null, unsent_ops: number, };
