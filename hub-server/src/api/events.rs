//! `GET /api/v1/events`: the console's live event WebSocket.
//!
//! Authenticated on upgrade by the session cookie or a bearer token
//! (console roles only). The server sends JSON text messages
//! ([`crate::events::Event`], tagged by `type`): first `hello {role,
//! store}`, then every event the user may see — a store manager only their
//! store's — narrowed by the client's subscription. The client may send
//! `{"type":"subscribe","stores":["GN01"]}` (or `"stores": null` for
//! everything visible); a store it may not see is answered
//! `{"type":"error","code":"forbidden",…}`, anything unreadable
//! `{"type":"error","code":"malformed",…}`; the connection stays open.
//! A client that falls behind gets `{"type":"lagged"}` and should refetch.
//! HQ roles also get `positions` (drivers' GPS points), serialised once per
//! flushed batch by [`crate::gps::Fanout`] and sent as the same bytes to
//! every socket; `shipment` events are HQ-only too.
//! The session is re-checked every few seconds: logging out, being
//! deactivated or a change of role or store closes the socket. A page of
//! another origin may not open it (`Origin` / `Sec-Fetch-Site`, 403).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tracing::Instrument;

use super::auth::{Hq, session_of};
use super::error::{ApiError, ErrorBody};
use crate::AppState;
use crate::events::Event;

/// How often the session behind a socket is checked again.
const SESSION_RECHECK: Duration = Duration::from_secs(5);
/// Largest client message.
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;
/// Most stores in one subscription.
const MAX_SUBSCRIBED_STORES: usize = 10_000;

/// A message from the client.
#[derive(Debug, Deserialize, utoipa::ToSchema, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[ts(export)]
pub enum ClientMessage {
    /// Receive only these stores' events (`null`: every store you may see).
    Subscribe {
        /// Store codes, or null.
        stores: Option<Vec<String>>,
    },
}

/// Live events (WebSocket upgrade; JSON text messages tagged by `type`).
#[utoipa::path(
    get, path = "/api/v1/events", tag = "events",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket; messages are `Event` (server) and `ClientMessage` (client)", body = crate::events::Event),
        (status = 400, description = "Not a WebSocket upgrade", body = ErrorBody),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "No console access", body = ErrorBody),
    )
)]
pub async fn events_ws(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    // Cross-site WebSocket hijacking: a page of another origin (a sibling
    // subdomain gets the SameSite=Strict cookie) may not open the socket.
    if super::auth::from_another_origin(&headers) {
        return super::auth::forbidden("the event socket is only for pages of this hub's origin")
            .into_response();
    }
    let hq = match session_of(&state, &headers).await {
        Ok(hq) => hq,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = hq.require_console() {
        return e.into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            return ApiError::bad_request("not_websocket", rejection.body_text()).into_response();
        }
    };
    let span = tracing::info_span!("events", user = %hq.username);
    ws.max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| run(state, hq, headers, socket).instrument(span))
}

fn text(event: &Event) -> Option<Message> {
    match serde_json::to_string(event) {
        Ok(s) => Some(Message::Text(s.into())),
        Err(e) => {
            tracing::error!(error = %e, "could not encode an event");
            None
        }
    }
}

/// A refused client message: `code` and `message` of the `error` answer.
#[derive(Debug)]
struct Refused {
    code: &'static str,
    message: String,
}

fn error_event(code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        code,
        message: message.into(),
    }
}

impl From<Refused> for Event {
    fn from(r: Refused) -> Self {
        Event::Error {
            code: r.code.to_owned(),
            message: r.message,
        }
    }
}

/// Apply a client message to the subscription; `Err` is the answer to send.
fn handle_client(
    hq: &Hq,
    raw: &str,
    subscription: &mut Option<HashSet<String>>,
) -> Result<(), Refused> {
    let msg: ClientMessage = serde_json::from_str(raw).map_err(|e| {
        error_event(
            "malformed",
            format!("expected {{\"type\":\"subscribe\",\"stores\":[..]|null}}: {e}"),
        )
    })?;
    match msg {
        ClientMessage::Subscribe { stores: None } => {
            *subscription = None;
            Ok(())
        }
        ClientMessage::Subscribe { stores: Some(list) } => {
            if list.len() > MAX_SUBSCRIBED_STORES {
                return Err(error_event(
                    "malformed",
                    format!("at most {MAX_SUBSCRIBED_STORES} stores per subscription"),
                ));
            }
            let mut set = HashSet::with_capacity(list.len());
            for s in list {
                let code: sync_proto::LocationId =
                    s.parse().map_err(|e: sync_proto::IdError| {
                        error_event("malformed", format!("store {s:?}: {e}"))
                    })?;
                let code = code.to_string();
                if !hq.can_see_store(&code) {
                    return Err(error_event(
                        "forbidden",
                        format!(
                            "a {} of {} may not follow store {code}",
                            hq.role,
                            hq.store.as_deref().unwrap_or("no store")
                        ),
                    ));
                }
                set.insert(code);
            }
            *subscription = Some(set);
            Ok(())
        }
    }
}

async fn run(state: Arc<AppState>, hq: Hq, headers: HeaderMap, socket: WebSocket) {
    let mut rx = state.events.subscribe();
    let (mut sink, mut stream) = socket.split();
    let hello = Event::Hello {
        role: hq.role,
        store: hq.store.clone(),
    };
    if let Some(m) = text(&hello)
        && sink.send(m).await.is_err()
    {
        return;
    }
    tracing::info!("console connected to live events");
    let mut subscription: Option<HashSet<String>> = None;
    // Live positions: HQ roles only, one shared serialisation per flushed batch.
    let mut positions = hq.role.is_hq().then(|| state.gps.fanout.subscribe());
    let mut recheck = tokio::time::interval(SESSION_RECHECK);
    recheck.tick().await;
    let mut stopping = state.stopping.clone();
    loop {
        let outgoing: Option<Event> = tokio::select! {
            _ = async { let _ = stopping.wait_for(|s| *s).await; } => break,
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if ev.hq_only() && !hq.role.is_hq() {
                        continue;
                    }
                    let visible = match ev.store() {
                        None => true,
                        Some(store) => hq.can_see_store(store)
                            && subscription.as_ref().is_none_or(|s| s.contains(store)),
                    };
                    if !visible {
                        continue;
                    }
                    match text(&ev) {
                        Some(m) => {
                            if sink.send(m).await.is_err() {
                                break;
                            }
                        }
                        None => continue,
                    }
                    None
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "console fell behind on live events");
                    Some(Event::Lagged)
                }
                Err(RecvError::Closed) => break,
            },
            batch = async {
                match positions.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => match batch {
                Ok(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                    None
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "console fell behind on live positions");
                    Some(Event::Lagged)
                }
                Err(RecvError::Closed) => {
                    positions = None;
                    None
                }
            },
            msg = stream.next() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                Some(Ok(Message::Text(t))) => handle_client(&hq, t.as_str(), &mut subscription).err().map(Event::from),
                Some(Ok(Message::Binary(_))) => Some(Event::from(error_event(
                    "malformed",
                    "send JSON text messages, not binary",
                ))),
                Some(Ok(_)) => None,
            },
            _ = recheck.tick() => {
                // The filter was fixed at connect: a changed role or store
                // (or a demotion out of the console) ends the socket too.
                let still = session_of(&state, &headers).await.and_then(|now| {
                    now.require_console()?;
                    if now.role == hq.role && now.store == hq.store {
                        Ok(())
                    } else {
                        Err(super::auth::forbidden("the account's role or store changed"))
                    }
                });
                match still {
                    Ok(()) => None,
                    Err(e) => {
                        tracing::info!(reason = %e.message, "session ended or changed; closing live events");
                        let _ = sink.send(Message::Close(None)).await;
                        break;
                    }
                }
            }
        };
        if let Some(ev) = outgoing
            && let Some(m) = text(&ev)
            && sink.send(m).await.is_err()
        {
            break;
        }
    }
    let _ = sink.close().await;
    tracing::info!("console left live events");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_are_validated() {
        let admin_like = |role, store: Option<&str>| {
            let mut sub = None;
            let hq = crate::api::auth::test_hq(role, store);
            move |raw: &str| handle_client(&hq, raw, &mut sub).map(|()| sub.clone())
        };
        let mut m = admin_like(crate::accounts::Role::StoreManager, Some("GN01"));
        assert!(m(r#"{"type":"subscribe","stores":["GN01"]}"#).is_ok());
        match m(r#"{"type":"subscribe","stores":["HD02"]}"#) {
            Err(r) => assert_eq!(r.code, "forbidden"),
            other => panic!("{other:?}"),
        }
        match m(r#"{"type":"dance"}"#) {
            Err(r) => assert_eq!(r.code, "malformed"),
            other => panic!("{other:?}"),
        }
        match m("not json") {
            Err(r) => assert_eq!(r.code, "malformed"),
            other => panic!("{other:?}"),
        }
        let mut a = admin_like(crate::accounts::Role::HqStaff, None);
        assert!(a(r#"{"type":"subscribe","stores":["HD02","GN01"]}"#).is_ok());
        assert_eq!(a(r#"{"type":"subscribe","stores":null}"#).ok(), Some(None));
    }
}
