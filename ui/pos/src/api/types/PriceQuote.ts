// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type PriceQuote = { price: number, label: string | null, };
