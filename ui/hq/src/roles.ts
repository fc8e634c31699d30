// What each role sees and may do in the console (DESIGN §4; the hub checks
// every request again — this only keeps people away from refusals).

import type { Role } from "./api/types/Role";

export type Page =
  | "dashboard"
  | "inventory"
  | "catalog"
  | "sales"
  | "members"
  | "stores"
  | "tills"
  | "chat"
  | "notices"
  | "tickets"
  | "drops"
  | "replenishment"
  | "shipments"
  | "map"
  | "users"
  | "audit";

export const PAGE_PATHS: Record<Page, string> = {
  dashboard: "/",
  inventory: "/inventory",
  catalog: "/catalog",
  sales: "/sales",
  members: "/members",
  stores: "/stores",
  tills: "/tills",
  chat: "/chat",
  notices: "/notices",
  tickets: "/tickets",
  drops: "/drops",
  replenishment: "/replenishment",
  shipments: "/shipments",
  map: "/map",
  users: "/users",
  audit: "/audit",
};

const ALL: Page[] = [
  "dashboard",
  "chat",
  "notices",
  "tickets",
  "inventory",
  "catalog",
  "drops",
  "replenishment",
  "shipments",
  "map",
  "sales",
  "members",
  "stores",
  "tills",
  "users",
  "audit",
];

/** Pages in the navigation of a role, in order. */
export function pagesFor(role: Role): Page[] {
  switch (role) {
    case "hq_admin":
      return ALL;
    case "hq_staff":
      return ALL.filter((p) => p !== "users" && p !== "audit");
    case "store_manager":
      // Their store's orders and deliveries, read-only; no live map (HQ only gets positions).
      return ["dashboard", "chat", "tickets", "inventory", "replenishment", "shipments", "sales", "members", "tills", "users"];
    default:
      return [];
  }
}

export function pageForPath(path: string): Page | null {
  for (const [page, p] of Object.entries(PAGE_PATHS) as [Page, string][]) {
    if (p === path) return page;
  }
  return null;
}

/** May the role change things in this area (the hub decides in the end)? */
export function canEdit(role: Role, area: "catalog" | "prices" | "stock" | "stores" | "users" | "commands" | "logistics"): boolean {
  switch (area) {
    case "logistics":
      // Approve, propose, ship, dispatch, mark arrived: HQ only.
      return role === "hq_admin" || role === "hq_staff";
    case "stores":
      return role === "hq_admin";
    case "users":
      return role === "hq_admin" || role === "store_manager";
    case "catalog":
    case "prices":
      return role === "hq_admin" || role === "hq_staff";
    case "stock":
    case "commands":
      return role === "hq_admin" || role === "hq_staff" || role === "store_manager";
  }
}

/** Roles a user of `role` may create. */
export function creatableRoles(role: Role): Role[] {
  if (role === "hq_admin") return ["hq_admin", "hq_staff", "store_manager", "cashier", "driver"];
  if (role === "store_manager") return ["cashier"];
  return [];
}
