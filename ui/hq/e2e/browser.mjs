// How the console's browser scripts start Debian's Chromium: headless, with
// the flags this machine's closed network needs (no background networking,
// no component updates or sync), a fresh profile, and the console's desktop
// size in Seoul time. Shared by console.e2e.mjs and screenshots.mjs.
import { chromium } from "playwright-core";
import { spawnSync } from "node:child_process";

/** Chromium flags for a headless run that never reaches for the network. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launch `executablePath` with a persistent profile in `profileDir`. */
export function launchConsoleBrowser(executablePath, profileDir) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    locale: "en-US",
    timezoneId: "Asia/Seoul",
  });
}

/** Poll `fn` until it returns something truthy (its errors are kept for the message). */
export async function until(what, fn, timeoutMs = 20_000, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

/**
 * What every e2e script of a Rust test needs: `need(name)` reads an environment variable the
 * test sets (exits 2 naming the test when it is missing) and `log(msg)` prints a timed line.
 */
export function scriptTools(script, rustTest) {
  return {
    need(name) {
      const v = process.env[name];
      if (!v) {
        console.error(`${script}: ${name} is not set (run through ${rustTest})`);
        process.exit(2);
      }
      return v;
    },
    log(msg) {
      console.log(`[${script} ${new Date().toISOString().slice(11, 23)}] ${msg}`);
    },
  };
}

/** `pos-agent --data-dir <tillDir> …args` run to the end: `{ code, stdout, stderr }`. */
export function tillCli(posAgent, tillDir) {
  return (args) => {
    const r = spawnSync(posAgent, ["--data-dir", tillDir, ...args], {
      encoding: "utf8",
      env: { ...process.env, RUST_LOG: "warn" },
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  };
}
