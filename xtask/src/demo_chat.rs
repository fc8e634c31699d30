//! The demo chain's chat and notices (issue 6), so the console's Chat, Notices and Requests
//! pages have something to show on first start:
//!
//! - a conversation in Gangnam's channel: a cashier asks at the till, HQ answers;
//! - requests raised at tills: a damaged delivery in Hongdae (open) and a broken fitting-room
//!   light in Myeongdong (HQ has taken it: in progress);
//! - an announcement to every store that each must acknowledge (Gangnam and Jamsil have, the
//!   others have not yet) and one for two stores that asks for no acknowledgement.
//!
//! Till messages and acknowledgements are real till ops (`pos-agent chat …`, signed with the
//! staff PINs of [`crate::demo_people`]); HQ's are REST calls. While the demo runs,
//! [`chatter`] has a till write to HQ now and then.

use anyhow::{Context, Result};
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::{Value, json};

use crate::demo::{Api, DemoTill, STORES};

/// What a store writes to HQ while the demo runs.
const STORE_LINES: [&str; 8] = [
    "오늘 오후 입고 예정 맞나요? Is today's delivery still coming this afternoon?",
    "슬림 진 30 인디고 재고 요청드립니다. Could we get more slim jeans 30 indigo?",
    "매장 앞 행사 배너 교체했습니다. The event banner outside has been replaced.",
    "POS 영수증 용지가 다 떨어져 갑니다. We are running low on receipt paper.",
    "주말 인력 한 명 더 필요합니다. We need one more person this weekend.",
    "고객이 트렌치코트 베이지 M을 찾습니다. A customer is asking for the trench coat beige M.",
    "타임딜 POP 잘 받았습니다. The time-deal posters arrived, thanks.",
    "피팅룸 거울 설치 완료했습니다. The fitting-room mirror is up.",
];

/// The till of a store, if the demo runs one there.
fn till_of<'a>(tills: &'a [DemoTill], store: &str) -> Result<&'a DemoTill> {
    tills
        .iter()
        .find(|t| t.store == store)
        .with_context(|| format!("no demo till in {store}"))
}

fn message_id(json_line: &str) -> Result<String> {
    let v: Value = serde_json::from_str(json_line).context("pos-agent chat send --json")?;
    Ok(v["id"].as_str().context("message id")?.to_owned())
}

/// Seed the conversations, requests and announcements (before the tills go online: each
/// till syncs once here).
pub fn seed(api: &Api, tills: &[DemoTill]) -> Result<()> {
    let every_store = api.post(
        "chat/announcements",
        json!({
            "title": "겨울 시즌 VMD 가이드 Winter visual merchandising guide",
            "text": "월요일 개점 전까지 새 윈도 디스플레이를 설치하고 확인을 눌러 주세요.\n\
                     Please set up the new window display before opening on Monday and acknowledge.",
            "requires_ack": true,
            "audience": {"all": true},
        }),
    )?;
    let announcement = every_store["id"]
        .as_str()
        .context("announcement id")?
        .to_owned();
    api.post(
        "chat/announcements",
        json!({
            "title": "주말 타임딜 안내 Weekend time deal",
            "text": "토요일 14–18시 후디 20% 할인. Hoodies −20% on Saturday, 2–6 pm.",
            "requires_ack": false,
            "audience": {"stores": ["GN01", "HD02"]},
        }),
    )?;

    let gangnam = till_of(tills, "GN01")?;
    gangnam.ok(&[
        "chat",
        "send",
        "어제 받은 니트 중 2장에 올 풀림이 있습니다. Two of yesterday's cable knits have pulled threads.",
        "--pin",
        "1111",
    ])?;
    gangnam.ok(&["sync", "--once"])?;
    api.post(
        "chat/channels/store:GN01/messages",
        json!({"text": "확인했습니다. 내일 교환 물량 보내드릴게요. Thanks — replacements go out tomorrow."}),
    )?;

    let hongdae = till_of(tills, "HD02")?;
    hongdae.ok(&[
        "chat",
        "send",
        "오늘 입고 박스 2개가 파손되어 왔습니다. Two boxes of today's delivery arrived crushed.",
        "--ticket",
        "delivery",
        "--pin",
        "9000",
    ])?;
    let myeongdong = till_of(tills, "MD03")?;
    let light = message_id(&myeongdong.ok(&[
        "chat",
        "send",
        "피팅룸 2번 조명이 나갔습니다. The light in fitting room 2 is out.",
        "--ticket",
        "facilities",
        "--pin",
        "9000",
        "--json",
    ])?)?;
    for till in tills {
        till.ok(&["sync", "--once"])?;
    }
    api.post(
        &format!("chat/tickets/{light}/status"),
        json!({"status": "in_progress"}),
    )?;
    for store in ["GN01", "JS04"] {
        let till = till_of(tills, store)?;
        till.ok(&["chat", "ack", &announcement, "--pin", "9000"])?;
        till.ok(&["sync", "--once"])?;
    }
    eprintln!(
        "seeded chat: a conversation in GN01, requests from HD02 (open) and MD03 (in progress), \
         2 announcements (acknowledged by 2 of {} stores)",
        STORES.len()
    );
    Ok(())
}

/// Now and then (about one call in `every`), a till writes one of the stores' usual lines to
/// HQ, signed by a cashier; offline tills send it when they come back.
pub fn chatter(till: &DemoTill, every: u32, rng: &mut impl Rng) -> Option<Result<String>> {
    if !rng.gen_ratio(1, every.max(1)) {
        return None;
    }
    let line = STORE_LINES.choose(rng).copied().unwrap_or(STORE_LINES[0]);
    let pin = if rng.gen_bool(0.5) { "1111" } else { "2222" };
    Some(
        till.ok(&["chat", "send", line, "--pin", pin])
            .map(|_| line.to_owned()),
    )
}
