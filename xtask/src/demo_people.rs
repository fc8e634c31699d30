//! The people and history of the demo chain, so the console is alive on first start.
//!
//! - Accounts: an HQ planner (`hq_staff`), a manager and two cashiers per store with till PINs
//!   (the PIN hashes reach the store's tills as `StaffSet` ops, so cashiers unlock offline).
//! - Members with phone numbers and birth years across the stores (the age-band analytics).
//! - Prices: a time deal running now and a season price that starts tomorrow (tills hold both
//!   ahead of time and switch on their own clock).
//! - History: the same weekday last week and the earlier hours of today, entered at each demo
//!   till as sales from the paper fallback book (`pos-agent sell --sold-at-ms`), so the
//!   dashboard has a "last week" to compare with. Every one of these is a real till sale that
//!   syncs like any other.

use anyhow::Result;
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::json;

use crate::demo::{Api, DemoTill, Product, STORES};

/// Password of every demo account (as for `admin`).
pub const DEMO_PASSWORD: &str = "storelink-demo";

/// Till PINs of every store's people: (username suffix, display name, role, PIN).
pub const STORE_PEOPLE: [(&str, &str, &str, &str); 3] = [
    ("manager", "점장 Manager", "store_manager", "9000"),
    ("kim", "김민지 Kim Minji", "cashier", "1111"),
    ("lee", "이준호 Lee Junho", "cashier", "2222"),
];

const FAMILY: [&str; 10] = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"];
const GIVEN: [&str; 10] = [
    "민준", "서연", "도윤", "지우", "하준", "서윤", "예준", "하은", "지호", "수아",
];

/// A demo member: their phone and home store.
pub struct DemoMember {
    /// Phone number as typed at the till.
    pub phone: String,
    /// The store that signed them up.
    pub store: &'static str,
}

/// HQ planner, store managers and cashiers with PINs.
pub fn seed_accounts(api: &Api) -> Result<()> {
    api.post(
        "users",
        json!({"username": "planner", "display_name": "본사 MD Planner", "role": "hq_staff",
               "password": DEMO_PASSWORD}),
    )?;
    for (code, _) in STORES {
        for (suffix, name, role, pin) in STORE_PEOPLE {
            let mut body = json!({
                "username": format!("{}.{suffix}", code.to_lowercase()),
                "display_name": name,
                "role": role,
                "store": code,
                "pin": pin,
            });
            if role == "store_manager" {
                body["password"] = json!(DEMO_PASSWORD);
            }
            api.post("users", body)?;
        }
    }
    Ok(())
}

/// About fifteen members per store, born between 1960 and 2008.
pub fn seed_members(api: &Api) -> Result<Vec<DemoMember>> {
    let mut rng = rand::thread_rng();
    let mut members = Vec::new();
    for (i, (code, _)) in STORES.iter().enumerate() {
        for j in 0..15 {
            let phone = format!(
                "010-{:04}-{:04}",
                3000 + i * 100 + j,
                rng.gen_range(0..10_000)
            );
            let name = format!(
                "{}{}",
                FAMILY[rng.gen_range(0..FAMILY.len())],
                GIVEN[rng.gen_range(0..GIVEN.len())]
            );
            // Fashion's customers skew young: most in their 20s and 30s.
            let birth_year = match rng.gen_range(0..10) {
                0..=3 => rng.gen_range(1996..=2006),
                4..=7 => rng.gen_range(1986..=1995),
                _ => rng.gen_range(1960..=1985),
            };
            api.post(
                "members",
                json!({"phone": phone, "name": name, "birth_year": birth_year,
                       "store": code, "marketing_consent": rng.gen_bool(0.6)}),
            )?;
            members.push(DemoMember { phone, store: code });
        }
    }
    Ok(members)
}

/// A two-hour deal on hoodies running now and a knitwear season price from tomorrow
/// (style codes as `demo::catalog_csv` writes them: `HDY-005`, `KNT-004`).
pub fn seed_prices(api: &Api, now_ms: u64) -> Result<()> {
    let hour = 3_600_000;
    api.post(
        "price-rules",
        json!({"style": "HDY-005", "price": 44_000, "valid_from_ms": now_ms - hour,
               "valid_to_ms": now_ms + 2 * hour, "label": "타임딜 Time deal -20%"}),
    )?;
    api.post(
        "price-rules",
        json!({"style": "KNT-004", "price": 59_000, "valid_from_ms": now_ms + 24 * hour,
               "label": "시즌 오프 Season off"}),
    )?;
    Ok(())
}

/// Options for one simulated sale at a demo till: who rings it up and for whom.
pub fn sale_extras(till: &DemoTill, members: &[DemoMember], rng: &mut impl Rng) -> Vec<String> {
    let mut args = Vec::new();
    let (_, _, _, pin) = STORE_PEOPLE[rng.gen_range(1..STORE_PEOPLE.len())];
    args.extend(["--pin".to_owned(), pin.to_owned()]);
    if rng.gen_bool(0.45) {
        let own: Vec<&DemoMember> = members.iter().filter(|m| m.store == till.store).collect();
        if let Some(m) = own.choose(rng) {
            args.extend(["--member".to_owned(), m.phone.clone()]);
        }
    }
    args
}

/// A random basket: 1–3 SKUs, 1–2 of each.
pub fn basket(products: &[Product], rng: &mut impl Rng) -> Vec<String> {
    (0..rng.gen_range(1..=3))
        .map(|_| {
            let p = &products[rng.gen_range(0..products.len())];
            format!("{}:{}", p.sku, rng.gen_range(1..=2))
        })
        .collect()
}

/// Sales of the same weekday last week (the whole trading day, 10:00–22:00 KST) and of today
/// before the demo started, entered at each till from the paper book. Returns how many.
pub fn backfill(
    tills: &[DemoTill],
    products: &[Product],
    members: &[DemoMember],
    now_ms: u64,
    per_till: usize,
) -> Result<usize> {
    const KST_MS: u64 = 9 * 3_600_000;
    const DAY_MS: u64 = 86_400_000;
    let mut rng = rand::thread_rng();
    let today_kst = (now_ms + KST_MS) / DAY_MS * DAY_MS - KST_MS;
    let open = 10 * 3_600_000;
    let close = 22 * 3_600_000;
    let mut made = 0;
    for till in tills {
        for i in 0..per_till {
            // Two thirds last week (a full day), one third today so far.
            let at = if i % 3 != 2 {
                today_kst - 7 * DAY_MS + rng.gen_range(open..close)
            } else {
                let until = now_ms.saturating_sub(today_kst).clamp(open + 60_000, close);
                today_kst + rng.gen_range(open..until)
            };
            if at >= now_ms {
                continue;
            }
            let mut args = vec!["sell".to_owned()];
            args.extend(basket(products, &mut rng));
            args.extend(sale_extras(till, members, &mut rng));
            args.extend(["--sold-at-ms".to_owned(), at.to_string()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            till.ok(&args)?;
            made += 1;
        }
    }
    Ok(made)
}
