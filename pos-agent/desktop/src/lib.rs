//! # storelink-pos — the Storelink till desktop app (Tauri 2)
//!
//! A thin shell over the `pos-agent` core (DESIGN §1): the screens
//! (`ui/pos`, embedded from `ui/pos/dist`) call the [`commands`], which check
//! the session and call [`pos_agent::Till`]; nothing in here prices, stores or
//! syncs anything by itself.
//!
//! - [`run_app`] builds the app around any Tauri runtime, so the same wiring
//!   runs for real (`main.rs`, Wry) and under `tauri::test::mock_builder()`
//!   in the tests.
//! - [`state`]: the till handle, the unlocked [`state::Session`], the sync loop.
//! - [`link`]: the sync loop task and the `link` event.
//! - [`chat`]: the chat screen's commands (store chat, notices, requests).
//! - [`logistics`]: request stock, orders, deliveries with the ETA, receiving.
//! - [`error`]: [`UiError`] `{ code, message }` for every refusal.
//!
//! Closing the window while sales are unsent does not close it: the screens
//! get the event [`QUIT_REQUESTED_EVENT`] and ask the cashier, then call
//! `quit(force)`.

pub mod chat;
pub mod commands;
pub mod error;
pub mod link;
pub mod logistics;
pub mod state;

use std::path::PathBuf;

use tauri::{App, Builder, Context, Emitter, Manager, Runtime, Window, WindowEvent};

pub use error::{UiError, UiResult};
pub use link::LinkState;
pub use state::{PosState, Session};

/// The app's version.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Environment variable naming the till's data directory.
pub const DATA_DIR_ENV: &str = "STORELINK_POS_DATA";

/// Event sent to the screens when the window is closed with unsent sales
/// (payload [`commands::QuitCheck`]).
pub const QUIT_REQUESTED_EVENT: &str = "quit_requested";

/// Why the app could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The till's data directory cannot be opened.
    #[error("cannot open the till's data: {0}")]
    Till(#[from] pos_agent::TillError),
    /// Tauri could not build the app (window, webview).
    #[error("cannot start the app window: {0}")]
    Tauri(#[from] tauri::Error),
}

/// Build the app on `builder` with `context` (from `tauri::generate_context!`
/// in the binary, `tauri::test::mock_context` in tests) for the till in
/// `data_dir`. Starts the sync loop when the till is enrolled with a hub.
pub fn run_app<R: Runtime>(
    builder: Builder<R>,
    context: Context<R>,
    data_dir: PathBuf,
) -> Result<App<R>, StartError> {
    let state = PosState::open(data_dir)?;
    let start_sync = state.enrolled_with_hub()?;
    let app = builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::enrol,
            commands::status,
            commands::link,
            commands::sync_now,
            commands::unlock,
            commands::lock_screen,
            commands::current_staff,
            commands::scan,
            commands::search_products,
            commands::categories,
            commands::products_in_category,
            commands::variants,
            commands::stock,
            commands::stock_elsewhere,
            commands::quote_sale,
            commands::settle_preview,
            commands::sell,
            commands::receipt,
            commands::receipt_text,
            commands::save_receipt,
            commands::return_preview,
            commands::return_sale,
            commands::open_shift,
            commands::current_shift,
            commands::cash_movement,
            commands::close_shift,
            commands::z_report,
            commands::outbox_pending,
            commands::set_discount_limit_pct,
            commands::find_member,
            commands::sign_up_member,
            commands::messages,
            commands::mark_message_read,
            commands::limited_status,
            commands::limited_items,
            commands::hold_limited,
            commands::release_hold,
            commands::holds,
            commands::request_rights,
            commands::clock_guard,
            commands::quit,
            chat::chat_channels,
            chat::chat_messages,
            chat::chat_send,
            chat::chat_raise_ticket,
            chat::chat_read,
            chat::chat_ack,
            chat::chat_tickets,
            chat::chat_search,
            chat::chat_attachment,
            chat::chat_save_attachment,
            logistics::request_stock,
            logistics::replenishment_orders,
            logistics::cancel_order,
            logistics::deliveries,
            logistics::receive_delivery,
        ])
        .on_window_event(on_window_event)
        .setup(move |app| {
            if start_sync {
                app.state::<PosState>().link.start(app.handle());
            }
            Ok(())
        })
        .build(context)?;
    Ok(app)
}

/// The window's close button: close at once when everything reached the
/// hub; otherwise keep the window and let the screens ask the cashier.
fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        let state = window.state::<PosState>();
        match commands::unsent_ops(&state) {
            Ok(0) => state.link.stop(),
            Ok(unsent) => {
                api.prevent_close();
                let check = commands::QuitCheck { unsent_ops: unsent };
                if let Err(e) = window.emit(QUIT_REQUESTED_EVENT, check) {
                    tracing::warn!(error = %e, "quit_requested not delivered");
                }
            }
            Err(e) => tracing::warn!(error = %e.message, "cannot check unsent sales; closing"),
        }
    }
}

#[cfg(test)]
mod export_types;
#[cfg(test)]
mod tests;
