//! The Tauri commands the POS screens invoke: thin wrappers over the core.
//!
//! Each command takes the managed [`PosState`], checks the session where it
//! matters (who is unlocked, manager-only actions), calls the core and maps
//! its error to a [`UiError`] with a stable code. The screens never name the
//! cashier of a sale: the shell sets it from the session. The core stays the
//! source of truth for the data (prices, stock, lock by head office, limits).
//!
//! Names are snake_case; arguments are camelCase on the JavaScript side
//! (Tauri's default), e.g. `invoke("enrol", { hubUrl, code })`.

use pos_agent::receipt;
use pos_agent::sync::SyncOptions;
use pos_agent::{
    CashierMessage, Member, MemberSignUp, ProductInfo, ReturnReceipt, ReturnRequest, SaleReceipt,
    SaleRequest, SignUpOutcome, Staff, StockLevel, StoredReceipt, TillError, TillStatus,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{UiError, UiResult};
use crate::link::LinkState;
use crate::state::PosState;

/// How long the first sync after enrolment may take (catalog download).
pub const FIRST_SYNC_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// What the app is and whether the till is set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppInfo {
    /// The app's version.
    pub version: String,
    /// The till has been enrolled with a hub (else: the setup screen).
    pub enrolled: bool,
    /// Where the till keeps its data.
    pub data_dir: String,
}

/// The answer of [`quit`] (and the payload of the `quit_requested` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuitCheck {
    /// Ops (sales, returns…) the hub has not acknowledged yet.
    #[ts(type = "number")]
    pub unsent_ops: u64,
}

/// A product as scanned: the product, its price now, and the store's stock.
/// (Interim until the core's `ProductHit`, contract A3, which has this shape.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductHit {
    /// The product with the price a sale charges now.
    #[serde(flatten)]
    pub product: ProductInfo,
    /// Stock at this store (may be negative).
    pub stock: i64,
}

/// `app_info`: version, enrolled or not, data directory.
#[tauri::command]
pub fn app_info(state: State<'_, PosState>) -> UiResult<AppInfo> {
    let enrolled = state.till()?.enrolment()?.is_some();
    Ok(AppInfo {
        version: crate::APP_VERSION.to_owned(),
        enrolled,
        data_dir: state.data_dir().display().to_string(),
    })
}

/// `enrol`: enrol with the hub using a one-time code, download the catalog
/// (first sync), start the sync loop. Refused when the till is already
/// enrolled and the hub has not asked for a new enrolment.
#[tauri::command]
pub async fn enrol<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PosState>,
    hub_url: String,
    code: String,
) -> UiResult<TillStatus> {
    {
        let till = state.till()?;
        if till.enrolment()?.is_some() && !till.status()?.needs_enrolment {
            return Err(UiError::new(
                "already_enrolled",
                "this till is already enrolled with a hub",
            ));
        }
    }
    state.link.stop();
    let outcome = pos_agent::enrol(state.data_dir(), hub_url.trim(), &code).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            // A till that was enrolled before keeps syncing as it did.
            if state.till()?.enrolment()?.is_some() {
                state.link.start(&app);
            }
            return Err(e.into());
        }
    };
    tracing::info!(store = %outcome.store, till = outcome.till_no, "enrolled");
    let opts = SyncOptions {
        app_version: crate::APP_VERSION.to_owned(),
        timeout: FIRST_SYNC_TIMEOUT,
        ..SyncOptions::default()
    };
    // The catalog and staff PINs arrive with the first sync; if the hub
    // went away meanwhile, the loop keeps trying and the status shows why.
    if let Err(e) = pos_agent::sync::sync_once_with(state.data_dir(), &opts).await {
        tracing::warn!(error = %e, "first sync after enrolment failed");
    }
    state.link.start(&app);
    Ok(state.till()?.status()?)
}

/// `status`: the till's identity, sync state, unread messages.
#[tauri::command]
pub fn status(state: State<'_, PosState>) -> UiResult<TillStatus> {
    Ok(state.till()?.status()?)
}

/// `link`: the latest link state (also pushed as the `link` event).
#[tauri::command]
pub fn link(state: State<'_, PosState>) -> UiResult<LinkState> {
    let running = state.link.is_started();
    let mut current = state.link.current();
    if current == LinkState::default() {
        // Before the monitor's first reading.
        current = crate::link::read_link(&*state.till()?, running)?;
    }
    Ok(current)
}

/// `sync_now` (manager): exchange with the hub now instead of after the backoff.
#[tauri::command]
pub fn sync_now<R: Runtime>(app: AppHandle<R>, state: State<'_, PosState>) -> UiResult<()> {
    state.require_manager("force a sync")?;
    if state.till()?.enrolment()?.is_none() {
        return Err(TillError::NotEnrolled.into());
    }
    state.link.sync_now(&app);
    Ok(())
}

/// `unlock`: a staff PIN starts a session (works offline).
#[tauri::command]
pub fn unlock(state: State<'_, PosState>, pin: String) -> UiResult<Staff> {
    let staff = state.till()?.unlock(&pin)?;
    tracing::info!(user = %staff.username, role = staff.role.as_str(), "till unlocked");
    state.set_session(staff.clone())?;
    Ok(staff)
}

/// `lock_screen`: end the session (the next person unlocks with their PIN).
#[tauri::command]
pub fn lock_screen(state: State<'_, PosState>) -> UiResult<()> {
    state.clear_session()
}

/// `current_staff`: who is unlocked, if anyone.
#[tauri::command]
pub fn current_staff(state: State<'_, PosState>) -> UiResult<Option<Staff>> {
    Ok(state.session()?.map(|s| s.staff))
}

/// `scan`: a SKU or barcode → the product with its price now and stock.
#[tauri::command]
pub fn scan(state: State<'_, PosState>, code: String) -> UiResult<ProductHit> {
    state.require_staff()?;
    let code = code.trim();
    let till = state.till()?;
    let product = till
        .product(code)?
        .ok_or_else(|| TillError::UnknownSku(code.to_owned()))?;
    if !product.item.active {
        return Err(TillError::NotForSale(product.item.sku).into());
    }
    let stock = till
        .stock(Some(&product.item.sku))?
        .first()
        .map(|s| s.qty)
        .unwrap_or(0);
    Ok(ProductHit { product, stock })
}

/// `stock`: this store's stock of one SKU, or of everything.
#[tauri::command]
pub fn stock(state: State<'_, PosState>, sku: Option<String>) -> UiResult<Vec<StockLevel>> {
    state.require_staff()?;
    Ok(state.till()?.stock(sku.as_deref().map(str::trim))?)
}

/// `sell`: ring up a sale as the unlocked staff member.
#[tauri::command]
pub fn sell(state: State<'_, PosState>, req: SaleRequest) -> UiResult<SaleReceipt> {
    let session = state.require_staff()?;
    let mut req = req;
    req.cashier = Some(session.staff.username);
    let sold = state.till()?.sell(&req)?;
    tracing::info!(receipt = %sale_no(&sold), total = sold.sale.total, "sale saved");
    Ok(sold)
}

fn sale_no(s: &SaleReceipt) -> &str {
    s.sale.receipt.as_str()
}

/// `receipt`: a stored sale (with its returns) or return by receipt number.
#[tauri::command]
pub fn receipt(state: State<'_, PosState>, receipt: String) -> UiResult<StoredReceipt> {
    state.require_staff()?;
    Ok(state.till()?.receipt(receipt.trim())?)
}

/// `receipt_text`: the printable text of a receipt.
#[tauri::command]
pub fn receipt_text(state: State<'_, PosState>, receipt: String) -> UiResult<String> {
    state.require_staff()?;
    let till = state.till()?;
    let stored = till.receipt(receipt.trim())?;
    let store_name = till.enrolment()?.map(|e| e.store_name).unwrap_or_default();
    Ok(match &stored {
        StoredReceipt::Sale {
            sale,
            returns,
            price_labels,
        } => receipt::render_sale_labelled(sale, returns, &store_name, price_labels),
        StoredReceipt::Return { record } => receipt::render_return(record, &store_name),
    })
}

/// `return_sale`: take a return against a sale receipt.
#[tauri::command]
pub fn return_sale(state: State<'_, PosState>, req: ReturnRequest) -> UiResult<ReturnReceipt> {
    state.require_staff()?;
    Ok(state.till()?.return_sale(&req)?)
}

/// `find_member`: a member by phone number, if this till knows them.
#[tauri::command]
pub fn find_member(state: State<'_, PosState>, phone: String) -> UiResult<Option<Member>> {
    state.require_staff()?;
    Ok(state.till()?.find_member(&phone)?)
}

/// `sign_up_member`: sign a member up (or update one) at the counter.
#[tauri::command]
pub fn sign_up_member(state: State<'_, PosState>, req: MemberSignUp) -> UiResult<SignUpOutcome> {
    state.require_staff()?;
    Ok(state.till()?.sign_up_member(&req)?)
}

/// `messages`: head office's messages to the cashier (newest first).
#[tauri::command]
pub fn messages(state: State<'_, PosState>, unread_only: bool) -> UiResult<Vec<CashierMessage>> {
    state.require_staff()?;
    Ok(state.till()?.messages(unread_only)?)
}

/// `mark_message_read`: `false` when there is no unread message with that id.
#[tauri::command]
pub fn mark_message_read(state: State<'_, PosState>, id: String) -> UiResult<bool> {
    state.require_staff()?;
    let id: Uuid = id
        .parse()
        .map_err(|_| UiError::new("invalid_input", format!("{id:?} is not a message id")))?;
    Ok(state.till()?.mark_message_read(&id)?)
}

/// Ops the hub has not acknowledged yet.
pub fn unsent_ops(state: &PosState) -> UiResult<u64> {
    Ok(state.till()?.status()?.unsent_ops)
}

/// `quit`: close the app. Refused with `unsent_sales` while the hub has not
/// acknowledged everything, unless `force` (the screens ask the cashier first).
#[tauri::command]
pub fn quit<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PosState>,
    force: bool,
) -> UiResult<QuitCheck> {
    let unsent = unsent_ops(&state)?;
    if unsent > 0 && !force {
        return Err(UiError::new(
            "unsent_sales",
            format!(
                "{unsent} change(s) have not reached head office yet; they are safe on this till \
                 and are sent when it runs again with the network up. Quit anyway?"
            ),
        ));
    }
    tracing::info!(unsent, force, "quitting");
    state.link.stop();
    app.exit(0);
    Ok(QuitCheck { unsent_ops: unsent })
}
