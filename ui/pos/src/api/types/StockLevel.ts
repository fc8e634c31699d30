// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type StockLevel = { sku: string, name: string | null, qty: number, current_price: number | null, price_label: string | null, };
