// Hand-written stand-in for the ts-rs type (contract A/B); helper "desktop" overwrites this file with the generated one.
import type { StaffRole } from "./StaffRole";


export type Staff = { id: string, username: string, display_name: string, role: StaffRole, store: string, active: boolean, };
