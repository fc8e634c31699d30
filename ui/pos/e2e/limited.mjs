// Dev check of issue 7's till screens against the dev-only mock (vite dev
// server, no Tauri): a limited line's badge, Pay blocked when over, a hold,
// the Holds list, "sell held", a coupon on the pay step (needs a member,
// then applied), and the clock-guard banner. Writes screenshots to shots/.
// Usage: npx vite --port 5174 & node e2e/limited.mjs [http://127.0.0.1:5174/]
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
const expectAttr = async (loc, name, want) => {
  await page.waitForFunction(
    ([sel, n, w]) => document.querySelector(sel)?.getAttribute(n) === w,
    [loc, name, want],
  );
};

await page.goto(url + "?clock=fast");
await page.evaluate((l) => localStorage.setItem("storelink.pos.lang", l), lang);
await page.reload();
await tid("pin-input").fill("9999");
await tid("pin-submit").click();
await tid("shift-float").fill("100000");
await tid("shift-open").click();
await tid("scan-input").waitFor();
await tid("clock-guard").waitFor();

// 6 of the limited jacket: only 5 at this till → over, Pay blocked.
await tid("scan-input").type("6*8809999000002");
await page.keyboard.press("Enter");
await expectAttr('[data-testid="line-limited"]', "data-state", "over");
await tid("limited-blocked").waitFor();
if (!(await tid("pay-button").isDisabled())) throw new Error("Pay should be disabled while over");
await shot("l1-limited-over");

// Down to 2 → ok, "5 left at this till".
for (let i = 0; i < 4; i++) await tid("qty-dec").click();
await expectAttr('[data-testid="line-limited"]', "data-state", "ok");
await expectAttr('[data-testid="line-limited"]', "data-available", "5");

// Hold 2 for a customer: the line leaves the cart.
await tid("hold-button").click();
await tid("hold-dialog").waitFor();
await tid("hold-qty").fill("9");
await tid("hold-invalid").waitFor();
await tid("hold-qty").fill("2");
await tid("hold-note").fill("Ms Kim 010-1234-5678");
await shot("l2-hold-dialog");
await tid("hold-submit").click();
await tid("hold-dialog").waitFor({ state: "detached" });
await page.waitForFunction(() => document.querySelectorAll('[data-testid="cart-line"]').length === 0);

// The Holds list shows it; sell held puts 2 into the cart with the hold.
await tid("holds-button").click();
await tid("hold-row").waitFor();
await expectAttr('[data-testid="hold-row"]', "data-status", "held");
await expectAttr('[data-testid="limited-item"]', "data-available", "3");
await shot("l3-holds");
await tid("hold-sell").click();
await tid("line-held").waitFor();
await expectAttr('[data-testid="cart-line"]', "data-qty", "2");
await expectAttr('[data-testid="line-limited"]', "data-available", "5");

// Coupon: needs a member first, then 10 % off.
await page.keyboard.press("F8");
await tid("pay-dialog").waitFor();
await tid("coupon-code").fill("welcome10");
await tid("coupon-apply").click();
await expectAttr('[data-testid="coupon"]', "data-state", "needs_member");
if (!(await tid("complete-sale").isDisabled())) throw new Error("Complete should be disabled with a refused coupon");
await shot("l4-coupon-needs-member");
await tid("coupon-remove").click();
await tid("dialog-close").click();
await tid("pay-dialog").waitFor({ state: "detached" });
await tid("member-button").click();
await tid("member-phone").fill("01012345678");
await tid("member-find").click();
await tid("member-attach").click();
await page.keyboard.press("F8");
await tid("coupon-code").fill("WELCOME10");
await tid("coupon-apply").click();
await expectAttr('[data-testid="coupon"]', "data-state", "applied");
await expectAttr('[data-testid="coupon-applied"]', "data-amount", "78000");
await expectAttr('[data-testid="pay-due"]', "data-amount", "702000");
await shot("l5-coupon-applied");
await tid("tender-card").click();
await tid("complete-sale").click();
await tid("sale-done").waitFor();
await tid("new-sale").click();

// The hold is sold now.
await tid("holds-button").click();
await expectAttr('[data-testid="hold-row"]', "data-status", "sold");
await page.keyboard.press("Escape");

// Same member, same coupon again → refused by the quote.
await tid("scan-input").type("8809999000002");
await page.keyboard.press("Enter");
await tid("member-button").click();
await tid("member-phone").fill("01012345678");
await tid("member-find").click();
await tid("member-attach").click();
await page.keyboard.press("F8");
await tid("coupon-code").fill("WELCOME10");
await tid("coupon-apply").click();
await expectAttr('[data-testid="coupon"]', "data-state", "refused");
await shot("l6-coupon-refused");

await browser.close();
if (errors.length) {
  console.error("page errors:\n" + errors.join("\n"));
  process.exit(1);
}
console.log("limited dev check passed; screenshots in shots/l*.png");
