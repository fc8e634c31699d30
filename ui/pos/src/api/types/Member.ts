// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.

export type Member = { id: string, phone: string | null, name: string | null, birth_year: number | null, home_store: string | null, signed_up_at_ms: number | null, marketing_consent: boolean | null, };
