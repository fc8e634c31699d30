// Dev check of issue 5's till screens against the dev-only mock (vite dev
// server, no Tauri): the sell screen's delivery banner, the Deliveries list
// with the ETA, receiving by scanning (shortage, extra, damaged), the confirm
// summary and done, a second receive refused; then Request stock (scan, qty,
// send) and the orders list with a cancel. Writes screenshots to shots/.
// Usage: npx vite --port 5174 & node e2e/logistics.mjs [http://127.0.0.1:5174/]
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const url = process.argv[2] ?? "http://127.0.0.1:5174/";
mkdirSync("shots", { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
page.setDefaultTimeout(5000);
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
const tid = (id) => page.locator(`[data-testid="${id}"]`);
const shot = (n) => page.screenshot({ path: `shots/${n}.png` });
const lang = process.env.LANG_UI ?? "en";
const fail = (msg) => {
  console.error("FAIL:", msg);
  process.exitCode = 1;
};

await page.goto(url);
await page.evaluate((l) => localStorage.setItem("storelink.pos.lang", l), lang);
await page.reload();
await tid("pin-input").fill("9999");
await tid("pin-submit").click();
await tid("shift-float").fill("100000");
await tid("shift-open").click();
await tid("scan-input").waitFor();

// The banner: a truck at the door comes first.
await tid("delivery-banner").waitFor();
if ((await tid("delivery-banner").getAttribute("data-tone")) !== "arrived") fail("banner should show the arrived delivery");
await shot(`logi-01-sell-banner-${lang}`);
await tid("delivery-banner").click();
await tid("delivery-list").waitFor();
if ((await tid("delivery-row").count()) !== 2) fail("two deliveries listed");
await shot(`logi-02-deliveries-${lang}`);

// Receive the one ~12 min away: 18 of 20 tees by scanning the barcode (1 damaged),
// 12 of 12 of the second line, and 1 extra item.
const row = page.locator('[data-testid="delivery-row"][data-status="dispatched"]');
await row.locator('[data-testid="delivery-receive"]').click();
await tid("receive-scan").waitFor();
for (let i = 0; i < 2; i++) {
  await tid("receive-scan").fill("9*8800000000001");
  await page.keyboard.press("Enter");
  await page.waitForTimeout(40);
}
await tid("receive-scan").fill("12*8800000000007");
await page.keyboard.press("Enter");
await tid("receive-scan").fill("8800000000003");
await page.keyboard.press("Enter");
await page.waitForTimeout(80);
const first = tid("count-row").first();
await first.locator('[data-testid="count-damaged"]').fill("1");
await first.locator('[data-testid="count-damaged"]').press("Tab");
await page.waitForTimeout(40);
const states = await page.$$eval('[data-testid="count-row"]', (rs) => rs.map((r) => `${r.dataset.sku}:${r.dataset.state}:${r.dataset.received}/${r.dataset.damaged}`));
console.log("count rows", states);
if (!states[0]?.endsWith(":short:18/1")) fail(`first line should be short 18/1: ${states[0]}`);
if (!states.some((s) => s.includes(":extra:1/0"))) fail("an extra line");
await shot(`logi-03-receive-count-${lang}`);
await tid("receive-confirm").click();
await tid("receive-summary").waitFor();
const sum = await tid("receive-summary").evaluate((e) => [e.dataset.shortage, e.dataset.extra, e.dataset.damaged]);
if (sum.join() !== "2,1,1") fail(`summary 2 short, 1 extra, 1 damaged: ${sum}`);
await tid("receive-note").fill("box 3 wet");
await shot(`logi-04-receive-confirm-${lang}`);
await tid("receive-submit").click();
await tid("receive-done").waitFor();
await shot(`logi-05-receive-done-${lang}`);
await tid("receive-back").click();
await tid("delivery-list").waitFor();
if ((await page.locator('[data-testid="delivery-row"][data-received="true"]').count()) !== 1) fail("one delivery received");

// Request stock: scan the barcode, qty 6, send; the order heads the list; cancel it.
await tid("logi-tab-request").click();
await tid("restock-query").waitFor();
await tid("restock-qty").fill("6");
await tid("restock-query").fill("8800000000002");
await page.keyboard.press("Enter");
await tid("restock-line").waitFor();
await tid("restock-qty").fill("0");
await tid("restock-qty-invalid").waitFor();
await tid("restock-qty").fill("3");
await tid("restock-query").fill("8800000000002");
await page.keyboard.press("Enter");
await page.waitForTimeout(40);
if ((await tid("restock-line").getAttribute("data-qty")) !== "9") fail("the same SKU adds to its line");
await tid("restock-note").fill("weekend promotion");
await shot(`logi-06-request-${lang}`);
await tid("restock-send").click();
await page.waitForFunction(() => document.querySelectorAll('[data-testid="order-row"]').length === 3);
await shot(`logi-07-orders-${lang}`);
await tid("order-row").first().locator('[data-testid="order-cancel"]').click();
await page.waitForFunction(() => document.querySelector('[data-testid="order-row"]')?.getAttribute("data-status") === "cancelled");

await browser.close();
if (errors.length) fail(`page errors: ${errors.join("\n")}`);
console.log(process.exitCode ? "logistics screens: FAILED" : "logistics screens: ok");
