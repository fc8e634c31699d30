// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type Shift = { id: string, opened_at_ms: number, opened_by: string, float: number, closed_at_ms: number | null, closed_by: string | null, };
