// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { Tender } from "./Tender";


/** `remaining` > 0: still to pay. */
export type Settlement = { tenders: Array<Tender>, change_due: number, remaining: number, };
