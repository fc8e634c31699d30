// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type CatalogItem = { sku: string, name: string, price: number | null, barcode: string | null, style: string | null, colour: string | null, size: string | null, category: string | null, active: boolean, };
