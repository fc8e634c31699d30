// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { Member } from "./Member";


export type SignUpOutcome = { member: Member, created: boolean, };
