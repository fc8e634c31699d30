//! Members against the real hub: sign-up through the API and at a till
//! (offline MemberSet ops), the list and its search, purchases attached to
//! members, analytics (sign-ups per day, repeat rate, age band × category),
//! members in a new till's snapshot, and refusals of bad input.

mod common;

use common::*;
use serde_json::json;
use sync_proto::OpBody;
use sync_proto::people::{MemberField, member_id_for_phone};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_sign_up_buy_and_add_up_in_analytics() {
    let hub = TestHub::start().await;
    hub.seed_products(TEE_AND_JEANS).await;
    let d = today();

    // HQ signs up Jiwoo (born 1995) for Gangnam.
    let (s, v) = hub
        .post(
            "members",
            json!({"phone": "010-1234-5678", "name": "Jiwoo Park", "birth_year": 1995,
                   "marketing_consent": true, "store": "GN01"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let jiwoo = member_id_for_phone("01012345678").expect("id");
    assert_eq!(v["id"], jiwoo.to_string());
    assert_eq!(
        (
            v["phone"].clone(),
            v["home_store"].clone(),
            v["purchases"].clone()
        ),
        (json!("01012345678"), json!("GN01"), json!(0))
    );

    // A Hongdae till signs Minho (born 1980) up offline two days ago.
    let mut till = Till::open(&hub, "HD02").await;
    let (minho, ops) = till.signup("+82 10 9876 5432", "Minho Kim", 1980, at(d - 2, 12, 0));
    till.push(ops).await;

    // Purchases: Jiwoo twice (tops, then bottoms), Minho once, one anonymous sale.
    let (_, ops) = till.sale(&[("TSH-001", 2, TEE)], None, Some(jiwoo), at(d - 1, 11, 0));
    till.push(ops).await;
    let (_, ops) = till.sale(
        &[("JNS-002", 1, JEANS)],
        None,
        Some(jiwoo),
        at(d - 1, 18, 0),
    );
    till.push(ops).await;
    let (_, ops) = till.sale(&[("TSH-001", 1, TEE)], None, Some(minho), at(d - 1, 12, 0));
    till.push(ops).await;
    let (_, ops) = till.sale(&[("TSH-001", 1, TEE)], None, None, at(d - 1, 13, 0));
    till.push(ops).await;

    let (s, v) = hub.get("members").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 2);
    let (_, v) = hub.get("members?q=1234-5678").await;
    assert_eq!(v["total"], 1);
    assert_eq!(
        (
            v["items"][0]["name"].clone(),
            v["items"][0]["purchases"].clone(),
            v["items"][0]["spent"].clone()
        ),
        (json!("Jiwoo Park"), json!(2), json!(2 * TEE + JEANS))
    );
    let (_, v) = hub.get("members?q=minho").await;
    assert_eq!(v["items"][0]["id"], minho.to_string());
    assert_eq!(v["items"][0]["home_store"], "HD02");
    assert_eq!(v["items"][0]["birth_year"], 1980);
    let (_, v) = hub.get("members?store=GN01").await;
    assert_eq!(v["total"], 1);

    // Sales of a member, by phone or id.
    let (_, v) = hub.get("sales?member=010-1234-5678").await;
    assert_eq!(
        (v["count"].clone(), v["total_amount"].clone()),
        (json!(2), json!(2 * TEE + JEANS))
    );
    assert_eq!(v["sales"][0]["member"], jiwoo.to_string());
    let (_, v) = hub.get(&format!("sales?member={minho}")).await;
    assert_eq!(v["count"], 1);

    // Analytics over the last three days.
    let (s, v) = hub
        .get(&format!(
            "members/analytics?from={}&to={}",
            date(d - 2),
            date(d)
        ))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["members_total"], 2);
    assert_eq!(
        v["signups"],
        json!([{"date": date(d - 2), "count": 1}, {"date": date(d), "count": 1}])
    );
    assert_eq!(
        (v["purchasers"].clone(), v["repeat_purchasers"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(v["repeat_rate"], 0.5);
    let year: i64 = date(d)[..4].parse().expect("year");
    let band = |born: i64| format!("{}s", (year - born) / 10 * 10);
    let mut want = vec![
        json!({"band": band(1980), "category": "tops", "qty": 1, "revenue": TEE}),
        json!({"band": band(1995), "category": "bottoms", "qty": 1, "revenue": JEANS}),
        json!({"band": band(1995), "category": "tops", "qty": 2, "revenue": 2 * TEE}),
    ];
    want.sort_by_key(|j| (j["band"].to_string(), j["category"].to_string()));
    assert_eq!(v["age_bands"], json!(want));
    // One store, one day.
    let (_, v) = hub
        .get(&format!(
            "members/analytics?from={}&to={}&store=GN01",
            date(d - 1),
            date(d)
        ))
        .await;
    assert_eq!(v["members_total"], 1);
    assert_eq!(v["purchasers"], 0);
    assert_eq!(v["repeat_rate"], 0.0);

    // A new till of any store gets every member in its snapshot.
    let newcomer = Till::open(&hub, "GN01").await;
    let mut phones: Vec<String> = newcomer
        .snapshot_records
        .iter()
        .filter_map(|op| match &op.body {
            OpBody::MemberSet(m) => match &m.field {
                MemberField::Phone(p) => Some(p.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    phones.sort();
    assert_eq!(phones, ["+821098765432", "01012345678"]);
    let fields = newcomer
        .snapshot_records
        .iter()
        .filter(|op| matches!(&op.body, OpBody::MemberSet(m) if m.member == minho))
        .count();
    assert_eq!(fields, 6);

    // Refusals.
    let ok = json!({"phone": "010-5555-0000", "name": "X", "marketing_consent": false});
    let with = |k: &str, val: serde_json::Value| {
        let mut b = ok.clone();
        b[k] = val;
        b
    };
    for (body, status, code) in [
        (with("phone", json!("010-1234-5678")), 409, "member_exists"),
        (with("phone", json!("12ab")), 400, "invalid_input"),
        (with("name", json!(" ")), 400, "invalid_input"),
        (with("birth_year", json!(1850)), 400, "invalid_input"),
        (with("store", json!("XX99")), 404, "unknown_store"),
        (with("store", json!("bad store")), 400, "invalid_input"),
        (json!({"phone": "010-5555-0000"}), 400, "invalid_body"),
    ] {
        assert_refused(hub.post("members", body).await, status, code);
    }
    for (path, code) in [
        ("members?limit=0", "invalid_input"),
        (
            "members/analytics?from=2026-01-10&to=2026-01-01",
            "invalid_input",
        ),
        ("members/analytics?to=tomorrow", "invalid_input"),
        ("members?store=%20%20x", "invalid_input"),
    ] {
        assert_refused(hub.get(path).await, 400, code);
    }
    hub.stop().await;
}
