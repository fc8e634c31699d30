// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

/** serde tag = "kind", content = "value": minor units off, or a percentage 1..=100. */
export type Discount = { "kind": "amount", "value": number } | { "kind": "percent", "value": number };
