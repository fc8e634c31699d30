// Dev check of the Drops page WITHOUT the hub: the built console (vite
// preview of dist/) with `/api/v1/*` answered by an in-script stand-in of the
// drops API (contract section B) and the `/api/v1/events` socket routed to it,
// so the page's create → list → detail → live count → pull back → end flow can
// be exercised before the hub's drops API exists. The real test against the
// real hub and a real till is drops.e2e.mjs (tests/tests/hq_drops.rs).
// Screenshots go to e2e/.work/shots/.
// Usage: npm run build && npx vite preview --port 4174 &
//        node e2e/drops.mock.mjs [http://localhost:4174/]   (LANG_UI=ko for Korean)

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

import { launchConsoleBrowser } from "./browser.mjs";

const url = (process.argv[2] ?? "http://localhost:4174/").replace(/\/$/, "");
const lang = process.env.LANG_UI ?? "en";
const SHOTS = "e2e/.work/shots";
mkdirSync(SHOTS, { recursive: true });

const STORES = [
  { code: "GN01", name: "Gangnam", kind: "store", currency: "KRW", created_at_ms: 0, tills: 2, region: null, lat: null, lon: null },
  { code: "HD02", name: "Hongdae", kind: "store", currency: "KRW", created_at_ms: 0, tills: 1, region: null, lat: null, lon: null },
  { code: "WH01", name: "Warehouse", kind: "warehouse", currency: "KRW", created_at_ms: 0, tills: 0, region: null, lat: null, lon: null },
];
const PRODUCTS = [{ sku: "JK-COLLAB-M", name: "Collab jacket M", price: 390000, barcode: null, style: null, colour: null, size: null, category: null, active: true, current_price: 390000, price_label: null }];

/** The stand-in hub's drops: key → { summary, stores }. */
const drops = new Map();
let socket = null;
const requests = [];

function summaryOf(d) {
  const rights = d.stores.reduce((n, s) => n + s.rights, 0);
  const sold = d.stores.reduce((n, s) => n + s.sold, 0);
  return { ...d.summary, sold, left: d.summary.total - sold, pool: d.summary.total - sold - rights, held: 0 };
}
function detailOf(d) {
  return { summary: summaryOf(d), stores: d.stores, recalls_open: 0, duplicate_redemptions: [] };
}
function emit(d) {
  socket?.send(JSON.stringify({ type: "drop", ...summaryOf(d) }));
}
const json = (route, status, body) => route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) });
const refuse = (route, status, code, message) => json(route, status, { error: { code, message } });

async function api(route) {
  const req = route.request();
  const u = new URL(req.url());
  const path = u.pathname.replace(/^\/api\/v1/, "");
  const method = req.method();
  const body = method === "POST" ? JSON.parse(req.postData() || "{}") : null;
  requests.push({ method, path, body });
  if (path === "/auth/me") return json(route, 200, { id: 1, username: "admin", display_name: "Admin", role: "hq_admin", store: null });
  if (path === "/stores") return json(route, 200, STORES);
  if (path === "/products") return json(route, 200, { items: PRODUCTS.filter((p) => p.sku.includes((u.searchParams.get("q") ?? "").toUpperCase())), total: 1, limit: 20, offset: 0 });
  if (path === "/drops" && method === "GET") return json(route, 200, [...drops.values()].map(summaryOf));
  if (path === "/drops" && method === "POST") {
    if (!PRODUCTS.some((p) => p.sku === body.sku)) return refuse(route, 400, "unknown_sku", `no product ${body.sku}`);
    const stores = body.stores ?? STORES.filter((s) => s.kind === "store").map((s) => s.code);
    const manual = body.manual ?? {};
    const sum = Object.values(manual).reduce((n, v) => n + v, 0);
    if (body.rule === "manual" && sum !== body.total) return refuse(route, 400, "manual_sum", `manual shares sum to ${sum}, not ${body.total}`);
    const key = `sku:${body.sku}`;
    if (drops.has(key)) return refuse(route, 409, "already_limited", `${body.sku} is already limited`);
    const d = {
      summary: { key, label: body.label, kind: "sku", sku: body.sku, code: null, total: body.total, active: true, rule: body.rule, starts_at_ms: body.starts_at_ms ?? null, ends_at_ms: body.ends_at_ms ?? null, hold_minutes: body.hold_minutes },
      stores: stores.map((code) => {
        const target = manual[code] ?? 0;
        const hasTill = code === "GN01";
        return {
          store: code, name: STORES.find((s) => s.code === code).name, target, rights: hasTill ? target : 0, sold: 0, held: 0, in_flight: 0, requests_open: 0,
          tills: hasTill ? [{ actor: "t-1", till_no: 1, rights: target, sold: 0, held: 0, online: true }, { actor: "t-2", till_no: 2, rights: 0, sold: 0, held: 0, online: false }] : [],
        };
      }),
    };
    drops.set(key, d);
    setTimeout(() => emit(d), 20);
    return json(route, 201, summaryOf(d));
  }
  const m = /^\/drops\/([^/]+)(\/pull-back|\/end)?$/.exec(path);
  if (m) {
    const d = drops.get(decodeURIComponent(m[1]));
    if (!d) return refuse(route, 404, "not_found", "no such drop");
    if (!m[2]) return json(route, 200, detailOf(d));
    for (const s of d.stores) if (!body.stores || body.stores.includes(s.store)) s.rights = 0;
    if (m[2] === "/end") d.summary.active = false;
    emit(d);
    return json(route, 200, summaryOf(d));
  }
  return refuse(route, 404, "not_found", `mock: no ${method} ${path}`);
}

const context = await launchConsoleBrowser("/usr/bin/chromium", join(tmpdir(), `drops-mock-${process.pid}`));
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(5000);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
await page.route("**/api/v1/**", api);
await page.routeWebSocket("**/api/v1/events", (ws) => {
  socket = ws;
  ws.send(JSON.stringify({ type: "hello", role: "hq_admin", store: null }));
});
const tid = (id) => page.getByTestId(id);
const attr = (id, name) => tid(id).first().getAttribute(name);
async function until(what, fn, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`waiting for ${what}`);
}

let failed = null;
try {
  await page.goto(url + "/");
  await page.evaluate((l) => localStorage.setItem("storelink.hq.lang", l), lang);
  await page.goto(url + "/drops");
  await tid("page-drops").waitFor();
  await until("live", async () => (await tid("live-indicator").getAttribute("data-state")) === "live");

  await tid("new-drop").click();
  await tid("drop-submit").click();
  await tid("drop-error-label").waitFor();
  const form = tid("drop-form");
  await form.locator('input[name="label"]').fill("Collab jacket drop");
  await form.locator('input[name="sku"]').fill("JK-COLLAB-M");
  await form.locator('input[name="total"]').fill("5");
  await form.locator('select[name="rule"]').selectOption("manual");
  await tid("drop-manual-GN01").fill("3");
  await until("sum 3 not ok", async () => (await attr("drop-manual-sum", "data-sum")) === "3" && (await attr("drop-manual-sum", "data-ok")) === "false");
  await page.screenshot({ path: `${SHOTS}/drops-form.png` });
  await tid("drop-submit").click();
  await tid("drop-error-manual").waitFor();
  if (requests.some((r) => r.method === "POST" && r.path === "/drops")) throw new Error("the form posted a manual split that does not add up");
  await tid("drop-manual-HD02").fill("2");
  await until("sum ok", async () => (await attr("drop-manual-sum", "data-ok")) === "true");
  await tid("drop-submit").click();
  await tid("drop-form").waitFor({ state: "detached" });
  const posted = requests.find((r) => r.method === "POST" && r.path === "/drops");
  if (JSON.stringify(posted.body.manual) !== JSON.stringify({ GN01: 3, HD02: 2 })) throw new Error(`posted ${JSON.stringify(posted.body)}`);

  // Created → the detail opens (its key came back); the list has the row.
  await tid("drop-detail").waitFor();
  await until("list row 5/5", async () => (await attr("drop-row-left", "data-left")) === "5");
  await until("detail 5/5", async () => (await attr("drop-left", "data-left")) === "5");
  await until("pool 2", async () => (await tid("drop-pool-value").innerText()).trim() === "2");

  // A sale at GN01 arrives as a drop event: the big number moves without a reload.
  await page.evaluate(() => (window.__same = true));
  const d = drops.get("sku:JK-COLLAB-M");
  d.stores[0].sold = 1;
  d.stores[0].rights = 2;
  emit(d);
  await until("left 4", async () => (await attr("drop-left", "data-left")) === "4");
  await until("row left 4", async () => (await attr("drop-row-left", "data-left")) === "4");
  await until("store row sold 1 (detail fetched again)", async () => (await tid("drop-store-sold").first().getAttribute("data-value")) === "1");
  // An event about another drop changes nothing here.
  socket.send(JSON.stringify({ type: "drop", ...summaryOf(d), key: "sku:OTHER", label: "Other", left: 0 }));
  await until("other drop listed", async () => (await tid("drops").locator("tr").count()) === 3);
  if ((await attr("drop-left", "data-left")) !== "4") throw new Error("another drop's event moved this detail");
  if (!(await page.evaluate(() => window.__same === true))) throw new Error("reloaded");
  await page.screenshot({ path: `${SHOTS}/drops-detail.png` });

  // Pull back with confirmation: cancel first (nothing sent), then confirm.
  await tid("drop-pull-back").click();
  await tid("drop-confirm-no").click();
  if (requests.some((r) => r.path.endsWith("/pull-back"))) throw new Error("cancel still pulled back");
  await tid("drop-pull-back").click();
  await tid("drop-confirm-yes").click();
  await tid("drop-confirm").waitFor({ state: "detached" });
  await until("pool 4", async () => (await tid("drop-pool-value").innerText()).trim() === "4");
  const pb = requests.find((r) => r.path.endsWith("/pull-back"));
  if (pb.path !== "/drops/sku%3AJK-COLLAB-M/pull-back" || JSON.stringify(pb.body) !== "{}") throw new Error(`pull back sent ${JSON.stringify(pb)}`);

  await tid("drop-end").click();
  await tid("drop-confirm-yes").click();
  await until("ended", async () => (await tid("drop-detail").getByTestId("drop-phase").getAttribute("class")).includes("badge-muted"));
  if (await tid("drop-pull-back").count()) throw new Error("ended drop offers pull back");
  await page.screenshot({ path: `${SHOTS}/drops-ended.png` });
} catch (e) {
  failed = e;
  await page.screenshot({ path: `${SHOTS}/drops-failure.png` }).catch(() => undefined);
}
await context.close();
if (failed || errors.length) {
  console.error(`drops mock check FAILED: ${failed?.message ?? ""}\n${errors.join("\n")}`);
  process.exit(1);
}
console.log("drops mock check passed; screenshots in e2e/.work/shots/drops-*.png");
