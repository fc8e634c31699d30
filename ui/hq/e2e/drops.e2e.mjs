// Browser end-to-end test of the console's Drops page (issue 7): create a
// limited-edition drop with a manual per-store split (the running sum must
// reach the total before it is accepted), see it in the list, open its
// detail, sell one on a real headless till and watch "left / total" drop
// live without a reload, pull the till's rights back (they return to the
// hub's pool and the till refuses to sell), then end the drop.
//
// Needs the hub's drops API + `Event::Drop` (issue 7 owner B) and the till's
// limited items (owner C: `sell` of a limited SKU writes an escrow Use, and
// answers a recall). Started by tests/tests/hq_drops.rs with the same
// environment as console.e2e.mjs:
//   HUB_URL, ADMIN_PASSWORD, POS_AGENT, WORK_DIR, SCREENSHOT_DIR, CHROMIUM
//
// Drives Debian's Chromium through playwright-core, headless, with a fresh
// profile and no background networking (the machine has no network).

import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { launchConsoleBrowser, scriptTools, tillCli, until } from "./browser.mjs";

const env = process.env;
const { need, log } = scriptTools("drops.e2e", "tests/tests/hq_drops.rs");
const HUB = need("HUB_URL").replace(/\/$/, "");
const PASSWORD = need("ADMIN_PASSWORD");
const POS = need("POS_AGENT");
const WORK = need("WORK_DIR");
const SHOTS = resolve(env.SCREENSHOT_DIR ?? join(WORK, "screenshots"));
const BROWSER = env.CHROMIUM ?? "/usr/bin/chromium";
/** The store with the till; the second store has no till (its share stays in the hub's pool). */
const STORE = "DRP1";
const STORE2 = "DRP2";
const SKU = "E2E-COLLAB-JK-M";
const KEY = `sku:${SKU}`;
const TOTAL = 5;
const AT_STORE = 3;
const AT_STORE2 = 2;
const TILL_DIR = join(WORK, "till");
const pos = tillCli(POS, TILL_DIR);

let step = "start";
async function run(name, fn) {
  step = name;
  log(name);
  return fn();
}

mkdirSync(WORK, { recursive: true });
mkdirSync(SHOTS, { recursive: true });
if (!existsSync(BROWSER)) {
  console.error(`drops.e2e: ${BROWSER} is missing; run \`cargo xtask setup\``);
  process.exit(2);
}

const context = await launchConsoleBrowser(BROWSER, join(WORK, "chromium-profile"));
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15_000);
const consoleErrors = [];
page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));

/** A `data-*` attribute of the first element with this test id. */
const attr = (testid, name) => page.getByTestId(testid).first().getAttribute(name);
/** The per-store row of the open drop. */
const storeRow = (store) => page.getByTestId("drop-stores").locator("tr", { has: page.getByTestId(`drop-store-${store}`) });

let till = null;
let failed = null;
try {
  await run("log in", async () => {
    await page.goto(HUB);
    await page.getByTestId("login-form").waitFor();
    await page.fill('input[name="username"]', "admin");
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("nav-dashboard").waitFor();
  });

  for (const [code, name] of [
    [STORE, "Drop Seongsu"],
    [STORE2, "Drop Hannam"],
  ]) {
    await run(`create store ${code}`, async () => {
      await page.getByTestId("nav-stores").click();
      await page.getByTestId("new-store").click();
      const form = page.getByTestId("store-form");
      await form.locator('input[name="code"]').fill(code);
      await form.locator('input[name="name"]').fill(name);
      await form.locator('input[name="currency"]').fill("KRW");
      await page.getByTestId("store-submit").click();
      await page.getByTestId("stores").getByText(code, { exact: true }).waitFor();
    });
  }

  await run(`add product ${SKU} and receive 10 at ${STORE}`, async () => {
    await page.getByTestId("nav-catalog").click();
    await page.getByTestId("new-product").click();
    const form = page.getByTestId("product-form");
    await form.locator('input[name="sku"]').fill(SKU);
    await form.locator('input[name="name"]').fill("Collab jacket M");
    await form.locator('input[name="price"]').fill("390000");
    await form.locator('input[name="category"]').fill("outerwear");
    await page.getByTestId("product-submit").click();
    await page.getByTestId("notice").waitFor();
    await page.getByTestId("nav-inventory").click();
    await page.getByTestId("open-adjust").click();
    const adj = page.getByTestId("adjust-form");
    await adj.locator('select[name="location"]').selectOption(STORE);
    await adj.locator('input[name="sku"]').fill(SKU);
    await adj.locator('input[name="delta"]').fill("10");
    await page.getByTestId("adjust-submit").click();
    await page.getByTestId("notice").waitFor();
  });

  await run(`enrol a headless till at ${STORE} and keep it running`, async () => {
    await page.getByTestId("nav-stores").click();
    await page.getByTestId(`enrol-${STORE}`).click();
    const code = (await page.getByTestId("enrolment-code").innerText()).trim();
    await page.keyboard.press("Escape");
    const r = pos(["enrol", "--hub", HUB, "--code", code]);
    if (r.code !== 0) throw new Error(`pos-agent enrol exited ${r.code}: ${r.stdout}${r.stderr}`);
    till = spawn(POS, ["--data-dir", TILL_DIR, "run"], { stdio: ["ignore", "ignore", "pipe"], env: { ...env, RUST_LOG: "warn" } });
    till.stderr.on("data", (d) => process.stderr.write(`[pos-agent run] ${d}`));
  });

  await run("the Drops page is in the navigation, empty", async () => {
    await page.getByTestId("nav-drops").click();
    await page.getByTestId("page-drops").waitFor();
    await until("the live indicator to show live", async () => (await page.getByTestId("live-indicator").getAttribute("data-state")) === "live");
  });

  await run(`create a drop of ${TOTAL} × ${SKU}, manual ${STORE}=${AT_STORE} ${STORE2}=${AT_STORE2}`, async () => {
    await page.getByTestId("new-drop").click();
    const form = page.getByTestId("drop-form");
    await page.getByTestId("drop-kind-sku").check();
    await form.locator('input[name="label"]').fill("Collab jacket drop");
    await form.locator('input[name="sku"]').fill(SKU);
    await form.locator('input[name="total"]').fill(String(TOTAL));
    await form.locator('select[name="rule"]').selectOption("manual");
    await page.getByTestId(`drop-store-pick-${STORE}`).check();
    await page.getByTestId(`drop-store-pick-${STORE2}`).check();
    await page.getByTestId(`drop-manual-${STORE}`).fill(String(AT_STORE));
    // The running sum: 3 of 5 is not enough, and the form refuses it.
    await until("the sum to show 3 / 5, not ok", async () => (await attr("drop-manual-sum", "data-sum")) === String(AT_STORE) && (await attr("drop-manual-sum", "data-ok")) === "false");
    await page.getByTestId("drop-submit").click();
    await page.getByTestId("drop-error-manual").waitFor();
    await page.getByTestId(`drop-manual-${STORE2}`).fill(String(AT_STORE2));
    await until("the sum to equal the total", async () => (await attr("drop-manual-sum", "data-ok")) === "true");
    await form.locator('input[name="hold_minutes"]').fill("15");
    await page.getByTestId("drop-submit").click();
    await page.getByTestId("drop-form").waitFor({ state: "detached" });
    await page.getByTestId("notice").waitFor();
  });

  await run("the drop is in the list with 5 / 5 left", async () => {
    const cell = page.getByTestId("drops").locator("tr", { has: page.getByTestId(`drop-${KEY}`) }).getByTestId("drop-row-left");
    await until("the list row to say 5 / 5", async () => (await cell.getAttribute("data-left")) === String(TOTAL) && (await cell.getAttribute("data-total")) === String(TOTAL));
  });

  await run("open the detail: 5 / 5, the till store holds 3, the store without a till keeps 2 in the pool", async () => {
    await page.getByTestId(`drop-${KEY}`).click();
    await page.getByTestId("drop-detail").waitFor();
    await until("left 5 of 5", async () => (await attr("drop-left", "data-left")) === String(TOTAL) && (await attr("drop-left", "data-total")) === String(TOTAL));
    await until(`${STORE} to hold ${AT_STORE}`, async () => (await storeRow(STORE).getByTestId("drop-store-rights").getAttribute("data-value")) === String(AT_STORE));
    await until(`the pool to be ${AT_STORE2}`, async () => (await page.getByTestId("drop-pool-value").innerText()).trim() === String(AT_STORE2));
    await page.screenshot({ path: join(SHOTS, "hq-drop-detail.png"), fullPage: false });
  });

  const receipt = await run("sell one on the till; the detail shows 4 / 5 live, without a reload", async () => {
    await page.evaluate(() => {
      window.__e2eSamePage = true;
    });
    // The till sells once its share has arrived (before that it refuses: used up here).
    const sold = await until(
      "pos-agent sell of the limited SKU to succeed",
      async () => {
        const r = pos(["sell", `${SKU}:1`]);
        if (r.code !== 0) throw new Error((r.stderr || r.stdout).trim());
        return r;
      },
      30_000,
      500,
    );
    const number = sold.stdout.trim().split(/\s+/)[0];
    await until("left to become 4", async () => (await attr("drop-left", "data-left")) === String(TOTAL - 1), 30_000);
    await until("the sold count to become 1", async () => (await page.getByTestId("drop-sold-value").innerText()).trim() === "1", 15_000);
    await until(`${STORE}'s row to show 1 sold`, async () => (await storeRow(STORE).getByTestId("drop-store-sold").getAttribute("data-value")) === "1", 15_000);
    const listCell = page.getByTestId("drops").locator("tr", { has: page.getByTestId(`drop-${KEY}`) }).getByTestId("drop-row-left");
    if ((await listCell.getAttribute("data-left")) !== String(TOTAL - 1)) throw new Error("the list row did not follow the live count");
    if (!(await page.evaluate(() => window.__e2eSamePage === true))) throw new Error("the page reloaded");
    return number;
  });

  await run("pull back: confirm, the till gives its unused 2 back, the pool grows to 4", async () => {
    await page.getByTestId("drop-pull-back").click();
    await page.getByTestId("drop-confirm").waitFor();
    await page.getByTestId("drop-confirm-yes").click();
    await page.getByTestId("drop-confirm").waitFor({ state: "detached" });
    await until(`${STORE}'s rights to go to 0`, async () => (await storeRow(STORE).getByTestId("drop-store-rights").getAttribute("data-value")) === "0", 30_000);
    await until("the pool to be 4", async () => (await page.getByTestId("drop-pool-value").innerText()).trim() === String(TOTAL - 1), 15_000);
    if ((await attr("drop-left", "data-left")) !== String(TOTAL - 1)) throw new Error("pulling back must not change what is left");
  });

  await run("the till refuses to sell the limited SKU now (its rights went back)", async () => {
    const r = pos(["sell", `${SKU}:1`]);
    if (r.code === 0) throw new Error(`sell succeeded after the pull back: ${r.stdout.trim()}`);
    if (!/limited item/i.test(r.stderr)) throw new Error(`expected the limited-item refusal, got ${r.code}: ${r.stderr}`);
    log(`refused as expected: ${r.stderr.trim()}`);
  });

  await run("end the drop: confirm, it shows as ended", async () => {
    await page.getByTestId("drop-end").click();
    await page.getByTestId("drop-confirm-yes").click();
    await until("the phase badge to say ended", async () => /ended/i.test(await page.getByTestId("drop-detail").getByTestId("drop-phase").innerText()), 15_000);
    if (await page.getByTestId("drop-pull-back").count()) throw new Error("an ended drop still offers Pull back");
    await page.screenshot({ path: join(SHOTS, "hq-drop-ended.png"), fullPage: false });
  });

  log(`passed (sale ${receipt} seen live; pull back and end honoured)`);
} catch (e) {
  failed = e;
  console.error(`\ndrops.e2e FAILED at step "${step}": ${e.message}`);
  try {
    const shot = join(WORK, "failure.png");
    await page.screenshot({ path: shot, fullPage: true });
    console.error(`  page: ${page.url()}  screenshot: ${shot}`);
    const banner = await page.getByTestId("error").first().innerText({ timeout: 500 }).catch(() => null);
    if (banner) console.error(`  the page shows the error: ${banner.replace(/\s+/g, " ")}`);
  } catch {
    // the page itself is gone
  }
  if (consoleErrors.length) console.error(`  browser console errors:\n    ${consoleErrors.slice(-10).join("\n    ")}`);
} finally {
  if (till && till.exitCode === null) till.kill("SIGTERM");
  await context.close().catch(() => undefined);
}
process.exit(failed ? 1 : 0);
