// Dev check: drives the screens against the dev-only mock backend (vite dev
// server, no Tauri) with Playwright and writes screenshots to shots/.
// Usage: npx vite --port 5174 & node e2e/shots.mjs [http://127.0.0.1:5174/]
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const url = process.argv[2] ?? "http://127.0.0.1:5174/";
mkdirSync("shots", { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
const tid = (id) => page.locator(`[data-testid="${id}"]`);
const shot = (n) => page.screenshot({ path: `shots/${n}.png` });
const lang = process.env.LANG_UI ?? "en";

await page.goto(url + "?setup=1");
await page.evaluate((l) => localStorage.setItem("storelink.pos.lang", l), lang);
await page.reload();
await tid("setup-hub").fill("https://hub.example.com");
await tid("setup-code").fill("AB12-CD34");
await shot("00-setup");
await tid("setup-submit").click();
await tid("pin-input").waitFor();
await shot("01-lock");
await tid("pin-input").fill("1111");
await tid("pin-submit").click();
await tid("pin-error").waitFor();
await tid("pin-input").fill("1234");
await tid("pin-submit").click();
await tid("shift-float").waitFor();
await tid("shift-float").fill("100000");
await shot("02-open-shift");
await tid("shift-open").click();
await tid("scan-input").waitFor();
// scan: type + Enter (as a scanner does)
for (const code of ["8800000000001", "8800000000007", "8800000000001", "BAG-TOTE"]) {
  await tid("scan-input").type(code);
  await page.keyboard.press("Enter");
  await page.waitForTimeout(60);
}
await tid("scan-input").type("999999");
await page.keyboard.press("Enter");
await tid("scan-error").waitFor();
const marks = await page.evaluate(() => {
  const s = performance.getEntriesByName("scan-submit");
  const r = performance.getEntriesByName("scan-rendered");
  return { submits: s.length, rendered: r.length, timings: window.__posTimings, last: r.length ? r[r.length - 1].startTime - s[r.length - 1].startTime : null };
});
console.log("marks", JSON.stringify(marks));
await page.locator('[data-testid="category-tile"]').nth(2).click();
await page.locator('[data-testid="product-tile"]').first().click();
await tid("variant-grid").waitFor();
await page.waitForTimeout(300);
await shot("03-sell");
await page.locator('[data-testid="variant-cell"]').nth(7).click();
// cart discount 20% → needs approval
await page.keyboard.press("F5");
await tid("discount-value").fill("20");
await tid("discount-apply").click();
await page.waitForTimeout(200);
await tid("needs-approval").waitFor();
await page.keyboard.press("F8");
await tid("approval-pin").waitFor();
await tid("approval-pin").fill("9999");
await shot("04-approval");
await tid("approval-submit").click();
await tid("pay-dialog").waitFor();
await tid("tender-amount").fill("50000");
await tid("tender-cash").click();
await tid("tender-card").click();
await page.waitForTimeout(200);
await shot("05-pay");
await tid("complete-sale").click();
await tid("sale-done").waitFor();
const receiptNo = await tid("receipt-no").getAttribute("data-receipt");
await shot("06-receipt");
await page.emulateMedia({ media: "print" });
await shot("07-print");
await page.emulateMedia({ media: "screen" });
await tid("new-sale").click();
await page.waitForTimeout(100);
const focused = await page.evaluate(() => document.activeElement?.getAttribute("data-testid"));
if (focused !== "scan-input") errors.push(`after new sale focus is on ${focused}, not scan-input`);
const lines = await page.locator('[data-testid="cart-line"]').count();
if (lines !== 0) errors.push(`new sale kept ${lines} lines`);
await tid("nav-returns").click();
await tid("return-receipt").fill(receiptNo);
await tid("return-find").click();
await tid("return-preview").waitFor();
await page.locator('[data-testid="return-qty"]').first().fill("5");
await page.waitForTimeout(100);
await shot("08-returns");
await page.locator('[data-testid="return-qty"]').first().fill("1");
await tid("return-complete").click();
await tid("return-done").waitFor();
await page.keyboard.press("Enter");
await page.keyboard.press("F10");
await tid("stock-query").fill("wool");
await page.locator('[data-testid="stock-result"]').first().click({ timeout: 3000 });
await tid("stock-elsewhere").waitFor();
await page.waitForTimeout(400);
await shot("09-stock");
await page.keyboard.press("F11");
await tid("shift-summary").waitFor();
await shot("10-shift");
await tid("nav-messages").click();
await tid("messages-list").waitFor();
await shot("11-messages");
await tid("nav-shift").click();
await tid("close-counted").fill("120000");
await tid("close-shift").click();
await tid("close-confirm-yes").click();
await tid("zreport-view").waitFor();
await shot("12-zreport");
await tid("zreport-done").click();
await tid("shift-float").waitFor();
await page.keyboard.press("Control+l");
await page.waitForTimeout(200);
await shot("13-lock-warning");
await tid("warn-cancel").click().catch(() => errors.push("no lock warning with unsent sales"));
await page.evaluate(() => window.__mockEmit("quit_requested", { unsent_ops: 2 }));
await tid("quit-warning").waitFor();
const n = await tid("warn-unsent").getAttribute("data-count");
if (n !== "2") errors.push(`quit warning count ${n}`);
console.log("errors", JSON.stringify(errors));
await browser.close();
