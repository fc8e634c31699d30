//! Sessions of other users than the admin, and a client of the live event
//! WebSocket.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::{TestHub, Ws, json_answer, ws_connect};

/// A password good enough for the hub's rules.
pub const PASSWORD: &str = "correct-horse-battery";

/// A logged-in user's client.
pub struct As<'a> {
    pub hub: &'a TestHub,
    pub token: String,
}

impl As<'_> {
    pub async fn get(&self, path: &str) -> (u16, Value) {
        json_answer(self.hub.http.get(self.hub.api(path)), &self.token).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        json_answer(
            self.hub.http.post(self.hub.api(path)).json(&body),
            &self.token,
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        json_answer(
            self.hub.http.patch(self.hub.api(path)).json(&body),
            &self.token,
        )
        .await
    }
}

/// The admin's client.
pub fn admin(hub: &TestHub) -> As<'_> {
    As {
        hub,
        token: hub.token.clone(),
    }
}

/// POST /auth/login; (status, body, Retry-After header).
pub async fn login(hub: &TestHub, username: &str, password: &str) -> (u16, Value, Option<String>) {
    let r = hub
        .http
        .post(hub.api("auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.json().await.unwrap_or(Value::Null), retry)
}

/// Create a user as admin (must succeed) and return it.
pub async fn create_user(hub: &TestHub, body: Value) -> Value {
    let (s, v) = admin(hub).post("users", body.clone()).await;
    assert_eq!(s, 201, "create user {body}: {v}");
    v
}

/// Create a user with [`PASSWORD`] and log in as them.
pub async fn user_session<'a>(
    hub: &'a TestHub,
    username: &str,
    role: &str,
    store: Option<&str>,
) -> As<'a> {
    create_user(
        hub,
        json!({"username": username, "display_name": username, "role": role, "store": store, "password": PASSWORD}),
    )
    .await;
    let (s, v, _) = login(hub, username, PASSWORD).await;
    assert_eq!(s, 200, "login {username}: {v}");
    As {
        hub,
        token: v["token"].as_str().expect("token").to_owned(),
    }
}

/// Open `/api/v1/events` with a header (`authorization` or `cookie`);
/// Err(status) when refused before the upgrade.
pub async fn events_with(hub: &TestHub, header: Option<(&'static str, String)>) -> Result<Ws, u16> {
    ws_connect(&hub.api("events"), header).await
}

/// Open `/api/v1/events` with several headers (a browser's cookie and
/// `Origin`); Err(status) when refused before the upgrade.
pub async fn events_with_headers(
    hub: &TestHub,
    headers: &[(&'static str, String)],
) -> Result<Ws, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = hub
        .api("events")
        .replacen("http", "ws", 1)
        .into_client_request()
        .expect("request");
    for (name, value) in headers {
        req.headers_mut()
            .insert(*name, value.parse().expect("header value"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("connect failed: {e}"),
    }
}

/// Open the event socket with a bearer token and read its `hello`.
pub async fn events(hub: &TestHub, token: &str) -> (Ws, Value) {
    let mut ws = events_with(hub, Some(("authorization", format!("Bearer {token}"))))
        .await
        .expect("events socket");
    let hello = next_event(&mut ws).await.expect("hello");
    assert_eq!(hello["type"], "hello", "{hello}");
    (ws, hello)
}

/// Next JSON message; None when closed or nothing within `wait`.
pub async fn next_event_within(ws: &mut Ws, wait: Duration) -> Option<Value> {
    loop {
        let next = tokio::time::timeout(wait, ws.next()).await.ok()?;
        match next {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return None,
            Some(Ok(Message::Text(t))) => {
                return Some(serde_json::from_str(t.as_str()).expect("JSON event"));
            }
            Some(Ok(_)) => continue,
        }
    }
}

/// Next JSON message within 10 s.
pub async fn next_event(ws: &mut Ws) -> Option<Value> {
    next_event_within(ws, Duration::from_secs(10)).await
}

/// Read until an event satisfies `want` (10 s each); panics when closed.
pub async fn event_until(ws: &mut Ws, mut want: impl FnMut(&Value) -> bool) -> Value {
    loop {
        match next_event(ws).await {
            Some(v) if want(&v) => return v,
            Some(_) => continue,
            None => panic!("event socket closed or silent before the expected event"),
        }
    }
}

/// Send a client message.
pub async fn send_json(ws: &mut Ws, v: &Value) {
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
}

/// Poll `check` until true (5 s), for effects that land asynchronously.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..250 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}
