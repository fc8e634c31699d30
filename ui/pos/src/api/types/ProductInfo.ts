// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { CatalogItem } from "./CatalogItem";


export type ProductInfo = { current_price: number | null, price_label: string | null, } & CatalogItem;
