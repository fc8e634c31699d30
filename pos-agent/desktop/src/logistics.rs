//! The replenishment and delivery screens' commands (issue 5): request stock, this store's
//! orders, cancel a request, deliveries with the truck's ETA (the sell screen's banner polls
//! it), and receiving a delivery.
//!
//! Thin like [`crate::commands`]: each command checks the session, calls the
//! [`pos_agent::Till`] logistics methods and maps refusals to a [`UiError`] code. Who asks,
//! cancels or counts is always the unlocked staff member (their display name), never a name
//! from the screen. Asking for stock and cancelling a request are a store manager's;
//! anybody unlocked may look at orders and deliveries and count a delivery in.
//!
//! Codes of refusals (besides the shell's `not_unlocked`, `manager_only` and the core's
//! `locked`, `unknown_item`, `invalid_input`): `empty_request`, `quantity_out_of_range`,
//! `count_out_of_range`, `counted_twice`, `too_many_order_lines`, `unknown_order`,
//! `order_not_cancellable`, `unknown_delivery`, `already_received`, `delivery_cancelled`.

use pos_agent::{CountedLine, DeliveryView, OrderView, ReceivingView, StockRequestLine};
use tauri::State;

use crate::error::UiResult;
use crate::state::PosState;

/// `request_stock` (manager): ask the warehouse for stock (`lines`: SKU or barcode and
/// quantity); written offline, it reaches HQ with the next sync. The new order.
#[tauri::command]
pub fn request_stock(
    state: State<'_, PosState>,
    lines: Vec<StockRequestLine>,
    note: Option<String>,
) -> UiResult<OrderView> {
    let session = state.require_manager("ask the warehouse for stock")?;
    let order =
        state
            .till()?
            .request_stock(&lines, note.as_deref(), &session.staff.display_name)?;
    tracing::info!(order = %order.id, lines = order.lines.len(), "stock requested");
    Ok(order)
}

/// `replenishment_orders`: this store's orders, newest first, with where they stand.
#[tauri::command]
pub fn replenishment_orders(state: State<'_, PosState>) -> UiResult<Vec<OrderView>> {
    state.require_staff()?;
    Ok(state.till()?.orders()?)
}

/// `cancel_order` (manager): cancel a request head office has not acted on yet.
#[tauri::command]
pub fn cancel_order(state: State<'_, PosState>, id: String) -> UiResult<OrderView> {
    let session = state.require_manager("cancel a stock request")?;
    Ok(state
        .till()?
        .cancel_order(&id, &session.staff.display_name)?)
}

/// `deliveries`: this store's deliveries (still to receive first) with the truck's ETA on
/// this till's clock, arrival and receiving.
#[tauri::command]
pub fn deliveries(state: State<'_, PosState>) -> UiResult<Vec<DeliveryView>> {
    state.require_staff()?;
    Ok(state.till()?.deliveries()?)
}

/// `receive_delivery`: count a delivery in — stock moves from in transit to the shelf in one
/// transaction; shortages, damages and extras recorded. The receiving with its summary.
#[tauri::command]
pub fn receive_delivery(
    state: State<'_, PosState>,
    shipment: String,
    counted: Vec<CountedLine>,
    note: Option<String>,
) -> UiResult<ReceivingView> {
    let session = state.require_staff()?;
    let till = &mut *state.till()?;
    let record = till.receive_delivery(
        &shipment,
        &counted,
        note.as_deref(),
        &session.staff.display_name,
    )?;
    tracing::info!(shipment = %record.shipment, receiving = %record.id, "delivery received");
    Ok(till.receiving_view(&record)?)
}
