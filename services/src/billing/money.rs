//! Amounts as Stripe sends them (integers in the currency's smallest unit) written for people.

use crate::credits::as_credits;

/// Currencies Stripe counts in whole units (no cents): Stripe's documented zero-decimal list.
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// `900` `eur` → `EUR 9.00`; `500` `jpy` → `JPY 500`. `None` for a currency code that is not
/// three letters (nothing a person should read).
pub fn amount(minor: i64, currency: &str) -> Option<String> {
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str()) {
        return Some(format!("{code} {minor}"));
    }
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    Some(format!("{code} {sign}{}.{:02}", minor / 100, minor % 100))
}

/// `minor` in whole units of `currency` (`900` `eur` → 9.0; `500` `jpy` → 500.0), for charts.
pub fn units(minor: i64, currency: &str) -> f64 {
    if ZERO_DECIMAL.contains(&currency.to_ascii_lowercase().as_str()) {
        minor as f64
    } else {
        minor as f64 / 100.0
    }
}

/// Hundredths of a credit with their noun: `1 credit`, `2.5 credits`, `0 credits`.
pub fn phrase(hundredths: i64) -> String {
    match hundredths {
        100 => "1 credit".into(),
        _ => format!("{} credits", as_credits(hundredths)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_in_the_currency_s_units() {
        assert_eq!(amount(900, "eur").as_deref(), Some("EUR 9.00"));
        assert_eq!(amount(1999, "usd").as_deref(), Some("USD 19.99"));
        assert_eq!(amount(5, "gbp").as_deref(), Some("GBP 0.05"));
        assert_eq!(amount(500, "jpy").as_deref(), Some("JPY 500"));
        assert_eq!(amount(-250, "eur").as_deref(), Some("EUR -2.50"));
        assert_eq!(amount(900, "euro"), None);
        assert_eq!(amount(900, "e<r"), None);
    }

    #[test]
    fn credits_are_written_without_trailing_zeros() {
        let credits = |h| as_credits(h).to_string();
        assert_eq!(credits(10_000), "100");
        assert_eq!(credits(250), "2.5");
        assert_eq!(credits(25), "0.25");
        assert_eq!(credits(1), "0.01");
        assert_eq!(credits(0), "0");
        assert_eq!(credits(-125), "-1.25");
        assert_eq!(phrase(100), "1 credit");
        assert_eq!(phrase(250), "2.5 credits");
    }
}
