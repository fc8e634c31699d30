// Hand-written stand-in for the Rust type (pos-agent chat / storelink-pos chat.rs); an export test may overwrite it with the generated one.

export type AttachmentView = { sha256: string, name: string, mime: string, size: number, state: string, };
