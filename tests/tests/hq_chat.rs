//! Browser end to end of the console's chat and notices (issue 6): the real hub serves the
//! built console; `ui/hq/e2e/chat.e2e.mjs` drives Debian's Chromium with playwright-core and
//! two headless tills (`pos-agent run`) of two stores:
//! - HQ sends an announcement with a PDF that must be acknowledged to both stores from the
//!   Notices page (after the audience picker refused an empty list); one store acknowledges it at
//!   its till (`pos-agent chat ack`) and the page shows "1 / 2 acknowledged" without a
//!   reload, the store list shows who has and who has not, and Remind reaches the other;
//! - a message written at a till (`pos-agent chat send`) appears live in the store's
//!   channel with an unread badge that clears when it is opened, HQ's answer typed in the
//!   console (Enter sends) reaches the till after it, in the same order on both sides;
//! - a photo attached in the console is uploaded (the hub sniffs it), shown as a thumbnail
//!   and referenced at the till;
//! - a request raised at a till (`chat send --ticket`) appears live in the Requests inbox;
//!   HQ moves it to in progress (no button goes back) and the till sees the new status;
//! - a "photo" whose bytes are not one is refused by the hub (415) and the composer shows
//!   the hub's message and code, keeping the draft; a forbidden file type is refused in the
//!   composer before any upload;
//! - the other store's manager sees only their store's two channels and none of the other
//!   store's requests, with the console in Korean.
//!
//! Its screenshots (`hq-notices.png`, `hq-chat.png`) go to `target/tmp/hq_chat/work/
//! screenshots/`; the ones in `docs/screenshots/` are made by `cargo xtask screenshots`.
//! Needs `/usr/bin/chromium` and `ui/hq/node_modules` + `ui/hq/dist`:
//! `cargo xtask setup && cargo xtask ui` (both part of `cargo xtask test`).

use std::path::Path;
use std::time::Duration;

use storelink_tests::browser_e2e::run_console_script;

/// The scenario normally takes 20-40 s (two enrolments, syncs of the tills).
const E2E_TIMEOUT: Duration = Duration::from_secs(240);

#[test]
fn announcement_acknowledged_by_one_of_two_stores_and_live_store_chat() -> anyhow::Result<()> {
    run_console_script(
        "e2e/chat.e2e.mjs",
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("hq_chat"),
        E2E_TIMEOUT,
    )
}
