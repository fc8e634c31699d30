// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { ChannelKind } from "./ChannelKind";


export type ChannelUnread = { channel: string, kind: ChannelKind, unread: number, };
