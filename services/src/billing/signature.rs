//! Stripe's webhook signatures, checked before anything in the body is read. The
//! `Stripe-Signature` header is `t=<unix seconds>,v1=<hex>[,v1=<hex>…]`; each `v1` is the
//! HMAC-SHA256, under the endpoint's signing secret, of `<t>.<the raw body>`. A delivery is
//! genuine when any `v1` matches under any configured secret (several while a secret is rotated;
//! Stripe sends one signature per active secret) and `t` is within the tolerance of now, so an
//! old delivery captured on the way cannot be replayed later. Other schemes (`v0`) are ignored.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signature's time may be from ours, either way (Stripe's libraries use 5 minutes).
pub const TOLERANCE_SECONDS: i64 = 300;
/// A header longer than this is not Stripe's (a handful of signatures).
const MAX_HEADER: usize = 4096;

/// Why a delivery is refused; each is answered 400, and Stripe retries later.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("no Stripe-Signature header, or not one Stripe writes")]
    Malformed,
    #[error("the signature's time is more than five minutes from ours")]
    Stale,
    #[error("no signature matches this endpoint's secret")]
    Mismatch,
}

/// Checks `header` (the `Stripe-Signature` value) against `body` under each of `secrets`.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &[String],
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    if header.len() > MAX_HEADER {
        return Err(Refused::Malformed);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| Refused::Malformed)?),
            // A SHA-256 digest: 64 hex digits.
            "v1" if value.len() == 64 => {
                if let Some(bytes) = crate::secret::decode_hex(value) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Refused::Malformed)?;
    if signatures.is_empty() {
        return Err(Refused::Malformed);
    }
    let matches = secrets.iter().any(|secret| {
        let mac = mac(secret, timestamp, body);
        // `verify_slice` compares in constant time.
        signatures
            .iter()
            .any(|candidate| mac.clone().verify_slice(candidate).is_ok())
    });
    if !matches {
        return Err(Refused::Mismatch);
    }
    if (now.timestamp() - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(Refused::Stale);
    }
    Ok(())
}

/// The header Stripe would send for `body` signed with `secret` at `timestamp` (tests and the
/// local stand-ins sign their deliveries with it).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={digest:x}")
}

/// HMAC-SHA256 under `secret` of `<timestamp>.<body>`.
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().expect("time")
    }

    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    #[test]
    fn a_known_signature_is_stripes_scheme() {
        // Computed independently: python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test",
        // b"1700000000." + BODY, hashlib.sha256).hexdigest())'
        assert_eq!(
            sign(BODY, "whsec_test", 1_700_000_000),
            "t=1700000000,v1=749721cbedbfa4cc1aa6c9c2bec1edd93766a07906c9d9b3dbc7626e4e660caf"
        );
    }

    #[test]
    fn any_matching_signature_under_any_secret_is_accepted() {
        let secrets = vec!["whsec_new".to_string(), "whsec_old".to_string()];
        let now = at(1_700_000_100);
        let old = sign(BODY, "whsec_old", 1_700_000_000);
        assert_eq!(verify(&old, BODY, &secrets, now), Ok(()));
        // Stripe sends one v1 per active secret, in any order, and a v0 we ignore.
        let other = sign(BODY, "whsec_elsewhere", 1_700_000_000);
        let v1_other = other.split(',').nth(1).expect("v1");
        let v1_old = old.split(',').nth(1).expect("v1");
        let header = format!("t=1700000000,v0=abc,{v1_other},{v1_old}");
        assert_eq!(verify(&header, BODY, &secrets, now), Ok(()));
    }

    #[test]
    fn tampered_stale_or_foreign_deliveries_are_refused() {
        let secrets = vec!["whsec_test".to_string()];
        let header = sign(BODY, "whsec_test", 1_700_000_000);
        let now = at(1_700_000_000);
        let tampered = br#"{"id":"evt_1","type":"checkout.session.completed "}"#;
        assert_eq!(
            verify(&header, tampered, &secrets, now),
            Err(Refused::Mismatch)
        );
        assert_eq!(
            verify(&header, BODY, &["whsec_other".to_string()], now),
            Err(Refused::Mismatch)
        );
        assert_eq!(
            verify(&header, BODY, &secrets, at(1_700_000_301)),
            Err(Refused::Stale)
        );
        assert_eq!(
            verify(&header, BODY, &secrets, at(1_699_999_699)),
            Err(Refused::Stale)
        );
        assert_eq!(verify(&header, BODY, &secrets, at(1_700_000_300)), Ok(()));
        // The signed time cannot be moved: it is part of what is signed.
        let moved = header.replace("t=1700000000", "t=1700000400");
        assert_eq!(
            verify(&moved, BODY, &secrets, at(1_700_000_400)),
            Err(Refused::Mismatch)
        );
        for bad in [
            "",
            "t=abc,v1=00",
            "v1=00",
            "t=1700000000",
            "t=1700000000,v1=zz",
        ] {
            assert_eq!(
                verify(bad, BODY, &secrets, now),
                Err(Refused::Malformed),
                "{bad:?}"
            );
        }
    }
}
