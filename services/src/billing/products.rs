//! What is for sale: the operator's credit packs (one-time) and monthly plans, read at start from
//! a JSON file (`IMGIGO_PRODUCTS`). Each names the Stripe price that is charged (for a plan, a
//! monthly recurring price) and the credits it grants (for a plan, each month it is paid); the
//! credits come from this file only, never from what a payment's metadata says.
//!
//! ```json
//! { "packs": [ { "id": "credits-100", "name": "100 credits", "price": "price_1Qx…",
//!                "credits": 100, "shown_price": "€9" } ],
//!   "plans": [ { "id": "pro", "name": "Pro", "price": "price_1Qy…",
//!                "credits": 500, "shown_price": "€29 a month" } ] }
//! ```

use serde::Deserialize;

/// At most this many packs, each text at most this long.
const MAX_PACKS: usize = 20;
const MAX_TEXT: usize = 100;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Products {
    pub packs: Vec<Pack>,
    /// Monthly plans: the same fields, `hundredths` granted with each paid month.
    pub plans: Vec<Pack>,
}

/// A one-time purchase of credits, or a monthly plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pack {
    /// Our name for it, in links and in the checkout's metadata (`credits-100`).
    pub id: String,
    /// What the pricing page calls it.
    pub name: String,
    /// The Stripe price charged (`price_…`).
    pub price: String,
    /// Credits granted, in hundredths.
    pub hundredths: i64,
    /// The price as the pricing page shows it (`€9`); Stripe's checkout shows the real one.
    pub shown_price: String,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    packs: Vec<PackEntry>,
    #[serde(default)]
    plans: Vec<PackEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackEntry {
    /// Our name for it, in links and in the checkout's metadata (`credits-100`).
    id: String,
    /// What the pricing page calls it.
    name: String,
    /// The Stripe price charged (`price_…`).
    price: String,
    /// Credits granted (at most two decimals).
    credits: f64,
    /// The price as the pricing page shows it (`€9`); Stripe's checkout shows the real one.
    shown_price: String,
}

impl Products {
    /// Reads and checks the products file; the error says what to fix.
    pub fn parse(json: &str) -> Result<Self, String> {
        let file: File =
            serde_json::from_str(json).map_err(|err| format!("not a products file: {err}"))?;
        if file.packs.len() + file.plans.len() > MAX_PACKS {
            return Err(format!("at most {MAX_PACKS} packs and plans together"));
        }
        // Ids are unique across packs and plans: a checkout's metadata names one of them.
        let mut ids = std::collections::HashSet::new();
        let mut checked = |entries: Vec<PackEntry>| -> Result<Vec<Pack>, String> {
            entries
                .into_iter()
                .map(|entry| {
                    let pack = check(entry)?;
                    if !ids.insert(pack.id.clone()) {
                        return Err(format!("{:?} is listed twice", pack.id));
                    }
                    Ok(pack)
                })
                .collect()
        };
        let packs = checked(file.packs)?;
        let plans = checked(file.plans)?;
        Ok(Products { packs, plans })
    }

    pub fn pack(&self, id: &str) -> Option<&Pack> {
        self.packs.iter().find(|pack| pack.id == id)
    }

    pub fn plan(&self, id: &str) -> Option<&Pack> {
        self.plans.iter().find(|plan| plan.id == id)
    }
}

/// One entry, checked: the error says what to fix.
fn check(pack: PackEntry) -> Result<Pack, String> {
    for (what, text) in [
        ("id", &pack.id),
        ("name", &pack.name),
        ("price", &pack.price),
        ("shown_price", &pack.shown_price),
    ] {
        if text.trim().is_empty() || text.len() > MAX_TEXT {
            return Err(format!(
                "{:?}: `{what}` must be 1 to {MAX_TEXT} characters",
                pack.id
            ));
        }
    }
    if !pack
        .id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "{:?}: `id` may hold only letters, digits, - and _",
            pack.id
        ));
    }
    let hundredths = pack.credits * 100.0;
    if !(1.0..=100_000_000.0).contains(&hundredths)
        || (hundredths - hundredths.round()).abs() > 1e-6
    {
        return Err(format!(
            "{:?}: `credits` must be 0.01 to 1000000, with at most two decimals",
            pack.id
        ));
    }
    Ok(Pack {
        id: pack.id,
        name: pack.name,
        price: pack.price,
        hundredths: hundredths.round() as i64,
        shown_price: pack.shown_price,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_products_file_is_read_and_checked() {
        let products = Products::parse(
            r#"{"packs":[{"id":"credits-100","name":"100 credits","price":"price_1","credits":100,"shown_price":"€9"},
                         {"id":"credits-2.5","name":"a few","price":"price_2","credits":2.5,"shown_price":"€1"}]}"#,
        );
        assert!(products.is_err(), "a dot is not allowed in an id");
        let products = Products::parse(
            r#"{"packs":[{"id":"credits-100","name":"100 credits","price":"price_1","credits":100,"shown_price":"€9"},
                         {"id":"few","name":"a few","price":"price_2","credits":2.5,"shown_price":"€1"}]}"#,
        )
        .expect("valid");
        assert_eq!(products.pack("few").map(|p| p.hundredths), Some(250));
        assert_eq!(
            products.pack("credits-100").map(|p| p.hundredths),
            Some(10_000)
        );
        assert_eq!(products.pack("nope"), None);
        let products = Products::parse(
            r#"{"packs":[],"plans":[{"id":"pro","name":"Pro","price":"price_m","credits":500,"shown_price":"€29 a month"}]}"#,
        )
        .expect("valid");
        assert_eq!(products.plan("pro").map(|p| p.hundredths), Some(50_000));
        assert_eq!(products.pack("pro"), None, "a plan is not a pack");
        for bad in [
            r#"{"packs":[{"id":"a","name":"","price":"p","credits":1,"shown_price":"€1"}]}"#,
            r#"{"packs":[{"id":"a","name":"n","price":"p","credits":0.001,"shown_price":"€1"}]}"#,
            r#"{"packs":[{"id":"a","name":"n","price":"p","credits":-1,"shown_price":"€1"}]}"#,
            r#"{"packs":[{"id":"a","name":"n","price":"p","credits":1,"shown_price":"€1","extra":1}]}"#,
            r#"{"packs":[{"id":"a","name":"n","price":"p","credits":1,"shown_price":"€1"},{"id":"a","name":"n","price":"p","credits":1,"shown_price":"€1"}]}"#,
            r#"{"packs": 3}"#,
            r#"{"packs":[{"id":"a","name":"n","price":"p","credits":1,"shown_price":"€1"}],"plans":[{"id":"a","name":"n","price":"p","credits":1,"shown_price":"€1"}]}"#,
            "not json",
        ] {
            assert!(Products::parse(bad).is_err(), "{bad}");
        }
    }
}
