// DEV ONLY: an in-memory stand-in for the desktop shell so the screens can be
// run and screenshotted in a plain browser (`npm run dev` / a dev build).
// Loaded by ./tauri.ts only when `window.__TAURI_INTERNALS__` is absent AND
// `import.meta.env.DEV`; production builds never ship it as the backend.
// PINs: 1234 cashier, 9999 store manager. Barcode 8800000000001… etc.

import type { Invoke, Listen } from "./tauri";
import { chatMock, chatUnreadOf } from "./mockChat";
import { logisticsMock } from "./mockLogistics";
import type { CashMovement } from "./types/CashMovement";
import type { CashierMessage } from "./types/CashierMessage";
import type { Discount } from "./types/Discount";
import type { LinkState } from "./types/LinkState";
import type { Member } from "./types/Member";
import type { ProductHit } from "./types/ProductHit";
import type { QuotedLine } from "./types/QuotedLine";
import type { ReturnRecord } from "./types/ReturnRecord";
import type { ReturnRequest } from "./types/ReturnRequest";
import type { SaleRecord } from "./types/SaleRecord";
import type { Settlement } from "./types/Settlement";
import type { Shift } from "./types/Shift";
import type { Staff } from "./types/Staff";
import type { Tender } from "./types/Tender";
import type { TenderRequest } from "./types/TenderRequest";
// Issue 7 stand-ins (replaced by generated types when the till core lands).
import type { CouponQuote, LimitHoldView, LimitedSaleQuote, LimitedSaleRequest, LimitedStatus } from "../limited/types";

const COLOURS = ["Black", "Ivory", "Navy", "Camel", "Grey"];
const SIZES = ["XS", "S", "M", "L", "XL"];
const STYLES: [string, string, string, number][] = [
  ["TS100", "Cotton crew tee", "Tops", 19000],
  ["TS110", "Linen shirt", "Tops", 49000],
  ["KN200", "Merino knit", "Knitwear", 89000],
  ["KN210", "Cashmere cardigan", "Knitwear", 189000],
  ["DN300", "Straight jeans", "Denim", 79000],
  ["DN310", "Wide denim", "Denim", 85000],
  ["OW400", "Wool coat", "Outerwear", 289000],
  ["OW410", "Trench coat", "Outerwear", 249000],
  ["DR500", "Slip dress", "Dresses", 99000],
  ["SK600", "Pleated skirt", "Skirts", 69000],
];

function catalog(): ProductHit[] {
  const out: ProductHit[] = [];
  let n = 1;
  for (const [style, name, category, price] of STYLES) {
    COLOURS.forEach((c, ci) =>
      SIZES.forEach((s, si) => {
        out.push({
          sku: `${style}-${c.slice(0, 3).toUpperCase()}-${s}`,
          name,
          price,
          barcode: `88${String(n++).padStart(11, "0")}`,
          style,
          colour: c,
          size: s,
          category,
          active: true,
          current_price: style === "KN200" ? Math.round(price * 0.8) : price,
          price_label: style === "KN200" ? "Winter sale −20%" : null,
          stock: (ci * 7 + si * 3 + style.length) % 9,
        });
      }),
    );
  }
  out.push({
    sku: "JK-COLLAB-BLK-M", name: "Collab jacket (limited)", price: 390000, barcode: "8809999000002", style: null,
    colour: "Black", size: "M", category: "Outerwear", active: true, current_price: 390000, price_label: null, stock: 5,
  });
  out.push({
    sku: "BAG-TOTE", name: "Canvas tote", price: 15000, barcode: "8809999000001", style: null,
    colour: null, size: null, category: "Accessories", active: true, current_price: 15000, price_label: null, stock: 12,
  });
  return out;
}

const STAFF: Record<string, Staff> = {
  "1234": { id: "s-1", username: "minji", display_name: "Kim Minji", role: "cashier", store: "GN01", active: true },
  "9999": { id: "s-2", username: "jisoo", display_name: "Park Jisoo", role: "store_manager", store: "GN01", active: true },
};

const ui = (code: string, message: string) => ({ code, message });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function mockTransport(): { invoke: Invoke; listen: Listen } {
  const items = catalog();
  const bySku = new Map(items.map((p) => [p.sku, p]));
  const byCode = (code: string) => bySku.get(code) ?? items.find((p) => p.barcode === code);
  let enrolled = new URLSearchParams(location.search).get("setup") !== "1";
  let staff: Staff | null = null;
  let shift: Shift | null = null;
  let movements: CashMovement[] = [];
  const sales: SaleRecord[] = [];
  const returns: ReturnRecord[] = [];
  const members = new Map<string, Member>([
    ["01012345678", { id: "m-1", phone: "01012345678", name: "Lee Seoyeon", birth_year: 1992, home_store: "GN01", signed_up_at_ms: Date.now() - 9e9, marketing_consent: true }],
  ]);
  const messages: CashierMessage[] = [
    { id: "msg-1", text: "New winter window display from Monday: see the planogram in the store chat.", received_ms: Date.now() - 3_600_000, read_ms: null },
  ];
  let seq = 0;
  let link: LinkState = { online: true, last_sync_ms: Date.now() - 42_000, last_error: null, unsent_ops: 0 };
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const emit = (ev: string, p: unknown) => listeners.get(ev)?.forEach((h) => h(p));
  // Go offline now and then so the status bar shows both states.
  setInterval(() => {
    link = link.online
      ? { ...link, online: Math.random() > 0.15 }
      : { ...link, online: true, unsent_ops: 0, last_sync_ms: Date.now() };
    emit("link", link);
  }, 20_000);

  const limit = 10;

  // Issue 7: one limited SKU (this till holds 5 of 60; 42 left elsewhere), a
  // first-come coupon WELCOME10 (10% off from 50,000, 3 left here), and the
  // clock guard (open the page with ?clock=fast to see time deals paused).
  const LIMITED_SKU = "JK-COLLAB-BLK-M";
  const lim = { rights: 5, sold: 0, elsewhere: 42, holdMinutes: 30, requestOpen: false };
  const holds: LimitHoldView[] = [];
  const coupon = { code: "WELCOME10", label: "Welcome 10%", percent: 10, minSpend: 50000, left: 3, usedBy: new Set<string>() };
  const clockFast = new URLSearchParams(location.search).get("clock") === "fast";
  const activeHeld = (except: string | null) =>
    holds.filter((h) => h.status === "held" && h.expires_at_ms > Date.now() && h.id !== except).reduce((n, h) => n + h.qty, 0);
  const limitedStatus = (): LimitedStatus => {
    const available = Math.max(0, lim.rights - lim.sold - activeHeld(null));
    return {
      key: `sku:${LIMITED_SKU}`, sku: LIMITED_SKU, label: "Collab jacket drop", active: true, on_sale_now: true,
      starts_at_ms: null, ends_at_ms: null, available, rights: lim.rights - lim.sold, held: activeHeld(null),
      store_left: lim.rights - lim.sold, elsewhere_left: lim.elsewhere, total_left: lim.rights - lim.sold + lim.elsewhere,
      hold_minutes: lim.holdMinutes, request_open: lim.requestOpen,
    };
  };
  /** Units this sale may take of the limited SKU (its hold's units count). */
  const limitedAllowance = (req: LimitedSaleRequest) => {
    const h = req.hold ? holds.find((x) => x.id === req.hold && x.status === "held" && x.expires_at_ms > Date.now()) : undefined;
    if (req.hold && !h) throw ui("hold_unknown", "that hold is not active at this till (released, sold or expired)");
    return limitedStatus().available + (h?.qty ?? 0);
  };
  const couponOf = (req: LimitedSaleRequest, total: number): CouponQuote | null => {
    if (!req.coupon_code) return null;
    const code = req.coupon_code.toUpperCase();
    const refuse = (refused: string): CouponQuote => ({ code, label: coupon.label, discount: 0, refused });
    if (code !== coupon.code) return { ...refuse(`no coupon campaign with the code ${code}`), label: "" };
    if (!req.member_phone) return refuse("a coupon needs a member: attach the member first");
    if (total < coupon.minSpend) return refuse(`the sale must come to at least ${coupon.minSpend}`);
    if (coupon.usedBy.has(req.member_phone.replace(/\D/g, ""))) return refuse("this member has already used this coupon");
    if (coupon.left <= 0) return refuse("coupons used up at this till; 17 left in other stores");
    return { code, label: coupon.label, discount: Math.floor((total * coupon.percent) / 100), refused: null };
  };
  const discOf = (d: Discount | null, gross: number) =>
    !d ? 0 : d.kind === "amount" ? Math.min(d.value, gross) : Math.floor((gross * d.value) / 100);

  function quote(req: LimitedSaleRequest): LimitedSaleQuote {
    const lines: QuotedLine[] = [];
    for (const it of req.items) {
      const p = byCode(it.code);
      if (!p) throw ui("unknown_item", `no product with SKU or barcode "${it.code}" in this till's catalog`);
      if (it.qty < 1 || it.qty > 10000) throw ui("invalid_quantity", `quantity ${it.qty} for ${it.code} is out of range: use 1 to 10000`);
      const price = p.current_price ?? p.price ?? 0;
      const gross = price * it.qty;
      const d = discOf(it.discount, gross);
      lines.push({ sku: p.sku, code: it.code, name: p.name, qty: it.qty, unit_price: price, discount: d, line_total: gross - d, price_label: p.price_label, colour: p.colour, size: p.size });
    }
    const gross = lines.reduce((n, l) => n + l.qty * l.unit_price, 0);
    let net = lines.reduce((n, l) => n + l.line_total, 0);
    const cd = discOf(req.cart_discount, net);
    let left = cd;
    lines.forEach((l, i) => {
      const share = i === lines.length - 1 ? left : Math.floor((cd * l.line_total) / Math.max(1, net));
      l.discount += share;
      l.line_total -= share;
      left -= share;
    });
    net = lines.reduce((n, l) => n + l.line_total, 0);
    const discountBeforeCoupon = gross - net;
    const needs = discountBeforeCoupon * 100 > gross * limit && staff?.role !== "store_manager";
    const cq = couponOf(req, net);
    if (cq && cq.refused === null && cq.discount > 0) {
      // Spread like the cart discount (exempt from the approval limit).
      let left = cq.discount;
      const base = net;
      lines.forEach((l, i) => {
        const share = i === lines.length - 1 ? left : Math.floor((cq.discount * l.line_total) / Math.max(1, base));
        l.discount += share;
        l.line_total -= share;
        left -= share;
      });
      net = lines.reduce((n, l) => n + l.line_total, 0);
    }
    const limited = lines.some((l) => l.sku === LIMITED_SKU) ? [limitedStatus()] : [];
    return { lines, gross, discount: gross - net, total: net, currency: "KRW", needs_approval: needs, discount_limit_pct: limit, limited, coupon: cq };
  }

  function settle(total: number, tenders: TenderRequest[]): Settlement {
    const explicit = tenders.reduce((n, t) => n + (t.amount ?? 0), 0);
    const rest = Math.max(0, total - explicit);
    const handed: Tender[] = tenders.map((t) => ({ kind: t.kind, amount: t.amount ?? rest }));
    const paid = handed.reduce((n, t) => n + t.amount, 0);
    if (paid < total) return { tenders: handed, change_due: 0, remaining: total - paid };
    const over = paid - total;
    const cash = handed.filter((t) => t.kind === "cash").reduce((n, t) => n + t.amount, 0);
    if (over > cash) throw ui("tender_excess", `card and other payments exceed the amount due by ${over - cash}; only cash can give change`);
    let take = over;
    for (const t of [...handed].reverse()) if (t.kind === "cash" && take > 0) { const x = Math.min(take, t.amount); t.amount -= x; take -= x; }
    return { tenders: handed.filter((t) => t.amount > 0), change_due: over, remaining: 0 };
  }

  function needStaff() {
    if (!staff) throw ui("not_unlocked", "the till is locked: unlock it with a staff PIN");
  }

  function summary() {
    if (!shift) return null;
    const mine = sales.filter((s) => s.sold_at_ms >= shift!.opened_at_ms);
    const rets = returns.filter((r) => r.returned_at_ms >= shift!.opened_at_ms);
    const byKind = (ts: Tender[]) => {
      const m = new Map<string, number>();
      ts.forEach((t) => m.set(t.kind, (m.get(t.kind) ?? 0) + t.amount));
      return [...m].map(([kind, amount]) => ({ kind, amount }) as Tender);
    };
    const gross = mine.reduce((n, s) => n + s.lines.reduce((a, l) => a + l.qty * l.unit_price, 0), 0);
    const net = mine.reduce((n, s) => n + s.total, 0);
    const refunds = rets.reduce((n, r) => n + r.total_refund, 0);
    const cashSales = mine.flatMap((s) => s.tenders).filter((t) => t.kind === "cash").reduce((n, t) => n + t.amount, 0);
    const cashRef = rets.flatMap((r) => r.refunds).filter((t) => t.kind === "cash").reduce((n, t) => n + t.amount, 0);
    const cin = movements.filter((m) => m.kind === "in").reduce((n, m) => n + m.amount, 0);
    const cout = movements.filter((m) => m.kind === "out").reduce((n, m) => n + m.amount, 0);
    return {
      shift, sales_count: mine.length, returns_count: rets.length, gross_sales: gross, discounts: gross - net, net_sales: net,
      refunds, sales_by_tender: byKind(mine.flatMap((s) => s.tenders)), refunds_by_tender: byKind(rets.flatMap((r) => r.refunds)),
      cash_in: cin, cash_out: cout, movements, expected_cash: shift.float + cashSales - cashRef + cin - cout,
      first_receipt: mine[0]?.receipt ?? null, last_receipt: mine[mine.length - 1]?.receipt ?? null,
    };
  }

  const receiptNo = () => `GN01-01-${String(++seq).padStart(6, "0")}`;
  const bump = () => {
    link = { ...link, unsent_ops: link.unsent_ops + 1 };
    emit("link", link);
  };
  const chat = chatMock(() => staff, bump, STAFF);
  const logistics = logisticsMock(() => staff, items, bump);
  const status = () => ({
    actor: "a-1", store: "GN01", store_name: "Gangnam Flagship", till_no: 1, hub: "https://hub.example", last_seq: seq, acked_seq: seq - link.unsent_ops,
    unsent_ops: link.unsent_ops, cursor: 100, last_sync_ms: link.last_sync_ms, sales_count: sales.length, returns_count: returns.length,
    needs_enrolment: false, last_error: link.online ? null : "hub unreachable", locked: false,
    unread_messages: messages.filter((m) => m.read_ms == null), chat_unread: chatUnreadOf(chat),
  });

  const handlers: Record<string, (a: Record<string, unknown>) => unknown> = {
    app_info: () => ({ version: "0.1.0-mock", enrolled, data_dir: "/mock" }),
    enrol: async (a) => {
      await sleep(600);
      if (String(a.code).length < 4) throw ui("enrol", "the hub refused the enrolment code (expired or already used)");
      enrolled = true;
      return status();
    },
    status,
    link: () => link,
    sync_now: () => {
      link = { ...link, online: true, unsent_ops: 0, last_sync_ms: Date.now() };
      emit("link", link);
    },
    unlock: async (a) => {
      await sleep(120);
      const s = STAFF[String(a.pin)];
      if (!s) throw ui("wrong_pin", "wrong PIN: no active staff member of this store has it");
      staff = s;
      return s;
    },
    lock_screen: () => void (staff = null),
    current_staff: () => staff,
    scan: (a) => {
      const p = byCode(String(a.code).trim());
      if (!p) throw ui("unknown_item", `no product with SKU or barcode "${a.code}" in this till's catalog`);
      return p;
    },
    search_products: (a) => {
      const q = String(a.query).toLowerCase();
      return items.filter((p) => p.sku.toLowerCase().startsWith(q) || p.name.toLowerCase().includes(q) || p.barcode === q).slice(0, Number(a.limit));
    },
    categories: () => {
      const m = new Map<string, number>();
      items.forEach((p) => m.set(p.category ?? "", (m.get(p.category ?? "") ?? 0) + 1));
      return [...m].map(([category, count]) => ({ category, count }));
    },
    products_in_category: (a) => {
      const seen = new Set<string>();
      return items
        .filter((p) => p.category === a.category && !seen.has(p.style ?? p.sku) && seen.add(p.style ?? p.sku))
        .slice(Number(a.offset), Number(a.offset) + Number(a.limit));
    },
    variants: (a) => {
      const cells = items.filter((p) => p.style === a.style);
      return { style: a.style, name: cells[0]?.name ?? "", colours: COLOURS, sizes: SIZES, cells };
    },
    quote_sale: (a) => quote(a.req as LimitedSaleRequest),
    settle_preview: (a) => settle(Number(a.total), a.tenders as TenderRequest[]),
    sell: async (a) => {
      needStaff();
      if (!shift) throw ui("no_open_shift", "open a shift before selling");
      const req = a.req as LimitedSaleRequest;
      const q = quote(req);
      const limQty = q.lines.filter((l) => l.sku === LIMITED_SKU).reduce((n, l) => n + l.qty, 0);
      if (limQty > 0) {
        const may = limitedAllowance(req);
        if (limQty > may) {
          throw ui("limited_used_up", may === 0
            ? `limited item: this till's allocation is used up; ${lim.elsewhere} left in other stores`
            : `limited item: only ${may} left at this till; ${lim.elsewhere} left in other stores`);
        }
      }
      if (q.coupon?.refused) {
        const r = q.coupon.refused;
        const code = r.startsWith("no coupon") ? "coupon_unknown" : r.startsWith("a coupon needs") ? "coupon_needs_member"
          : r.startsWith("the sale must") ? "coupon_min_spend" : r.includes("already used") ? "coupon_already_used" : "coupons_used_up";
        throw ui(code, r);
      }
      if (q.needs_approval) {
        if (!req.approver_pin) throw ui("approval_required", `a discount of ${q.discount} over the ${limit}% limit needs a store manager's approval`);
        if (STAFF[req.approver_pin]?.role !== "store_manager") throw ui("approval_refused", "that PIN is not a store manager's");
      }
      const s = settle(q.total, req.tenders.length ? req.tenders : [{ kind: "card", amount: null }]);
      if (s.remaining > 0) throw ui("tender_short", `payment is short by ${s.remaining}`);
      await sleep(80);
      const sale: SaleRecord = {
        id: crypto.randomUUID(), receipt: receiptNo(), store: "GN01", till: "a-1", cashier: staff!.username,
        member: req.member_phone ? members.get(req.member_phone.replace(/\D/g, ""))?.id ?? null : null,
        lines: q.lines.map((l) => ({ sku: l.sku, name: l.name, qty: l.qty, unit_price: l.unit_price, discount: l.discount, line_total: l.line_total })),
        tenders: s.tenders, total: q.total, change_given: s.change_due, currency: "KRW", sold_at_ms: Date.now(),
      };
      sales.push(sale);
      if (limQty > 0) {
        lim.sold += limQty;
        const h = holds.find((x) => x.id === req.hold);
        if (h) h.status = "sold";
      }
      if (q.coupon && !q.coupon.refused && req.member_phone) {
        coupon.left -= 1;
        coupon.usedBy.add(req.member_phone.replace(/\D/g, ""));
      }
      q.lines.forEach((l) => { const p = bySku.get(l.sku); if (p) p.stock -= l.qty; });
      bump();
      return { sale, price_labels: q.lines.map((l) => l.price_label) };
    },
    receipt_text: (a) => `Receipt ${a.receipt}`,
    save_receipt: (a) => `/home/pos/Documents/${a.path}`,
    return_preview: (a) => {
      const sale = sales.find((s) => s.receipt === String(a.receipt).trim());
      if (!sale) {
        if (returns.some((r) => r.receipt === a.receipt)) throw ui("not_a_sale", `receipt ${a.receipt} is a return; returns are made against the original sale receipt`);
        throw ui("receipt_not_found", `no receipt ${a.receipt} at this till (a sale from another till shows up here after sync)`);
      }
      const lines = sale.lines.map((l) => {
        const returned = returns.filter((r) => r.original_sale === sale.id).flatMap((r) => r.lines).filter((x) => x.sku === l.sku).reduce((n, x) => n + x.qty, 0);
        return { sku: l.sku, name: l.name, sold: l.qty, returned, left: l.qty - returned, unit_refund: Math.floor(l.line_total / l.qty) };
      });
      return { sale, lines, refund_to: [...new Set(sale.tenders.map((t) => t.kind))] };
    },
    return_sale: (a) => {
      needStaff();
      const req = a.req as ReturnRequest;
      const prev = handlers.return_preview!({ receipt: req.receipt }) as { sale: SaleRecord; lines: { sku: string; left: number; unit_refund: number }[] };
      const lines = req.items.map((it) => {
        const l = prev.lines.find((x) => x.sku === it.code);
        if (!l) throw ui("not_on_receipt", `${it.code} is not on receipt ${req.receipt}`);
        if (it.qty > l.left) throw ui("over_return", `cannot return ${it.qty} x ${it.code}: only ${l.left} still returnable on this receipt`);
        return { sku: l.sku, qty: it.qty, refund: l.unit_refund * it.qty };
      });
      const total = lines.reduce((n, l) => n + l.refund, 0);
      const rec: ReturnRecord = {
        id: crypto.randomUUID(), receipt: receiptNo(), original_sale: prev.sale.id, original_receipt: prev.sale.receipt, store: "GN01", till: "a-1",
        lines, refunds: [{ kind: prev.sale.tenders[0]?.kind ?? "card", amount: total }], total_refund: total, currency: "KRW", returned_at_ms: Date.now(),
      };
      returns.push(rec);
      bump();
      return { return: rec };
    },
    stock: (a) => {
      const p = bySku.get(String(a.sku));
      return p ? [{ sku: p.sku, name: p.name, qty: p.stock, current_price: p.current_price, price_label: p.price_label }] : [];
    },
    stock_elsewhere: async (a) => {
      await sleep(300);
      const p = bySku.get(String(a.sku));
      const base = p?.stock ?? 0;
      return {
        sku: a.sku, online: link.online, as_of_ms: link.online ? Date.now() - 60_000 : Date.now() - 3_600_000,
        stores: [
          { store: "GN01", name: "Gangnam Flagship", qty: base },
          { store: "HD02", name: "Hongdae", qty: (base + 3) % 7 },
          { store: "BS03", name: "Busan Centum", qty: (base + 5) % 4 },
        ],
      };
    },
    find_member: (a) => members.get(String(a.phone).replace(/\D/g, "")) ?? null,
    sign_up_member: (a) => {
      const r = a.req as { phone: string; name: string; birth_year: number | null; marketing_consent: boolean };
      const phone = r.phone.replace(/\D/g, "");
      if (!/^0\d{8,10}$/.test(phone)) throw ui("invalid_input", `"${r.phone}" is not a phone number`);
      const m: Member = { id: crypto.randomUUID(), phone, name: r.name, birth_year: r.birth_year, home_store: "GN01", signed_up_at_ms: Date.now(), marketing_consent: r.marketing_consent };
      members.set(phone, m);
      bump();
      return { member: m, created: true };
    },
    open_shift: (a) => {
      needStaff();
      if (shift) throw ui("shift_already_open", "a shift is already open on this till");
      shift = { id: crypto.randomUUID(), opened_at_ms: Date.now(), opened_by: staff!.username, float: Number(a.float), closed_at_ms: null, closed_by: null };
      movements = [];
      return shift;
    },
    current_shift: () => summary(),
    cash_movement: (a) => {
      if (!shift) throw ui("no_open_shift", "no open shift");
      if (a.kind === "out" && staff?.role !== "store_manager") throw ui("manager_only", "cash out needs a store manager");
      const m: CashMovement = { id: crypto.randomUUID(), at_ms: Date.now(), kind: a.kind as "in" | "out", amount: Number(a.amount), reason: String(a.reason), by: staff?.username ?? "" };
      movements.push(m);
      return m;
    },
    close_shift: (a) => {
      const s = summary();
      if (!s || !shift) throw ui("no_open_shift", "no open shift");
      const counted = Number(a.countedCash);
      shift = null;
      return { summary: s, counted_cash: counted, over_short: counted - s.expected_cash, text: `Z REPORT\nGangnam Flagship  till 1\nSales ${s.sales_count}  net ${s.net_sales}\nExpected cash ${s.expected_cash}\nCounted ${counted}\nOver/short ${counted - s.expected_cash}\n` };
    },
    z_report: () => { throw ui("invalid_input", "mock: no stored Z reports"); },
    outbox_pending: () => sales.slice(-link.unsent_ops).map((s, i) => ({ seq: i + 1, kind: "sale", summary: `${s.receipt} ${s.total}`, at_ms: s.sold_at_ms, bytes: 412 })),
    messages: (a) => (a.unreadOnly ? messages.filter((m) => m.read_ms == null) : messages),
    mark_message_read: (a) => {
      const m = messages.find((x) => x.id === a.id);
      if (m) m.read_ms = Date.now();
      return !!m;
    },
    quit: (a) => {
      if (!a.force && link.unsent_ops > 0) throw ui("unsent_sales", `${link.unsent_ops} changes not sent yet`);
      return { unsent_ops: link.unsent_ops };
    },
    set_discount_limit_pct: () => undefined,
    limited_status: (a) => (a.sku === LIMITED_SKU ? limitedStatus() : null),
    limited_items: () => [limitedStatus()],
    hold_limited: (a) => {
      needStaff();
      if (a.sku !== LIMITED_SKU) throw ui("invalid_input", `${String(a.sku)} is not a limited item`);
      if (lim.holdMinutes === 0) throw ui("holds_not_allowed", "holds are not allowed for this limited item");
      const qty = Number(a.qty);
      const available = limitedStatus().available;
      if (!Number.isInteger(qty) || qty < 1) throw ui("invalid_input", "hold at least 1");
      if (qty > available) throw ui("limited_used_up", `limited item: only ${available} left at this till; ${lim.elsewhere} left in other stores`);
      const now = Date.now();
      const h: LimitHoldView = { id: crypto.randomUUID(), sku: LIMITED_SKU, label: "Collab jacket drop", qty, note: String(a.note ?? ""), placed_at_ms: now, expires_at_ms: now + lim.holdMinutes * 60_000, status: "held" };
      holds.push(h);
      bump();
      return h;
    },
    release_hold: (a) => {
      const h = holds.find((x) => x.id === a.id);
      if (!h || h.status !== "held" || h.expires_at_ms <= Date.now()) throw ui("hold_unknown", "that hold is not active at this till (released, sold or expired)");
      h.status = "released";
      bump();
      return h;
    },
    holds: () => holds.map((h) => ({ ...h, status: h.status === "held" && h.expires_at_ms <= Date.now() ? "expired" : h.status })),
    request_rights: () => {
      if (staff?.role !== "store_manager") throw ui("manager_only", "asking for more needs a store manager");
      lim.requestOpen = true;
      bump();
      return null;
    },
    clock_guard: () => (clockFast ? { offset_ms: -600_000, deals_paused: true } : { offset_ms: 1_200, deals_paused: false }),
    ...chat,
    ...logistics,
  };

  const invoke: Invoke = async (cmd, args) => {
    const h = handlers[cmd];
    if (!h) throw ui("error", `mock: no command ${cmd}`);
    await sleep(4);
    return h(args ?? {});
  };
  const listen: Listen = async (event, handler) => {
    const set = listeners.get(event) ?? new Set();
    set.add(handler);
    listeners.set(event, set);
    (window as unknown as { __mockEmit?: typeof emit }).__mockEmit = emit;
    return () => set.delete(handler);
  };
  return { invoke, listen };
}
