//! Accounts and roles against the real hub: the role matrix refusals (store
//! manager limited to their store, cashiers cannot log in, drivers have no
//! console, hq_staff cannot manage users), login throttling, logout,
//! deactivation ending sessions at once, the audit log, and the `StaffSet`
//! ops that carry store people (with PIN hashes) to their store's tills.

mod common;

use common::*;
use serde_json::json;
use sync_proto::OpBody;
use sync_proto::wire::Frame;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_is_refused_what_it_may_not_do() {
    let hub = TestHub::start().await;
    hub.seed().await;

    // Cashiers never get a console session, even with a password.
    create_user(
        &hub,
        json!({"username": "kim.cashier", "display_name": "Kim", "role": "cashier", "store": "GN01",
               "password": PASSWORD, "pin": "1234"}),
    )
    .await;
    let (s, v, _) = login(&hub, "kim.cashier", PASSWORD).await;
    assert_eq!((s, code(&v)), (403, "console_forbidden"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or("").contains("PIN"));

    // Drivers may log in but reach no console endpoint.
    let driver = user_session(&hub, "lee.driver", "driver", None).await;
    for path in [
        "stores",
        "tills",
        "stock?sku=TSH-001",
        "sales",
        "products",
        "users",
        "audit",
    ] {
        let (s, v) = driver.get(path).await;
        assert_eq!((s, code(&v)), (403, "forbidden"), "driver GET {path}: {v}");
    }
    let (s, v) = driver
        .post(
            "stock/adjustments",
            json!({"location": "GN01", "sku": "TSH-001", "delta": 1, "reason": "receipt"}),
        )
        .await;
    assert_eq!(s, 403, "{v}");
    let (s, me) = driver.get("auth/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["role"], "driver");

    // hq_staff reads everything but manages no accounts, stores or audit.
    let staff = user_session(&hub, "park.staff", "hq_staff", None).await;
    let (s, v) = staff
        .post("users", json!({"username": "x.new", "display_name": "X", "role": "hq_staff", "password": PASSWORD}))
        .await;
    assert_eq!((s, code(&v)), (403, "forbidden"), "{v}");
    let (s, _) = staff
        .patch("users/1", json!({"display_name": "Boss"}))
        .await;
    assert_eq!(s, 403);
    let (s, _) = staff
        .post(
            "stores",
            json!({"code": "BS03", "name": "Busan", "kind": "store"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = staff.post("stores/GN01/enrolment-codes", json!({})).await;
    assert_eq!(s, 403);
    let (s, _) = staff.get("audit").await;
    assert_eq!(s, 403);
    let (s, users) = staff.get("users").await;
    assert_eq!(s, 200, "{users}");
    let (s, _) = staff.get("stock?location=HD02").await;
    assert_eq!(s, 200);
    let (s, v) = staff
        .post(
            "products",
            json!({"sku": "CAP-001", "name": "Cap", "price": 15000}),
        )
        .await;
    assert_eq!(s, 201, "hq_staff manages the catalog: {v}");

    // A store manager sees and changes only their own store.
    let mgr = user_session(&hub, "choi.manager", "store_manager", Some("GN01")).await;
    let (_, me) = mgr.get("auth/me").await;
    assert_eq!(me["role"], "store_manager");
    assert_eq!(me["store"], "GN01");
    for path in [
        "stock?location=HD02",
        "sales?store=HD02",
        "tills?store=HD02",
        "users?store=HD02",
    ] {
        let (s, v) = mgr.get(path).await;
        assert_eq!((s, code(&v)), (403, "forbidden"), "manager GET {path}: {v}");
    }
    let (s, v) = mgr.get("stock?sku=TSH-001").await;
    assert_eq!(s, 200);
    let locations: Vec<&str> = v["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .filter_map(|l| l["location"].as_str())
        .collect();
    assert_eq!(locations, ["GN01"], "{v}");
    assert_eq!(
        v["chain_total"], 100,
        "only the manager's store counts: {v}"
    );
    let (s, v) = mgr.get("stock").await;
    assert_eq!(s, 200);
    assert!(
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|r| r["location"] == "GN01"),
        "{v}"
    );
    let (s, v) = mgr.get("stores").await;
    assert_eq!(s, 200);
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    let (s, _) = mgr
        .post(
            "stock/adjustments",
            json!({"location": "HD02", "sku": "TSH-001", "delta": -1, "reason": "adjustment"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, v) = mgr
        .post(
            "stock/adjustments",
            json!({"location": "GN01", "sku": "TSH-001", "delta": -1, "reason": "adjustment"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = mgr
        .post(
            "products",
            json!({"sku": "CAP-002", "name": "Cap", "price": 15000}),
        )
        .await;
    assert_eq!(s, 403, "store managers do not edit the chain's catalog");
    let (s, _) = mgr.post("stores/GN01/enrolment-codes", json!({})).await;
    assert_eq!(s, 403);
    let (s, _) = mgr.get("audit").await;
    assert_eq!(s, 403);
    // Manages the cashiers of their own store only.
    let (s, v) = mgr
        .post("users", json!({"username": "yoon.cashier", "display_name": "Yoon", "role": "cashier", "store": "GN01", "pin": "4321"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = mgr
        .post("users", json!({"username": "han.cashier", "display_name": "Han", "role": "cashier", "store": "HD02", "pin": "4321"}))
        .await;
    assert_eq!(s, 403);
    let (s, _) = mgr
        .post("users", json!({"username": "jo.manager", "display_name": "Jo", "role": "store_manager", "store": "GN01", "password": PASSWORD}))
        .await;
    assert_eq!(s, 403);
    let yoon = v["id"].as_i64().expect("id");
    let (s, _) = mgr
        .patch(&format!("users/{yoon}"), json!({"store": "HD02"}))
        .await;
    assert_eq!(s, 403, "a manager cannot move a cashier away");
    let (s, v) = mgr
        .patch(&format!("users/{yoon}"), json!({"pin": "9876"}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["has_pin"], true);
    let (s, _) = mgr
        .patch("users/1", json!({"display_name": "Hacked"}))
        .await;
    assert_eq!(s, 403, "a manager cannot touch HQ accounts");
    let (s, v) = mgr.get("users").await;
    assert_eq!(s, 200);
    assert!(
        v.as_array()
            .expect("users")
            .iter()
            .all(|u| u["store"] == "GN01"),
        "{v}"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_input_is_validated() {
    let hub = TestHub::start().await;
    hub.seed().await;
    let admin = admin(&hub);
    for (body, want) in [
        (
            json!({"username": "a.b", "display_name": "A", "role": "hq_staff", "password": "short"}),
            400,
        ),
        (
            json!({"username": "A B", "display_name": "A", "role": "hq_staff", "password": PASSWORD}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "", "role": "hq_staff", "password": PASSWORD}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "hq_staff"}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "cashier", "pin": "1234"}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "cashier", "store": "GN01", "pin": "12a4"}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "cashier", "store": "GN01", "pin": "123"}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "hq_staff", "store": "GN01", "password": PASSWORD}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "hq_staff", "pin": "1234", "password": PASSWORD}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "root", "password": PASSWORD}),
            400,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "cashier", "store": "ZZ99", "pin": "1234"}),
            404,
        ),
        (
            json!({"username": "ab.c", "display_name": "A", "role": "cashier", "store": "WH01", "pin": "1234"}),
            400,
        ),
        (
            json!({"username": "admin", "display_name": "A", "role": "hq_staff", "password": PASSWORD}),
            409,
        ),
    ] {
        let (s, v) = admin.post("users", body.clone()).await;
        assert_eq!(s, want, "{body} → {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{v}"
        );
    }
    let (s, v) = admin.patch("users/999", json!({"display_name": "X"})).await;
    assert_eq!((s, code(&v)), (404, "unknown_user"));
    let (s, v) = admin.patch("users/1", json!({"active": false})).await;
    assert_eq!((s, code(&v)), (409, "last_admin"), "{v}");
    let (s, v) = admin.patch("users/1", json!({"pin": "1234"})).await;
    assert_eq!(s, 400, "{v}");

    // A manager promoted to head office leaves their till PIN behind.
    let (s, v) = admin
        .post(
            "users",
            json!({"username": "gn.boss", "display_name": "Boss", "role": "store_manager",
                   "store": "GN01", "pin": "4321", "password": PASSWORD}),
        )
        .await;
    assert_eq!((s, &v["has_pin"]), (201, &json!(true)), "{v}");
    let id = v["id"].as_i64().expect("id");
    let (s, v) = admin
        .patch(
            &format!("users/{id}"),
            json!({"role": "hq_staff", "store": null}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["has_pin"], false, "no PIN outside a store role: {v}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_throttled_per_user() {
    let hub = TestHub::start().await;
    create_user(
        &hub,
        json!({"username": "target", "display_name": "T", "role": "hq_staff", "password": PASSWORD}),
    )
    .await;
    for _ in 0..5 {
        let (s, v, _) = login(&hub, "target", "wrong-password!").await;
        assert_eq!((s, code(&v)), (401, "bad_credentials"), "{v}");
    }
    // Even the right password waits now.
    let (s, v, retry) = login(&hub, "target", PASSWORD).await;
    assert_eq!((s, code(&v)), (429, "too_many_attempts"), "{v}");
    let wait = v["error"]["retry_after_s"].as_u64().expect("retry_after_s");
    assert!((1..=900).contains(&wait), "{v}");
    assert_eq!(retry, Some(wait.to_string()));
    // Other users are not locked out.
    let (s, _, _) = login(&hub, "admin", ADMIN_PASSWORD).await;
    assert_eq!(s, 200);
    // Unknown user names count too.
    for _ in 0..5 {
        login(&hub, "nobody", "whatever-password").await;
    }
    let (s, _, _) = login(&hub, "nobody", "whatever-password").await;
    assert_eq!(s, 429);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_and_deactivation_end_sessions_at_once() {
    let hub = TestHub::start().await;
    hub.seed().await;
    // Logout: 204, cookie cleared, the token is dead.
    let staff = user_session(&hub, "park.staff", "hq_staff", None).await;
    assert_eq!(staff.get("stores").await.0, 200);
    let r = hub
        .http
        .post(format!("{}/api/v1/auth/logout", hub.url))
        .bearer_auth(&staff.token)
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), 204);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cookie.starts_with("storelink_session=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    let (s, v) = staff.get("stores").await;
    assert_eq!((s, code(&v)), (401, "unauthorized"));

    // Deactivation: a session in use (and cached) stops at once; login is refused.
    let mgr = user_session(&hub, "choi.manager", "store_manager", Some("GN01")).await;
    assert_eq!(mgr.get("tills").await.0, 200);
    let (_, users) = admin(&hub).get("users").await;
    let id = users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == "choi.manager")
        .and_then(|u| u["id"].as_i64())
        .expect("id");
    let (s, v) = admin(&hub)
        .patch(&format!("users/{id}"), json!({"active": false}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["active"], false);
    let (s, _) = mgr.get("tills").await;
    assert_eq!(s, 401, "the deactivated manager's session ended");
    let (s, v, _) = login(&hub, "choi.manager", PASSWORD).await;
    assert_eq!((s, code(&v)), (403, "account_disabled"), "{v}");
    // Reactivated: may log in again.
    admin(&hub)
        .patch(&format!("users/{id}"), json!({"active": true}))
        .await;
    let (s, _, _) = login(&hub, "choi.manager", PASSWORD).await;
    assert_eq!(s, 200);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_actions_land_in_the_audit_log() {
    let hub = TestHub::start().await;
    hub.seed().await;
    login(&hub, "admin", "not-the-password").await;
    let e = hub.enrol("GN01").await;
    let (s, _) = hub
        .post(&format!("tills/{}/revoke", e.actor), json!({}))
        .await;
    assert_eq!(s, 200);
    create_user(
        &hub,
        json!({"username": "kim.cashier", "display_name": "Kim", "role": "cashier", "store": "GN01", "pin": "1234"}),
    )
    .await;
    let admin = admin(&hub);
    let (s, page) = admin.get("audit?limit=1000").await;
    assert_eq!(s, 200, "{page}");
    let entries = page["entries"].as_array().expect("entries");
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for want in [
        "login.ok",
        "login.failed",
        "store.create",
        "enrolment_code.create",
        "till.revoke",
        "user.create",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
    // Newest first, with who and when; secrets never in the detail.
    let first = &entries[0];
    assert_eq!(first["action"], "user.create");
    assert_eq!(first["username"], "admin");
    assert_eq!(first["target"], "kim.cashier");
    assert!(
        first["at_ms"]
            .as_u64()
            .is_some_and(|t| t > 1_600_000_000_000)
    );
    assert!(!first["detail"].to_string().contains("argon2"), "{first}");
    let revoke = entries
        .iter()
        .find(|e| e["action"] == "till.revoke")
        .expect("revoke");
    assert_eq!(revoke["target"], e.actor.to_string());
    // Filters and paging.
    let (_, stores) = admin.get("audit?action=store.create").await;
    assert_eq!(
        stores["entries"].as_array().map(Vec::len),
        Some(3),
        "{stores}"
    );
    let (_, p1) = admin.get("audit?action=store.create&limit=2").await;
    assert_eq!(p1["entries"].as_array().map(Vec::len), Some(2));
    let before = p1["next_before"].as_i64().expect("next_before");
    let (_, p2) = admin
        .get(&format!(
            "audit?action=store.create&limit=2&before={before}"
        ))
        .await;
    assert_eq!(p2["entries"].as_array().map(Vec::len), Some(1));
    assert!(p2["next_before"].is_null());
    let (_, failed) = admin.get("audit?user=admin&action=login.failed").await;
    assert_eq!(failed["entries"][0]["detail"]["reason"], "wrong password");
    let (s, _) = admin.get("audit?limit=0").await;
    assert_eq!(s, 400);
    hub.stop().await;
}

fn staff_of(frame: &Frame) -> Vec<sync_proto::people::StaffRecord> {
    let ops = match frame {
        Frame::Ops(b) => &b.ops,
        Frame::Snapshot(c) => &c.records,
        _ => return Vec::new(),
    };
    ops.iter()
        .filter_map(|op| match &op.body {
            OpBody::StaffSet(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_people_reach_their_store_tills_with_pin_hashes() {
    let hub = TestHub::start().await;
    hub.seed().await;
    // A connected GN01 till learns a new cashier live.
    let (_e, mut ws) = hub.welcomed("GN01", 0, 0).await;
    let kim = create_user(
        &hub,
        json!({"username": "kim.cashier", "display_name": "Kim", "role": "cashier", "store": "GN01", "pin": "1234"}),
    )
    .await;
    let f = recv_until(&mut ws, |f| !staff_of(f).is_empty()).await;
    let rec = staff_of(&f).remove(0);
    assert_eq!(rec.username, "kim.cashier");
    assert_eq!(rec.store.as_str(), "GN01");
    assert!(rec.active);
    let hash = rec.pin_hash.clone().expect("pin hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(hub_server::auth::verify_password("1234", &hash));

    // Deactivated: the till is told (a newer record, inactive).
    let id = kim["id"].as_i64().expect("id");
    let (s, _) = admin(&hub)
        .patch(&format!("users/{id}"), json!({"active": false}))
        .await;
    assert_eq!(s, 200);
    let f = recv_until(&mut ws, |f| !staff_of(f).is_empty()).await;
    let rec2 = staff_of(&f).remove(0);
    assert_eq!(rec2.id, rec.id);
    assert!(!rec2.active);

    // A new GN01 till gets the winning record in its snapshot; HD02's does not.
    let e = hub.enrol("GN01").await;
    let mut ws2 = connect(&hub.url, &e.credential).await.expect("connect");
    hello(&mut ws2, e.actor, 0, 0).await;
    let snap = recv_until(&mut ws2, |f| matches!(f, Frame::Snapshot(c) if c.done)).await;
    let recs = staff_of(&snap);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert!(!recs[0].active && recs[0].id == rec.id);
    let e = hub.enrol("HD02").await;
    let mut ws3 = connect(&hub.url, &e.credential).await.expect("connect");
    hello(&mut ws3, e.actor, 0, 0).await;
    let snap = recv_until(&mut ws3, |f| matches!(f, Frame::Snapshot(c) if c.done)).await;
    assert!(staff_of(&snap).is_empty());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_passwords_cannot_outrun_the_throttle() {
    // Twelve guesses at once: each is counted before its password is hashed,
    // so only five are checked and the rest wait, however they interleave.
    let hub = TestHub::start().await;
    create_user(
        &hub,
        json!({"username": "target", "display_name": "T", "role": "hq_staff", "password": PASSWORD}),
    )
    .await;
    let guesses = (0..12).map(|i| {
        let hub = &hub;
        async move { login(hub, "target", &format!("wrong-password-{i}")).await }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers.iter().filter(|(s, _, _)| *s == 401).count();
    let throttled = answers.iter().filter(|(s, _, _)| *s == 429).count();
    assert_eq!((checked, throttled), (5, 7), "{answers:?}");
    let (s, _, _) = login(&hub, "target", PASSWORD).await;
    assert_eq!(s, 429, "even the right password waits now");
    // A successful login does not use up the client's IP budget.
    for _ in 0..20 {
        let (s, _, _) = login(&hub, "admin", ADMIN_PASSWORD).await;
        assert_eq!(s, 200);
    }
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_ends_the_accounts_other_sessions() {
    let hub = TestHub::start().await;
    let staff = user_session(&hub, "park.staff", "hq_staff", None).await;
    let (_, me) = staff.get("auth/me").await;
    let id = me["id"].as_i64().expect("id");
    assert_eq!(staff.get("stores").await.0, 200, "cached and working");
    let (s, v) = admin(&hub)
        .patch(
            &format!("users/{id}"),
            json!({"password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = staff.get("stores").await;
    assert_eq!(
        (s, code(&v)),
        (401, "unauthorized"),
        "the old session ended"
    );
    let (s, _, _) = login(&hub, "park.staff", "a-brand-new-password").await;
    assert_eq!(s, 200);
    // Changing one's own password keeps the session that did it.
    let (_, me) = admin(&hub).get("auth/me").await;
    let admin_id = me["id"].as_i64().expect("id");
    let (s, v) = admin(&hub)
        .patch(
            &format!("users/{admin_id}"),
            json!({"password": "another-admin-password"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(admin(&hub).get("stores").await.0, 200);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_from_another_origin_are_refused() {
    // Some writes take no JSON body (revoke, cancel, enrolment codes, CSV
    // import, logout), so a form on a sibling subdomain — same site, the
    // SameSite=Strict cookie travels — could send them. The origin decides.
    let hub = TestHub::start().await;
    hub.seed().await;
    let e = hub.enrol("GN01").await;
    let host = hub.url.trim_start_matches("http://").to_owned();
    let revoke = format!("{}/api/v1/tills/{}/revoke", hub.url, e.actor);
    let cookie = format!("storelink_session={}", hub.token);
    let post = |headers: Vec<(&'static str, String)>| {
        let mut r = hub.http.post(&revoke).header("cookie", &cookie);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        async move {
            let r = r.send().await.expect("post");
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    for headers in [
        vec![("origin", "https://evil.example".to_owned())],
        vec![("origin", "null".to_owned())],
        vec![
            ("origin", format!("http://{host}")),
            ("sec-fetch-site", "same-site".to_owned()),
        ],
        vec![("sec-fetch-site", "cross-site".to_owned())],
    ] {
        let (s, v) = post(headers.clone()).await;
        assert_eq!((s, code(&v)), (403, "cross_origin"), "{headers:?}: {v}");
    }
    let (s, tills) = hub.get("tills").await;
    assert_eq!(s, 200);
    assert_eq!(tills[0]["revoked"], false, "nothing was revoked: {tills}");
    // A cross-origin login is refused too (login CSRF).
    let r = hub
        .http
        .post(hub.api("auth/login"))
        .header("origin", "https://evil.example")
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 403);
    // The console's own page, and clients that are not browsers, may.
    let (s, v) = post(vec![
        ("origin", format!("http://{host}")),
        ("sec-fetch-site", "same-origin".to_owned()),
    ])
    .await;
    assert_eq!(s, 200, "{v}");
    let e2 = hub.enrol("GN01").await;
    let (s, v) = hub
        .post(&format!("tills/{}/revoke", e2.actor), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    hub.stop().await;
}
