// Hand-written stand-in for the Rust type (pos-agent chat / storelink-pos chat.rs); an export test may overwrite it with the generated one.

export type AckOutcome = { announcement: string, title: string, by: string, at_ms: number, created: boolean, };
