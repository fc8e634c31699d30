// Browser end-to-end test of the HQ console, the scenario of issue 4:
// log in, create a store, issue an enrolment code, enrol a headless till
// with it, sell on the till, see the sale on the live dashboard without a
// reload, lock the till from the Tills page and see `pos-agent sell` refuse.
//
// Started by tests/tests/hq_console.rs (which runs the real hub) with:
//   HUB_URL         the hub, e.g. http://127.0.0.1:40123 (serving the console)
//   ADMIN_PASSWORD  password of `admin`
//   POS_AGENT       path of the pos-agent binary
//   WORK_DIR        an empty directory for the till and the browser profile
//   SCREENSHOT_DIR  where hq-dashboard.png and hq-inventory.png go (default WORK_DIR/screenshots;
//                   docs/screenshots belongs to `cargo xtask screenshots`)
//   CHROMIUM        browser binary (default /usr/bin/chromium; never downloaded)
//
// Drives Debian's Chromium through playwright-core, headless, with a fresh
// profile and no background networking (the machine has no network).

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";

import { launchConsoleBrowser, until } from "./browser.mjs";

const env = process.env;
const HUB = need("HUB_URL").replace(/\/$/, "");
const PASSWORD = need("ADMIN_PASSWORD");
const POS = need("POS_AGENT");
const WORK = need("WORK_DIR");
const SHOTS = resolve(env.SCREENSHOT_DIR ?? join(WORK, "screenshots"));
const BROWSER = env.CHROMIUM ?? "/usr/bin/chromium";
const STORE = "E2E1";
const SKU = "E2E-TEE-BLK-M";
const PRICE = 29000;
const TILL_DIR = join(WORK, "till");

function need(name) {
  const v = env[name];
  if (!v) {
    console.error(`console.e2e: ${name} is not set (run through tests/tests/hq_console.rs)`);
    process.exit(2);
  }
  return v;
}

function log(msg) {
  console.log(`[e2e ${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

function pos(args) {
  const r = spawnSync(POS, ["--data-dir", TILL_DIR, ...args], { encoding: "utf8", env: { ...env, RUST_LOG: "warn" }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

let step = "start";
async function run(name, fn) {
  step = name;
  log(name);
  return fn();
}

mkdirSync(WORK, { recursive: true });
mkdirSync(SHOTS, { recursive: true });
if (!existsSync(BROWSER)) {
  console.error(`console.e2e: ${BROWSER} is missing; run \`cargo xtask setup\``);
  process.exit(2);
}

const context = await launchConsoleBrowser(BROWSER, join(WORK, "chromium-profile"));
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15_000);
const consoleErrors = [];
page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));

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

  await run("switch to Korean and back (html lang follows)", async () => {
    await page.getByTestId("lang-ko").click();
    await until("<html lang=ko>", async () => (await page.getAttribute("html", "lang")) === "ko", 5000);
    await page.getByTestId("nav-stores").getByText("매장").waitFor();
    await page.getByTestId("lang-en").click();
    await until("<html lang=en>", async () => (await page.getAttribute("html", "lang")) === "en", 5000);
  });

  await run(`create store ${STORE}`, async () => {
    await page.getByTestId("nav-stores").click();
    await page.getByTestId("new-store").click();
    const form = page.getByTestId("store-form");
    await form.locator('input[name="code"]').fill(STORE);
    await form.locator('input[name="name"]').fill("E2E 강남 Gangnam");
    await form.locator('input[name="currency"]').fill("KRW");
    await page.getByTestId("store-submit").click();
    await page.getByTestId("stores").getByText(STORE, { exact: true }).waitFor();
  });

  await run(`add product ${SKU}`, async () => {
    await page.getByTestId("nav-catalog").click();
    await page.getByTestId("new-product").click();
    const form = page.getByTestId("product-form");
    await form.locator('input[name="sku"]').fill(SKU);
    await form.locator('input[name="name"]').fill("Oxford tee black M");
    await form.locator('input[name="price"]').fill(String(PRICE));
    await form.locator('input[name="category"]').fill("tops");
    await page.getByTestId("product-submit").click();
    await page.getByTestId("notice").waitFor();
  });

  await run(`receive 20 × ${SKU} at ${STORE}`, async () => {
    await page.getByTestId("nav-inventory").click();
    await page.getByTestId("open-adjust").click();
    const form = page.getByTestId("adjust-form");
    await form.locator('select[name="location"]').selectOption(STORE);
    await form.locator('input[name="sku"]').fill(SKU);
    await form.locator('input[name="delta"]').fill("20");
    await page.getByTestId("adjust-submit").click();
    await page.getByTestId("notice").waitFor();
  });

  const code = await run("issue an enrolment code in the UI", async () => {
    await page.getByTestId("nav-stores").click();
    await page.getByTestId(`enrol-${STORE}`).click();
    const text = (await page.getByTestId("enrolment-code").innerText()).trim();
    if (!/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(text)) throw new Error(`unexpected enrolment code ${JSON.stringify(text)}`);
    await page.keyboard.press("Escape");
    return text;
  });

  await run("enrol a headless till with the code, keep it running", async () => {
    const r = pos(["enrol", "--hub", HUB, "--code", code]);
    if (r.code !== 0) throw new Error(`pos-agent enrol exited ${r.code}: ${r.stdout}${r.stderr}`);
    till = spawn(POS, ["--data-dir", TILL_DIR, "run"], { stdio: ["ignore", "ignore", "pipe"], env: { ...env, RUST_LOG: "warn" } });
    till.stderr.on("data", (d) => process.stderr.write(`[pos-agent run] ${d}`));
  });

  const receipt = await run("sell on the till; the dashboard shows it live, without a reload", async () => {
    await page.getByTestId("nav-dashboard").click();
    await page.getByTestId("page-dashboard").waitFor();
    await until("the live indicator to show live", async () => (await page.getByTestId("live-indicator").getAttribute("data-state")) === "live");
    await page.evaluate(() => {
      window.__e2eSamePage = true;
    });
    const r = pos(["sell", `${SKU}:1`]);
    if (r.code !== 0) throw new Error(`pos-agent sell exited ${r.code}: ${r.stdout}${r.stderr}`);
    const number = r.stdout.trim().split(/\s+/)[0];
    await page.getByTestId("live-feed").getByText(number).waitFor({ timeout: 20_000 });
    await until("today's sales to include the sale", async () => (await page.getByTestId("kpi-today-value").innerText()).includes("29,000"), 15_000);
    const same = await page.evaluate(() => window.__e2eSamePage === true);
    if (!same) throw new Error("the page reloaded");
    return number;
  });

  await run("the hub's aggregates follow (top products), still without a reload", async () => {
    // The live event carries totals only; the debounced /dashboard refetch
    // brings the sold product into Top products.
    await page.getByTestId("top-products").getByText(SKU).waitFor({ timeout: 15_000 });
    if (!(await page.evaluate(() => window.__e2eSamePage === true))) throw new Error("the page reloaded");
  });

  await run("screenshot the dashboard", async () => {
    await page.waitForTimeout(600); // chart animation
    await page.screenshot({ path: join(SHOTS, "hq-dashboard.png"), fullPage: false });
  });

  await run("lock the till from the Tills page", async () => {
    await page.getByTestId("nav-tills").click();
    const row = page.locator("tr", { has: page.getByTestId(`till-${STORE}-1`) });
    await row.getByTestId("till-online").waitFor({ timeout: 20_000 });
    await row.getByTestId("cmd-lock").click();
    await page.getByTestId("notice").waitFor();
    await row.getByTestId("till-locked").waitFor({ timeout: 30_000 });
  });

  await run("pos-agent sell refuses on the locked till", async () => {
    const refused = await until(
      "pos-agent sell to refuse",
      async () => {
        const r = pos(["sell", `${SKU}:1`]);
        if (r.code === 0) throw new Error(`sell still succeeded: ${r.stdout.trim()}`);
        return r;
      },
      30_000,
      500,
    );
    if (refused.code !== 1 || !/locked/i.test(refused.stderr)) {
      throw new Error(`expected exit 1 with a message about the lock, got ${refused.code}: ${refused.stderr}`);
    }
    log(`refused as expected: ${refused.stderr.trim()}`);
  });

  await run("unlock from the console; the till sells again", async () => {
    const row = page.locator("tr", { has: page.getByTestId(`till-${STORE}-1`) });
    await row.getByTestId("cmd-unlock").click();
    await until(
      "pos-agent sell to work again",
      async () => {
        const r = pos(["sell", `${SKU}:1`]);
        if (r.code !== 0) throw new Error(r.stderr.trim());
        return true;
      },
      30_000,
      500,
    );
  });

  await run("screenshot the inventory", async () => {
    await page.getByTestId("nav-inventory").click();
    await page.getByTestId("matrix").getByText(SKU).waitFor();
    await page.getByTestId("kpi-chain-value").waitFor();
    await page.screenshot({ path: join(SHOTS, "hq-inventory.png"), fullPage: false });
  });

  log(`passed (sale ${receipt} seen live; lock and unlock honoured)`);
} catch (e) {
  failed = e;
  console.error(`\nconsole.e2e FAILED at step "${step}": ${e.message}`);
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
