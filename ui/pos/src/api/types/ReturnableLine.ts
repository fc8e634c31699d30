// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type ReturnableLine = { sku: string, name: string, sold: number, returned: number, left: number, unit_refund: number, };
