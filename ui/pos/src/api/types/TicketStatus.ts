// Hand-written stand-in for the Rust type (pos-agent chat / storelink-pos chat.rs); an export test may overwrite it with the generated one.

export type TicketStatus = "open" | "in_progress" | "resolved";
