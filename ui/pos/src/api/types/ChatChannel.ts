// Hand-written stand-in for the Rust type (pos-agent chat / storelink-pos chat.rs); an export test may overwrite it with the generated one.

export type ChatChannel = { kind: "store" | "notices", channel: string, unread: number, latest: string | null, open_tickets: number, pending_acks: number, };
