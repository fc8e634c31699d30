// The live dashboard's state and the pure reducer that folds /events
// messages into it, so a sale shows at once — totals, the hour bar, the
// store bar, the cashier row and the feed — without a reload. A debounced
// refetch of /dashboard (see Dashboard.tsx) later replaces these estimates
// with the hub's own aggregates (top products need the lines).

import type { Dashboard } from "../api/types/Dashboard";
import type { Event as LiveEvent } from "../api/types/Event";
import type { StockAlert } from "../api/types/StockAlert";
import type { Till } from "../api/types/Till";
import { dateInOffset, hourInOffset } from "../format";

export interface FeedItem {
  kind: "sale" | "return";
  receipt: string;
  store: string;
  till: string | null;
  cashier: string | null;
  amount: number;
  currency: string;
  at_ms: number;
}

export interface LiveState {
  dashboard: Dashboard | null;
  feed: FeedItem[];
  alerts: StockAlert[];
  tills: Record<string, Till>;
  /** Set by `lagged`: events were dropped, the page must refetch. */
  stale: boolean;
  events: number;
}

export interface LiveContext {
  /** The dashboard's date (`YYYY-MM-DD`) in the viewer's zone. */
  date: string;
  /** Minutes east of UTC of the viewer's zone. */
  offset: number;
  /** Store filter of the page (null: every visible store). */
  store: string | null;
}

export const FEED_MAX = 25;
export const ALERTS_MAX = 50;

export function initialLive(): LiveState {
  return { dashboard: null, feed: [], alerts: [], tills: {}, stale: false, events: 0 };
}

interface Change {
  store: string;
  cashier: string | null;
  hour: number;
  /** Signed: a sale adds its total, a return takes its refund off. */
  amount: number;
  sale: boolean;
  items: number;
}

function addToday(d: Dashboard, c: Change): Dashboard {
  const t = d.today;
  const today = c.sale
    ? { ...t, sales: t.sales + 1, items: t.items + c.items, gross: t.gross + c.amount, net: t.net + c.amount }
    : { ...t, returns: t.returns + 1, refunds: t.refunds - c.amount, net: t.net + c.amount };
  const by_hour = d.by_hour.some((h) => h.hour === c.hour)
    ? d.by_hour.map((h) => (h.hour === c.hour ? { ...h, today: h.today + c.amount } : h))
    : [...d.by_hour, { hour: c.hour, today: c.amount, last_week: 0 }].sort((a, b) => a.hour - b.hour);
  const sales = c.sale ? 1 : 0;
  const by_store = d.by_store.some((s) => s.store === c.store)
    ? d.by_store.map((s) => (s.store === c.store ? { ...s, today: s.today + c.amount, sales: s.sales + sales } : s))
    : [...d.by_store, { store: c.store, name: null, sales, today: c.amount, last_week: 0 }];
  let by_cashier = d.by_cashier;
  if (c.cashier) {
    const mine = (x: Dashboard["by_cashier"][number]) => x.cashier === c.cashier && x.store === c.store;
    by_cashier = d.by_cashier.some(mine)
      ? d.by_cashier.map((x) =>
          mine(x) ? { ...x, revenue: x.revenue + c.amount, sales: x.sales + sales, items: x.items + c.items } : x,
        )
      : [...d.by_cashier, { store: c.store, cashier: c.cashier, sales, items: c.items, revenue: c.amount }];
  }
  return { ...d, today, by_hour, by_store, by_cashier };
}

/** Fold one event (or a fresh /dashboard answer) into the state. */
export function reduce(
  state: LiveState,
  action: LiveEvent | { type: "loaded"; dashboard: Dashboard },
  ctx: LiveContext,
): LiveState {
  switch (action.type) {
    case "loaded":
      return { ...state, dashboard: action.dashboard, stale: false };
    case "sale": {
      if (ctx.store && action.store !== ctx.store) return state;
      if (state.feed.some((f) => f.kind === "sale" && f.receipt === action.receipt)) return state;
      const item: FeedItem = {
        kind: "sale",
        receipt: action.receipt,
        store: action.store,
        till: action.till,
        cashier: action.cashier,
        amount: action.total,
        currency: action.currency,
        at_ms: action.sold_at_ms,
      };
      const feed = [item, ...state.feed].slice(0, FEED_MAX);
      let dashboard = state.dashboard;
      if (dashboard && dateInOffset(action.sold_at_ms, ctx.offset) === ctx.date) {
        dashboard = addToday(dashboard, {
          store: action.store,
          cashier: action.cashier,
          hour: hourInOffset(action.sold_at_ms, ctx.offset),
          amount: action.total,
          sale: true,
          items: action.items,
        });
      }
      return { ...state, feed, dashboard, events: state.events + 1 };
    }
    case "return": {
      if (ctx.store && action.store !== ctx.store) return state;
      if (state.feed.some((f) => f.kind === "return" && f.receipt === action.receipt && f.at_ms === action.returned_at_ms))
        return state;
      const item: FeedItem = {
        kind: "return",
        receipt: action.receipt,
        store: action.store,
        till: null,
        cashier: null,
        amount: -action.total_refund,
        currency: action.currency,
        at_ms: action.returned_at_ms,
      };
      let dashboard = state.dashboard;
      if (dashboard && dateInOffset(action.returned_at_ms, ctx.offset) === ctx.date) {
        dashboard = addToday(dashboard, {
          store: action.store,
          cashier: null,
          hour: hourInOffset(action.returned_at_ms, ctx.offset),
          amount: -action.total_refund,
          sale: false,
          items: 0,
        });
      }
      return {
        ...state,
        feed: [item, ...state.feed].slice(0, FEED_MAX),
        dashboard,
        events: state.events + 1,
      };
    }
    case "till": {
      const { type: _type, ...till } = action;
      return { ...state, tills: { ...state.tills, [till.actor]: till }, events: state.events + 1 };
    }
    case "stock_alert": {
      const { type: _type, ...alert } = action;
      const rest = state.alerts.filter((a) => !(a.location === alert.location && a.sku === alert.sku));
      return { ...state, alerts: [alert, ...rest].slice(0, ALERTS_MAX), events: state.events + 1 };
    }
    case "lagged":
      return { ...state, stale: true };
    default:
      return state;
  }
}
