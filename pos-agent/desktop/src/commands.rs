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

use std::path::{Path, PathBuf};
use std::time::Duration;

use pos_agent::sync::SyncOptions;
use pos_agent::{
    CashMovement, CashMovementKind, CashierMessage, CategoryCount, ClockGuard, ElsewhereStock,
    LimitHoldView, LimitedStatus, Member, MemberSignUp, PendingOp, ProductHit, ReceiptFormat,
    ReturnPreview, ReturnReceipt, ReturnRequest, SaleQuote, SaleReceipt, SaleRequest, Settlement,
    Shift, ShiftSummary, SignUpOutcome, Staff, StockLevel, StoredReceipt, TenderRequest, TillError,
    TillStatus, VariantGrid, ZReport,
};
use serde::{Deserialize, Serialize};
use sync_proto::op::Money;
use tauri::{AppHandle, Runtime, State};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{UiError, UiResult};
use crate::link::LinkState;
use crate::state::PosState;

/// How long the first sync after enrolment may take (catalog download).
pub const FIRST_SYNC_TIMEOUT: Duration = Duration::from_secs(60);

/// How long "other stores' stock" waits for the hub before showing the cache.
pub const ELSEWHERE_TIMEOUT: Duration = Duration::from_secs(3);

/// Most rows one search, category page or outbox listing returns.
pub const MAX_LIST: usize = 200;

/// Folder (under the data directory) where receipts saved by bare file name go.
pub const RECEIPTS_DIR: &str = "receipts";

/// What the app is and whether the till is set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppInfo {
    /// The app's version.
    pub version: String,
    /// The till has been enrolled with a hub (else: the setup screen).
    pub enrolled: bool,
    /// Where the till keeps its data.
    pub data_dir: String,
    /// The till's currency (ISO code), once enrolled.
    pub currency: Option<String>,
}

/// The answer of [`quit`] (and the payload of the `quit_requested` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuitCheck {
    /// Ops (sales, returns…) the hub has not acknowledged yet.
    #[ts(type = "number")]
    pub unsent_ops: u64,
}

/// `app_info`: version, enrolled or not, data directory.
#[tauri::command]
pub fn app_info(state: State<'_, PosState>) -> UiResult<AppInfo> {
    let enrolment = state.till()?.enrolment()?;
    Ok(AppInfo {
        version: crate::APP_VERSION.to_owned(),
        enrolled: enrolment.is_some(),
        data_dir: state.data_dir().display().to_string(),
        currency: enrolment.map(|e| e.currency),
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
    if state.link.is_started() {
        Ok(state.link.current())
    } else {
        // No loop (not enrolled yet): what the till last knew.
        let s = state.till()?.status()?;
        Ok(LinkState {
            online: false,
            last_sync_ms: s.last_sync_ms,
            last_error: s.last_error,
            unsent_ops: s.unsent_ops,
        })
    }
}

/// `sync_now` (manager): exchange with the hub now instead of after the backoff.
#[tauri::command]
pub fn sync_now<R: Runtime>(app: AppHandle<R>, state: State<'_, PosState>) -> UiResult<()> {
    state.require_manager("force a sync")?;
    if state.till()?.enrolment()?.is_none() {
        return Err(TillError::NotEnrolled.into());
    }
    if state.link.is_started() {
        state.link.sync_now();
    } else {
        state.link.start(&app);
    }
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
    Ok(state.till()?.scan(code.trim())?)
}

/// `search_products`: barcode/SKU exact, SKU prefix, then name or style.
#[tauri::command]
pub fn search_products(
    state: State<'_, PosState>,
    query: String,
    limit: Option<usize>,
) -> UiResult<Vec<ProductHit>> {
    state.require_staff()?;
    let limit = limit.unwrap_or(50).min(MAX_LIST);
    Ok(state.till()?.search_products(&query, limit)?)
}

/// `categories`: the catalog's categories with product counts.
#[tauri::command]
pub fn categories(state: State<'_, PosState>) -> UiResult<Vec<CategoryCount>> {
    state.require_staff()?;
    Ok(state.till()?.categories()?)
}

/// `products_in_category`: one page of a category's products.
#[tauri::command]
pub fn products_in_category(
    state: State<'_, PosState>,
    category: String,
    offset: Option<usize>,
    limit: Option<usize>,
) -> UiResult<Vec<ProductHit>> {
    state.require_staff()?;
    let limit = limit.unwrap_or(60).min(MAX_LIST);
    Ok(state
        .till()?
        .products_in_category(&category, offset.unwrap_or(0), limit)?)
}

/// `variants`: a style's colour × size grid with stock.
#[tauri::command]
pub fn variants(state: State<'_, PosState>, style: String) -> UiResult<VariantGrid> {
    state.require_staff()?;
    Ok(state.till()?.variants(style.trim())?)
}

/// `stock`: this store's stock of one SKU, or of everything.
#[tauri::command]
pub fn stock(state: State<'_, PosState>, sku: Option<String>) -> UiResult<Vec<StockLevel>> {
    state.require_staff()?;
    Ok(state.till()?.stock(sku.as_deref().map(str::trim))?)
}

/// `stock_elsewhere`: other stores' stock from the hub (cached when offline).
#[tauri::command]
pub async fn stock_elsewhere(state: State<'_, PosState>, sku: String) -> UiResult<ElsewhereStock> {
    state.require_staff()?;
    Ok(pos_agent::stock_elsewhere(state.data_dir(), &sku, ELSEWHERE_TIMEOUT).await?)
}

/// The sale as the unlocked staff member makes it (the screens never name
/// the cashier).
fn as_cashier(state: &PosState, req: SaleRequest) -> UiResult<SaleRequest> {
    let session = state.require_staff()?;
    Ok(SaleRequest {
        cashier: Some(session.staff.username),
        ..req
    })
}

/// `quote_sale`: price the cart exactly as `sell` would, without selling.
#[tauri::command]
pub fn quote_sale(state: State<'_, PosState>, req: SaleRequest) -> UiResult<SaleQuote> {
    let req = as_cashier(&state, req)?;
    Ok(state.till()?.quote_sale(&req)?)
}

/// `settle_preview`: how tenders settle `total` (change due, still to pay).
#[tauri::command]
pub fn settle_preview(
    state: State<'_, PosState>,
    total: Money,
    tenders: Vec<TenderRequest>,
) -> UiResult<Settlement> {
    state.require_staff()?;
    Ok(pos_agent::settle_preview(total, &tenders)?)
}

/// `sell`: ring up a sale as the unlocked staff member, in the open shift.
#[tauri::command]
pub fn sell(state: State<'_, PosState>, req: SaleRequest) -> UiResult<SaleReceipt> {
    let req = as_cashier(&state, req)?;
    let mut till = state.till()?;
    if till.current_shift()?.is_none() {
        return Err(UiError::new(
            "no_open_shift",
            "open a shift (count the float into the drawer) before selling",
        ));
    }
    let sold = till.sell(&req)?;
    tracing::info!(receipt = %sold.sale.receipt, total = sold.sale.total, "sale saved");
    Ok(sold)
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
    Ok(state.till()?.receipt_text(receipt.trim())?)
}

/// Where a receipt asked to be saved as `path` goes: a bare or relative
/// name lands in `<data_dir>/receipts/`; an absolute path is kept.
pub fn receipt_path(data_dir: &Path, path: &str) -> UiResult<PathBuf> {
    let path = path.trim();
    if path.is_empty() {
        return Err(UiError::new(
            "invalid_input",
            "give a file name for the receipt",
        ));
    }
    let p = Path::new(path);
    if p.is_absolute() {
        return Ok(p.to_path_buf());
    }
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(UiError::new(
            "invalid_input",
            format!("{path:?}: a receipt file name may not contain \"..\""),
        ));
    }
    let dir = data_dir.join(RECEIPTS_DIR);
    std::fs::create_dir_all(&dir).map_err(TillError::from)?;
    Ok(dir.join(p))
}

/// `save_receipt`: write a receipt to a file; returns the absolute path written.
#[tauri::command]
pub fn save_receipt(
    state: State<'_, PosState>,
    receipt: String,
    path: String,
    format: ReceiptFormat,
) -> UiResult<String> {
    state.require_staff()?;
    let target = receipt_path(state.data_dir(), &path)?;
    state
        .till()?
        .save_receipt(receipt.trim(), &target, format)?;
    Ok(target.display().to_string())
}

/// `return_preview`: what can still come back on a sale receipt.
#[tauri::command]
pub fn return_preview(state: State<'_, PosState>, receipt: String) -> UiResult<ReturnPreview> {
    state.require_staff()?;
    Ok(state.till()?.return_preview(receipt.trim())?)
}

/// `return_sale`: take a return against a sale receipt.
#[tauri::command]
pub fn return_sale(state: State<'_, PosState>, req: ReturnRequest) -> UiResult<ReturnReceipt> {
    state.require_staff()?;
    Ok(state.till()?.return_sale(&req)?)
}

/// `open_shift`: count the float into the drawer and start a shift.
#[tauri::command]
pub fn open_shift(state: State<'_, PosState>, float: Money) -> UiResult<Shift> {
    let s = state.require_staff()?;
    Ok(state.till()?.open_shift(&s.staff.username, float)?)
}

/// `current_shift`: the open shift with its running totals, if one is open.
#[tauri::command]
pub fn current_shift(state: State<'_, PosState>) -> UiResult<Option<ShiftSummary>> {
    state.require_staff()?;
    Ok(state.till()?.current_shift()?)
}

/// `cash_movement`: cash into or out of the drawer (out: store manager).
#[tauri::command]
pub fn cash_movement(
    state: State<'_, PosState>,
    kind: CashMovementKind,
    amount: Money,
    reason: String,
) -> UiResult<CashMovement> {
    let s = match kind {
        CashMovementKind::Out => state.require_manager("take cash out of the drawer")?,
        CashMovementKind::In => state.require_staff()?,
    };
    Ok(state
        .till()?
        .cash_movement(kind, amount, &reason, &s.staff.username)?)
}

/// `close_shift`: close with the counted cash; the Z report.
#[tauri::command]
pub fn close_shift(state: State<'_, PosState>, counted_cash: Money) -> UiResult<ZReport> {
    let s = state.require_staff()?;
    Ok(state.till()?.close_shift(&s.staff.username, counted_cash)?)
}

/// `z_report`: the Z report of a shift again (reprint).
#[tauri::command]
pub fn z_report(state: State<'_, PosState>, shift_id: String) -> UiResult<ZReport> {
    state.require_staff()?;
    let id: Uuid = shift_id
        .trim()
        .parse()
        .map_err(|_| UiError::new("invalid_input", format!("{shift_id:?} is not a shift id")))?;
    Ok(state.till()?.z_report(&id)?)
}

/// `outbox_pending` (manager): the ops not yet acknowledged by the hub.
#[tauri::command]
pub fn outbox_pending(
    state: State<'_, PosState>,
    limit: Option<usize>,
) -> UiResult<Vec<PendingOp>> {
    state.require_manager("see the unsent changes")?;
    Ok(state
        .till()?
        .outbox_pending(limit.unwrap_or(100).min(MAX_LIST))?)
}

/// `set_discount_limit_pct` (manager): the discount a cashier may give
/// without approval, in percent of the gross.
#[tauri::command]
pub fn set_discount_limit_pct(state: State<'_, PosState>, pct: u32) -> UiResult<()> {
    state.require_manager("change the discount limit")?;
    Ok(state.till()?.set_discount_limit_pct(pct)?)
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

/// `limited_status`: this till's status of one limited SKU (SKU or barcode); `null` when the
/// item is not limited.
#[tauri::command]
pub fn limited_status(state: State<'_, PosState>, sku: String) -> UiResult<Option<LimitedStatus>> {
    state.require_staff()?;
    Ok(state.till()?.limited(sku.trim())?)
}

/// `limited_items`: every limited item and coupon campaign this till knows.
#[tauri::command]
pub fn limited_items(state: State<'_, PosState>) -> UiResult<Vec<LimitedStatus>> {
    state.require_staff()?;
    Ok(state.till()?.limited_items()?)
}

/// `hold_limited`: hold `qty` units of a limited SKU for a customer (`note`: for whom).
#[tauri::command]
pub fn hold_limited(
    state: State<'_, PosState>,
    sku: String,
    qty: u64,
    note: Option<String>,
) -> UiResult<LimitHoldView> {
    state.require_staff()?;
    let hold = state
        .till()?
        .hold_limited(sku.trim(), qty, note.as_deref().unwrap_or(""))?;
    tracing::info!(hold = %hold.id, sku = %hold.sku, qty, "units held");
    Ok(hold)
}

/// `release_hold`: give a hold back before it expires.
#[tauri::command]
pub fn release_hold(state: State<'_, PosState>, id: String) -> UiResult<LimitHoldView> {
    state.require_staff()?;
    Ok(state.till()?.release_hold(id.trim())?)
}

/// `holds`: this till's holds, newest first, with their status now.
#[tauri::command]
pub fn holds(state: State<'_, PosState>) -> UiResult<Vec<LimitHoldView>> {
    state.require_staff()?;
    Ok(state.till()?.holds()?)
}

/// `request_rights` (manager): ask the hub for `qty` more units of a limited SKU; the item's
/// status (with `request_open`).
#[tauri::command]
pub fn request_rights(
    state: State<'_, PosState>,
    sku: String,
    qty: u64,
) -> UiResult<LimitedStatus> {
    state.require_manager("ask head office for more limited units")?;
    Ok(state.till()?.request_rights(sku.trim(), qty)?)
}

/// `clock_guard`: how far this till's clock is from the hub's, and whether time deals are
/// paused because of it (the sell screen shows a banner). Needs no PIN: it is about the till.
#[tauri::command]
pub fn clock_guard(state: State<'_, PosState>) -> UiResult<ClockGuard> {
    Ok(state.till()?.clock_guard()?)
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
