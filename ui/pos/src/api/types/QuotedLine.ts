// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type QuotedLine = { sku: string, code: string, name: string, qty: number, unit_price: number, discount: number, line_total: number, price_label: string | null, colour: string | null, size: string | null, };
