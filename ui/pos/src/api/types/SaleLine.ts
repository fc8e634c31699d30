// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type SaleLine = { sku: string, name: string, qty: number, unit_price: number, discount: number, line_total: number, };
