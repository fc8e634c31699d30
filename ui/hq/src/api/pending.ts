// PENDING TYPES — TO BE REPLACED BY THE GENERATED ONES.
//
// The console's types come from Rust through ts-rs (src/api/types/*.ts,
// written by `cargo test -p hub-server --lib`). The endpoints of issue 4 are
// being built on other branches (accounts/fleet/events: H1; catalog,
// inventory, reports, members, prices: H2) and their generated files are not
// on main yet. Until they are merged, the shapes below — written from the
// REST contract — are the ONLY hand-written API types in the console. When
// the generated types land: delete each interface here, re-export the
// generated one under the same name (`export type { Till } from
// "./types/Till"`), and let `npx tsc --noEmit` show every place that differs.
//
// Every page imports API types from this file (never from types/ directly),
// so the switch happens in one place.

export type { ErrorBody } from "./types/ErrorBody";
export type { ErrorDetail } from "./types/ErrorDetail";

export type Role = "hq_admin" | "hq_staff" | "store_manager" | "cashier" | "driver";

/** GET /auth/me (H1). */
export interface Me {
  id: number | string;
  username: string;
  display_name: string | null;
  role: Role;
  store: string | null;
}

/** POST /auth/login: `{token, user}` (H1) or `{token, username, role}` (main today). */
export interface LoginAnswer {
  token: string;
  user?: Me;
  username?: string;
  role?: Role;
}

/** The signed-in user from either login answer shape. */
export function meFromLogin(a: LoginAnswer): Me {
  if (a.user) return a.user;
  return {
    id: a.username ?? "",
    username: a.username ?? "",
    display_name: null,
    role: a.role ?? "hq_staff",
    store: null,
  };
}

// ---- stores, tills, commands ------------------------------------------------

export interface Store {
  code: string;
  name: string;
  kind: "store" | "warehouse" | string;
  currency: string;
  created_at_ms: number;
  tills: number;
  region?: string | null;
  lat?: number | null;
  lon?: number | null;
}

export interface EnrolmentCode {
  code: string;
  store: string;
  expires_at_ms: number;
}

/** GET /tills (H1's `Till`; main's `TillInfo` has `backlog` instead of `unsent_ops`). */
export interface Till {
  actor: string;
  store: string;
  till_no: number;
  app_version: string;
  protocol_version?: number | null;
  online: boolean;
  last_seen_ms: number | null;
  unsent_ops?: number | null;
  backlog?: number | null;
  last_error: string | null;
  locked?: boolean;
  revoked: boolean;
  enrolled_at_ms: number;
  pending_commands?: number;
}

export type CommandKind = "lock" | "unlock" | "force_sync" | "show_message";

export interface TillCommand {
  id: string;
  actor: string;
  store?: string;
  kind: CommandKind;
  message: string | null;
  created_at_ms: number;
  created_by: string;
  delivered_at_ms: number | null;
  done_at_ms: number | null;
  status: "pending" | "delivered" | "done";
}

// ---- users, audit -----------------------------------------------------------

export interface User {
  id: number | string;
  username: string;
  display_name: string | null;
  role: Role;
  store: string | null;
  active: boolean;
  has_pin?: boolean;
  created_at_ms?: number;
}

export interface AuditEntry {
  id: number | string;
  at_ms: number;
  username: string | null;
  action: string;
  target: string | null;
  /** Free JSON. */
  detail: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_before: number | string | null;
}

// ---- catalog, prices --------------------------------------------------------

export interface Product {
  sku: string;
  name: string | null;
  price: number | null;
  current_price?: number | null;
  price_label?: string | null;
  barcode: string | null;
  active: boolean;
  style: string | null;
  colour: string | null;
  size: string | null;
  category: string | null;
}

export interface ProductPage {
  items: Product[];
  total: number;
  limit?: number;
  offset?: number;
}

export interface Style {
  style: string;
  name?: string | null;
  category?: string | null;
  colours?: string[];
  sizes?: string[];
  variants: Product[];
}

export interface ImportResult {
  imported: number;
  errors: { line: number; message: string }[];
}

export interface PriceRule {
  id: string;
  sku: string;
  price: number;
  valid_from_ms: number;
  valid_to_ms: number | null;
  label: string;
  cancelled?: boolean;
  active_now?: boolean;
}

// ---- inventory --------------------------------------------------------------

export interface InventorySummary {
  chain_total: number;
  stores_total: number;
  warehouses_total: number;
  in_transit?: number;
  skus: number;
  negative_count: number;
  low_count: number;
  threshold?: number;
  store?: string | null;
}

export interface MatrixStore {
  code: string;
  name: string;
  kind: string;
}

export interface MatrixSku {
  sku: string;
  name: string | null;
  style?: string | null;
  colour?: string | null;
  size?: string | null;
  category?: string | null;
}

export interface InventoryMatrix {
  stores: MatrixStore[];
  skus: MatrixSku[];
  qty: number[][];
  sku_totals: number[];
  total_skus: number;
  total_stores: number;
}

export interface StockAlert {
  location: string;
  sku: string;
  name?: string | null;
  qty: number;
  level: "low" | "negative" | string;
}

export interface StockAlertPage {
  items: StockAlert[];
  total: number;
}

export interface StockMovement {
  cursor?: number;
  at_ms: number;
  location: string;
  sku: string;
  delta: number;
  reason: string;
  reference: string | null;
  actor: string | null;
  actor_label: string | null;
}

export interface StocktakeLine {
  sku: string;
  before: number;
  counted: number;
  delta: number;
}

// ---- sales, dashboard, members ----------------------------------------------

export interface SaleLine {
  sku: string;
  name: string;
  qty: number;
  unit_price: number;
  discount: number;
  line_total: number;
}

export interface Sale {
  id: string;
  receipt: string;
  store: string;
  till: string;
  till_no: number;
  cashier: string | null;
  total: number;
  change_given: number;
  currency: string;
  sold_at_ms: number;
  lines: SaleLine[];
  tenders: { kind: string; amount: number }[];
  member?: string | null;
}

export interface SalesReport {
  count: number;
  total_amount: number;
  returns_count: number;
  returns_amount: number;
  limit: number;
  offset: number;
  sales: Sale[];
}

/** One day's totals; `net` = gross - refunds (minor units). */
export interface DayTotals {
  sales: number;
  returns: number;
  items: number;
  gross: number;
  refunds: number;
  net: number;
}

export interface Dashboard {
  date: string;
  last_week_date: string;
  tz: string;
  store: string | null;
  today: DayTotals;
  last_week: DayTotals;
  by_hour: { hour: number; today: number; last_week: number }[];
  by_store: { store: string; name: string | null; sales: number; today: number; last_week: number }[];
  top_products: { sku: string; name: string | null; qty: number; revenue: number }[];
  by_cashier: { store: string; cashier: string; sales: number; items: number; revenue: number }[];
}

export interface Member {
  id: string;
  phone: string | null;
  name: string | null;
  birth_year: number | null;
  home_store: string | null;
  signed_up_at_ms: number | null;
  marketing_consent: boolean;
  purchases: number;
  spent: number;
  last_purchase_ms: number | null;
}

export interface MemberPage {
  items: Member[];
  total: number;
}

export interface MemberAnalytics {
  from: string;
  to: string;
  store: string | null;
  members_total: number;
  signups: { date: string; count: number }[];
  purchasers: number;
  repeat_purchasers: number;
  repeat_rate: number;
  age_bands: { band: string; category: string; qty: number; revenue: number }[];
}

// ---- live events (GET /events WebSocket) -----------------------------------

export type LiveEvent =
  | { type: "hello"; role: Role; store: string | null }
  | {
      type: "sale";
      store: string;
      receipt: string;
      total: number;
      currency: string;
      sold_at_ms: number;
      till: string;
      cashier: string | null;
      items: number;
    }
  | {
      type: "return";
      store: string;
      receipt: string;
      total_refund: number;
      currency: string;
      returned_at_ms: number;
    }
  | ({ type: "till" } & Till)
  | ({ type: "command" } & TillCommand)
  | { type: "stock_alert"; location: string; sku: string; qty: number; level: "low" | "negative" }
  | { type: "lagged" }
  | { type: "error"; code: string; message?: string };
