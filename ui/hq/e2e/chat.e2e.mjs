// Browser end-to-end test of the console's chat and notices (issue 6):
// HQ sends an announcement that must be acknowledged to two stores; one store
// acknowledges it from a headless till (`pos-agent chat ack`) and the Notices
// page shows "1 / 2 acknowledged" without a reload; a message written at a
// till appears live in the store's channel (unread badge first); HQ's
// answer typed in the console, and a photo it attaches, reach the till; a
// request raised at a till appears live in the Requests inbox, HQ moves it
// forward and the till sees the new status; a store manager sees only their
// store's channels and requests.
//
// Started by tests/tests/hq_chat.rs (which runs the real hub) with:
//   HUB_URL         the hub, e.g. http://127.0.0.1:40123 (serving the console)
//   ADMIN_PASSWORD  password of `admin`
//   POS_AGENT       path of the pos-agent binary
//   WORK_DIR        an empty directory for the tills and the browser profile
//   SCREENSHOT_DIR  where hq-chat.png and hq-notices.png go (default WORK_DIR/screenshots)
//   CHROMIUM        browser binary (default /usr/bin/chromium; never downloaded)
//
// The stores, their cashiers and the tills are set up over REST (the console
// e2e covers doing that in the UI); everything about chat goes through the
// browser and the tills.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { launchConsoleBrowser, until } from "./browser.mjs";

const env = process.env;
const HUB = need("HUB_URL").replace(/\/$/, "");
const PASSWORD = need("ADMIN_PASSWORD");
const POS = need("POS_AGENT");
const WORK = need("WORK_DIR");
const SHOTS = resolve(env.SCREENSHOT_DIR ?? join(WORK, "screenshots"));
const BROWSER = env.CHROMIUM ?? "/usr/bin/chromium";
const STORES = [
  { code: "CH01", name: "채팅 1호점 Chat One", pin: "4101" },
  { code: "CH02", name: "채팅 2호점 Chat Two", pin: "4202" },
];
const TITLE = "Winter window display from Monday";
const TILL_TEXT = "The delivery for CH02 came with two boxes crushed";
const HQ_TEXT = "Thanks, a replacement goes out tomorrow";
/** A PDF notice as far as the hub's sniffing goes (it starts with `%PDF-`). */
const PDF = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
const MANAGER_PASSWORD = "manager-e2e-password";
const TICKET_TEXT = "Fitting room light is out";
/** A 1×1 PNG: the hub sniffs the bytes, so the photo must really be one. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

function need(name) {
  const v = env[name];
  if (!v) {
    console.error(`chat.e2e: ${name} is not set (run through tests/tests/hq_chat.rs)`);
    process.exit(2);
  }
  return v;
}

function log(msg) {
  console.log(`[chat.e2e ${new Date().toISOString().slice(11, 23)}] ${msg}`);
}

/** UUIDs compare without hyphens or case (`simple` and hyphenated forms are the same id). */
const sameId = (a, b) => typeof a === "string" && typeof b === "string" && a.replace(/-/g, "").toLowerCase() === b.replace(/-/g, "").toLowerCase();

const tillDir = (store) => join(WORK, `till-${store}`);

function pos(store, args) {
  const r = spawnSync(POS, ["--data-dir", tillDir(store), ...args], { encoding: "utf8", env: { ...env, RUST_LOG: "warn" }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function posOk(store, args) {
  const r = pos(store, args);
  if (r.code !== 0) throw new Error(`pos-agent ${args.join(" ")} (${store}) exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

let step = "start";
async function run(name, fn) {
  step = name;
  log(name);
  return fn();
}

let token = null;
async function rest(method, path, body) {
  const r = await fetch(`${HUB}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

mkdirSync(WORK, { recursive: true });
mkdirSync(SHOTS, { recursive: true });
if (!existsSync(BROWSER)) {
  console.error(`chat.e2e: ${BROWSER} is missing; run \`cargo xtask setup\``);
  process.exit(2);
}

const daemons = [];
let context = null;
let page = null;
let failed = null;
const consoleErrors = [];
try {
  await run("set up two stores with a cashier and an enrolled, running till each (REST + pos-agent)", async () => {
    const login = await fetch(`${HUB}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    if (!login.ok) throw new Error(`login: ${login.status} ${await login.text()}`);
    token = (await login.json()).token;
    for (const s of STORES) {
      await rest("POST", "/stores", { code: s.code, name: s.name, kind: "store", currency: "KRW", region: "E2E" });
      await rest("POST", "/users", { username: `${s.code.toLowerCase()}.cashier`, display_name: `${s.code} 캐셔`, role: "cashier", store: s.code, pin: s.pin });
      await rest("POST", "/users", { username: `${s.code.toLowerCase()}.manager`, display_name: `${s.code} 점장`, role: "store_manager", store: s.code, password: MANAGER_PASSWORD });
      const { code } = await rest("POST", `/stores/${s.code}/enrolment-codes`, {});
      posOk(s.code, ["enrol", "--hub", HUB, "--code", code]);
      const d = spawn(POS, ["--data-dir", tillDir(s.code), "run"], { stdio: ["ignore", "ignore", "pipe"], env: { ...env, RUST_LOG: "warn" } });
      d.stderr.on("data", (b) => process.stderr.write(`[pos-agent run ${s.code}] ${b}`));
      daemons.push(d);
    }
  });

  context = await launchConsoleBrowser(BROWSER, join(WORK, "chromium-profile"));
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));

  await run("log in to the console", async () => {
    await page.goto(HUB);
    await page.evaluate(() => localStorage.setItem("storelink.hq.lang", "en"));
    await page.goto(HUB);
    await page.getByTestId("login-form").waitFor();
    await page.fill('input[name="username"]', "admin");
    await page.fill('input[name="password"]', PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("nav-notices").waitFor();
    consoleErrors.length = 0; // the 401 of /auth/me before login is expected
  });

  await run("a bad audience is refused before sending (no store chosen)", async () => {
    await page.getByTestId("nav-notices").click();
    await page.getByTestId("new-announcement").click();
    const form = page.getByTestId("announcement-form");
    await form.locator('input[name="title"]').fill(TITLE);
    await form.locator('textarea[name="text"]').fill("Please set up the new window display before opening on Monday.");
    await form.locator('input[name="audience"][value="stores"]').check();
    await page.getByTestId("announcement-submit").click();
    await page.getByTestId("announcement-problem").getByText("Choose at least one store").waitFor();
  });

  const announcement = await run("send an announcement with a PDF, requiring acknowledgement, to CH01 and CH02", async () => {
    const form = page.getByTestId("announcement-form");
    await form.locator('input[name="requires_ack"]').check();
    await form.locator('input[name="attachments"]').setInputFiles({ name: "window.pdf", mimeType: "application/pdf", buffer: PDF });
    await form.getByText("window.pdf").waitFor();
    for (const s of STORES) await page.getByTestId(`audience-${s.code}`).check();
    await page.getByTestId("audience-reach").getByText("Reaches 2 stores: CH01, CH02").waitFor();
    await page.getByTestId("announcement-submit").click();
    await page.getByTestId("notice").getByText("was sent to 2 stores").waitFor();
    const row = page.locator("tr", { has: page.getByText(TITLE, { exact: true }) });
    const progress = row.getByTestId("ack-progress");
    await until("0 / 2 acknowledged", async () => (await progress.getAttribute("data-part")) === "0" && (await progress.getAttribute("data-whole")) === "2");
    const id = (await row.locator('[data-testid^="announcement-"]').getAttribute("data-testid")).replace("announcement-", "");
    if (!/^[0-9a-f-]{32,36}$/.test(id)) throw new Error(`unexpected announcement id ${id}`);
    await page.getByTestId("announcement-detail").getByTestId("ack-row-CH02").waitFor();
    return id;
  });

  await run("CH01 acknowledges at its till; the console shows 1 / 2 without a reload", async () => {
    await page.evaluate(() => {
      window.__e2eSamePage = true;
    });
    await until(
      "the announcement and its PDF to reach CH01's till",
      async () =>
        JSON.parse(posOk("CH01", ["chat", "list", "--notices", "--json"])).some(
          (m) => sameId(m.announcement, announcement) && m.attachments.some((a) => a.name === "window.pdf"),
        ),
      30_000,
      500,
    );
    await until("pos-agent chat ack to succeed (the PIN reached the till)", async () => pos("CH01", ["chat", "ack", announcement, "--pin", "4101"]).code === 0, 30_000, 500);
    const row = page.locator("tr", { has: page.getByText(TITLE, { exact: true }) });
    await row.getByText("1 / 2 acknowledged").waitFor({ timeout: 20_000 });
    const progress = row.getByTestId("ack-progress");
    if ((await progress.getAttribute("data-part")) !== "1") throw new Error("ack progress is not 1");
    const detail = page.getByTestId("announcement-detail");
    await detail.locator("tr", { has: page.getByTestId("ack-row-CH01") }).getByTestId("acked").waitFor();
    await detail.locator("tr", { has: page.getByTestId("ack-row-CH02") }).getByTestId("not-acked").waitFor();
    await detail.getByTestId("remind").waitFor();
    if (!(await page.evaluate(() => window.__e2eSamePage === true))) throw new Error("the page reloaded");
  });

  await run("screenshot the notices", async () => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, "hq-notices.png"), fullPage: false });
  });

  await run("remind the store that has not acknowledged", async () => {
    await page.getByTestId("announcement-detail").getByTestId("remind").click();
    await page.getByTestId("notice").getByText("Tills reminded (stores that have not acknowledged): 1").waitFor();
  });

  await run("a till's message appears live in the store's channel, counted unread until opened", async () => {
    await page.getByTestId("nav-chat").click();
    await page.getByTestId("channel-store:CH01").click();
    await until("CH01's conversation", async () => (await page.getByTestId("conversation").getAttribute("data-channel")) === "store:CH01");
    await until("the live indicator to show live", async () => (await page.getByTestId("live-indicator").getAttribute("data-state")) === "live");
    await page.evaluate(() => {
      window.__e2eSamePage = true;
    });
    posOk("CH02", ["chat", "send", TILL_TEXT, "--pin", "4202"]);
    const channel = page.getByTestId("channel-store:CH02");
    await channel.getByTestId("channel-unread").waitFor({ timeout: 20_000 });
    await page.getByTestId("nav-unread").waitFor();
    await channel.click();
    await page.getByTestId("thread").getByText(TILL_TEXT).waitFor();
    await until("the unread badge to clear once read", async () => (await channel.getByTestId("channel-unread").count()) === 0);
    if (!(await page.evaluate(() => window.__e2eSamePage === true))) throw new Error("the page reloaded");
  });

  await run("HQ answers in the console (Enter sends); the till receives it", async () => {
    const box = page.getByTestId("composer").locator('textarea[name="message"]');
    await box.fill(HQ_TEXT);
    await box.press("Enter");
    await page.getByTestId("thread").getByText(HQ_TEXT).waitFor();
    if ((await box.inputValue()) !== "") throw new Error("the composer was not cleared");
    await until(
      "HQ's answer at CH02's till, after the till's message",
      async () => {
        const list = JSON.parse(posOk("CH02", ["chat", "list", "--json"])).map((m) => m.text);
        const a = list.indexOf(TILL_TEXT);
        const b = list.indexOf(HQ_TEXT);
        return a >= 0 && b > a;
      },
      30_000,
      500,
    );
    // The console's order is the till's order.
    const shown = await page.getByTestId("thread").getByTestId("message-text").allInnerTexts();
    if (shown.indexOf(TILL_TEXT) < 0 || shown.indexOf(TILL_TEXT) > shown.indexOf(HQ_TEXT)) throw new Error(`console order ${JSON.stringify(shown)}`);
  });

  await run("HQ sends a photo; it is uploaded, shown as a thumbnail and reaches the till", async () => {
    await page.getByTestId("composer-file").setInputFiles({ name: "shelf.png", mimeType: "image/png", buffer: PNG });
    await page.getByTestId("composer").locator('textarea[name="message"]').fill("The new shelf layout");
    await page.getByTestId("composer-send").click();
    const img = page.getByTestId("thread").getByTestId("attachment-photo").first();
    await img.waitFor();
    await until("the thumbnail to load from the hub", async () => img.evaluate((el) => el.complete && el.naturalWidth === 1));
    await until(
      "the photo's reference at CH02's till",
      async () => JSON.parse(posOk("CH02", ["chat", "list", "--json"])).some((m) => m.attachments.some((a) => a.name === "shelf.png")),
      30_000,
      500,
    );
  });

  await run("a request raised at a till shows live in the Requests inbox; HQ moves it and the till sees it", async () => {
    await page.getByTestId("nav-tickets").click();
    await page.getByTestId("page-tickets").waitFor();
    await page.evaluate(() => {
      window.__e2eSamePage = true;
    });
    const sent = JSON.parse(posOk("CH01", ["chat", "send", TICKET_TEXT, "--ticket", "facilities", "--pin", "4101", "--json"]));
    const row = page.getByTestId("tickets").locator("tr", { has: page.getByText(TICKET_TEXT) });
    await row.waitFor({ timeout: 20_000 });
    await row.getByTestId("ticket-in_progress").click();
    await until("the inbox of open requests to drop it", async () => (await row.count()) === 0);
    await until(
      "the till to see it in progress",
      async () => JSON.parse(posOk("CH01", ["chat", "tickets", "--json"])).some((x) => sameId(x.id, sent.id) && x.status === "in_progress"),
      30_000,
      500,
    );
    await page.locator('select[name="status"]').selectOption("in_progress");
    const moved = page.getByTestId("tickets").locator("tr", { has: page.getByText(TICKET_TEXT) });
    await moved.getByTestId("ticket-status").getByText("In progress").waitFor();
    // Going back is not offered; resolving is.
    if ((await moved.getByTestId("ticket-open").count()) !== 0) throw new Error("a button moves the request back to open");
    await moved.getByTestId("ticket-resolved").waitFor();
    if (!(await page.evaluate(() => window.__e2eSamePage === true))) throw new Error("the page reloaded");
    await page.getByTestId("nav-chat").click();
    await page.getByTestId("channel-store:CH02").click();
  });

  await run("a file whose bytes are not what it says is refused by the hub, and its message is shown", async () => {
    const before = consoleErrors.length;
    const composer = page.getByTestId("composer");
    await page.getByTestId("composer-file").setInputFiles({ name: "fake.png", mimeType: "image/png", buffer: Buffer.from("not a picture at all") });
    await composer.locator('textarea[name="message"]').fill("Photo of the shelf");
    await page.getByTestId("composer-send").click();
    const banner = composer.getByTestId("error");
    await banner.getByText("the file is not a image/png: its bytes say otherwise").waitFor();
    await banner.getByText("content_mismatch").waitFor();
    // The draft stays for another try; nothing was sent.
    if ((await composer.locator('textarea[name="message"]').inputValue()) !== "Photo of the shelf") throw new Error("the draft was lost");
    if ((await page.getByTestId("thread").getByText("Photo of the shelf").count()) !== 0) throw new Error("the message was sent without its file");
    await composer.getByRole("button", { name: "Remove fake.png" }).click();
    await composer.locator('textarea[name="message"]').fill("");
    await banner.getByRole("button", { name: "close" }).click();
    // The browser logs the refused request (415) as an error; that one is expected.
    consoleErrors.splice(before, consoleErrors.length - before, ...consoleErrors.slice(before).filter((m) => !m.includes("415")));
  });

  await run("a forbidden file is refused before upload with a clear message", async () => {
    await page.getByTestId("composer-file").setInputFiles({ name: "setup.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ") });
    await page.getByTestId("composer-problem").getByText("only photos (JPEG, PNG, WebP) and PDF files").waitFor();
  });

  await run("screenshot the chat", async () => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, "hq-chat.png"), fullPage: false });
  });

  await run("CH02's store manager sees only CH02's channels and requests, in Korean", async () => {
    await page.getByTestId("logout").click();
    await page.getByTestId("login-form").waitFor();
    await page.fill('input[name="username"]', "ch02.manager");
    await page.fill('input[name="password"]', MANAGER_PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("nav-chat").waitFor();
    if ((await page.getByTestId("nav-notices").count()) !== 0) throw new Error("a store manager has the Notices page");
    await page.getByTestId("lang-ko").click();
    await page.getByTestId("nav-chat").getByText("채팅").waitFor();
    await page.getByTestId("nav-chat").click();
    const list = page.getByTestId("channel-list");
    await list.getByTestId("channel-store:CH02").waitFor();
    const shown = await list.locator('[data-testid^="channel-"][data-testid*=":"]').evaluateAll((els) => els.map((e) => e.getAttribute("data-testid")));
    if (JSON.stringify(shown.sort()) !== JSON.stringify(["channel-notices:CH02", "channel-store:CH02"])) throw new Error(`channels shown: ${shown}`);
    await page.getByTestId("thread").getByText(TILL_TEXT).waitFor();
    await page.getByTestId("nav-tickets").click();
    await page.getByTestId("page-tickets").waitFor();
    await page.locator('select[name="status"]').selectOption("all");
    await page.getByTestId("tickets").getByText("요청이 없습니다.").waitFor();
    await page.getByTestId("lang-en").click();
  });

  if (consoleErrors.length) throw new Error(`the browser console reported:\n  ${consoleErrors.join("\n  ")}`);
} catch (e) {
  failed = e;
  if (page) await page.screenshot({ path: join(WORK, "failure.png"), fullPage: true }).catch(() => undefined);
} finally {
  for (const d of daemons) d.kill("SIGTERM");
  if (context) await context.close().catch(() => undefined);
}

if (failed) {
  console.error(`\nchat.e2e FAILED at step "${step}": ${failed.message}`);
  process.exit(1);
}
log("all steps passed");
