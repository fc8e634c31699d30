//! Printable receipts: plain text for a 42-column thermal printer, and the
//! Code 128 encoding of the receipt number for its barcode.
//!
//! Receipt numbers (`GN01-03-000042`) use only upper-case letters, digits and
//! `-`, all in Code 128 set B. [`code128_widths`] gives the bar/space module
//! widths (start B, data, mod-103 check symbol, stop) that a printer driver or
//! the desktop app draws; the text receipt prints the number as the barcode's
//! human-readable line.

use std::fmt::Write as _;

use sync_proto::op::{Money, ReturnRecord, SaleRecord, Tender};

const WIDTH: usize = 42;

/// Code 128 symbol patterns: element widths, bar first (index = symbol value;
/// 106 = stop).
const PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];
const START_B: usize = 104;
const STOP: usize = 106;

/// Code 128 (set B) symbol values of `data`: start, data, check, stop; `None`
/// if a character is outside printable ASCII.
pub fn code128_symbols(data: &str) -> Option<Vec<usize>> {
    let mut symbols = vec![START_B];
    for b in data.bytes() {
        if !(32..=126).contains(&b) {
            return None;
        }
        symbols.push(usize::from(b - 32));
    }
    let check = symbols
        .iter()
        .enumerate()
        .map(|(i, v)| if i == 0 { *v } else { i * v })
        .sum::<usize>()
        % 103;
    symbols.push(check);
    symbols.push(STOP);
    Some(symbols)
}

/// Bar/space module widths of the Code 128 barcode of `data` (digits 1-4,
/// starting with a bar), or `None` if `data` cannot be encoded.
pub fn code128_widths(data: &str) -> Option<String> {
    let symbols = code128_symbols(data)?;
    Some(
        symbols
            .iter()
            .filter_map(|s| PATTERNS.get(*s).copied())
            .collect(),
    )
}

/// Format an amount in minor units for printing (`39,000 KRW`, `12.50 EUR`).
pub fn format_money(amount: Money, currency: &str) -> String {
    let decimals = match currency {
        "KRW" | "JPY" | "VND" | "CLP" | "ISK" => 0,
        _ => 2,
    };
    let neg = amount < 0;
    let abs = amount.unsigned_abs();
    let (units, minor) = if decimals == 0 {
        (abs, None)
    } else {
        (abs / 100, Some(abs % 100))
    };
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if neg { "-" } else { "" };
    match minor {
        Some(m) => format!("{sign}{grouped}.{m:02} {currency}"),
        None => format!("{sign}{grouped} {currency}"),
    }
}

pub(crate) fn line(out: &mut String, left: &str, right: &str) {
    let pad = WIDTH
        .saturating_sub(left.chars().count() + right.chars().count())
        .max(1);
    let _ = writeln!(out, "{left}{}{right}", " ".repeat(pad));
}

pub(crate) fn rule(out: &mut String) {
    let _ = writeln!(out, "{}", "-".repeat(WIDTH));
}

pub(crate) fn format_time(ms: u64) -> String {
    // UTC, without a date library: days since epoch → civil date.
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02}:{s:02} UTC")
}

fn barcode(out: &mut String, receipt: &str) {
    rule(out);
    let _ = writeln!(out, "barcode (Code 128): {receipt}");
    if let Some(w) = code128_widths(receipt) {
        let _ = writeln!(out, "bars: {w}");
    }
}

fn tenders(out: &mut String, title: &str, tenders: &[Tender], currency: &str) {
    for t in tenders {
        line(
            out,
            &format!("{title} {}", t.kind.as_str()),
            &format_money(t.amount, currency),
        );
    }
}

/// The printable text of a sale receipt (with returns made against it so far).
pub fn render_sale(sale: &SaleRecord, returns: &[ReturnRecord], store_name: &str) -> String {
    render_sale_labelled(sale, returns, store_name, &[])
}

/// [`render_sale`] with the label of the price rule (deal, season price) that
/// set each line's price, printed next to the line (`labels[i]` for line `i`).
pub fn render_sale_labelled(
    sale: &SaleRecord,
    returns: &[ReturnRecord],
    store_name: &str,
    labels: &[Option<String>],
) -> String {
    let mut out = String::new();
    let c = sale.currency.as_str();
    let _ = writeln!(out, "{store_name} ({})", sale.store);
    line(&mut out, "SALE", sale.receipt.as_str());
    let _ = writeln!(out, "{}", format_time(sale.sold_at_ms));
    if let Some(cashier) = &sale.cashier {
        let _ = writeln!(out, "cashier: {cashier}");
    }
    if sale.member.is_some() {
        let _ = writeln!(out, "member sale");
    }
    rule(&mut out);
    for (i, l) in sale.lines.iter().enumerate() {
        let _ = writeln!(out, "{} {}", l.sku, l.name);
        let label = match labels.get(i) {
            Some(Some(label)) => format!(" [{label}]"),
            _ => String::new(),
        };
        line(
            &mut out,
            &format!("  {} x {}{label}", l.qty, format_money(l.unit_price, c)),
            &format_money(l.line_total, c),
        );
        if l.discount > 0 {
            line(&mut out, "  discount", &format_money(-l.discount, c));
        }
    }
    rule(&mut out);
    line(&mut out, "TOTAL", &format_money(sale.total, c));
    tenders(&mut out, "paid", &sale.tenders, c);
    if sale.change_given > 0 {
        line(&mut out, "change", &format_money(sale.change_given, c));
    }
    for r in returns {
        line(
            &mut out,
            &format!("returned on {}", r.receipt),
            &format_money(-r.total_refund, c),
        );
    }
    barcode(&mut out, sale.receipt.as_str());
    out
}

/// The printable text of a return receipt.
pub fn render_return(r: &ReturnRecord, store_name: &str) -> String {
    let mut out = String::new();
    let c = r.currency.as_str();
    let _ = writeln!(out, "{store_name} ({})", r.store);
    line(&mut out, "RETURN", r.receipt.as_str());
    let _ = writeln!(out, "{}", format_time(r.returned_at_ms));
    let _ = writeln!(out, "against sale {}", r.original_receipt);
    rule(&mut out);
    for l in &r.lines {
        line(
            &mut out,
            &format!("{} x {}", l.qty, l.sku),
            &format_money(-l.refund, c),
        );
    }
    rule(&mut out);
    line(&mut out, "TOTAL REFUND", &format_money(r.total_refund, c));
    tenders(&mut out, "refund", &r.refunds, c);
    barcode(&mut out, r.receipt.as_str());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code128_of_a_receipt_number() {
        let symbols = code128_symbols("GN01-01-000042").expect("encodable");
        assert_eq!(symbols.first(), Some(&START_B));
        assert_eq!(symbols.last(), Some(&STOP));
        // 'G' = 71 - 32 = 39.
        assert_eq!(symbols[1], 39);
        let widths = code128_widths("GN01-01-000042").expect("encodable");
        let modules: u32 = widths.chars().filter_map(|c| c.to_digit(10)).sum();
        // start + 14 data + check = 16 symbols of 11 modules, stop 13.
        assert_eq!(modules, 16 * 11 + 13);
        assert!(code128_widths("caf\u{e9}").is_none());
        for p in PATTERNS.iter().take(106) {
            assert_eq!(p.chars().filter_map(|c| c.to_digit(10)).sum::<u32>(), 11);
        }
    }

    #[test]
    fn known_check_digit() {
        // "Wikipedia" in set B:
        // 104 + 55*1 + 73*2 + 75*3 + 73*4 + 80*5 + 69*6 + 68*7 + 73*8 + 65*9 = 3281; 3281 % 103 = 88.
        let s = code128_symbols("Wikipedia").expect("ok");
        assert_eq!(s[s.len() - 2], 88);
    }

    #[test]
    fn money_and_time_formatting() {
        assert_eq!(format_money(39_000, "KRW"), "39,000 KRW");
        assert_eq!(format_money(1_234_567, "KRW"), "1,234,567 KRW");
        assert_eq!(format_money(-500, "KRW"), "-500 KRW");
        assert_eq!(format_money(1250, "EUR"), "12.50 EUR");
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_700_000_000_000), "2023-11-14 22:13:20 UTC");
    }
}
