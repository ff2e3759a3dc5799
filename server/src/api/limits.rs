//! The API's door: `X-Api-Key` identifies a caller (per-key limits), anyone else is limited per
//! address — per /64 for IPv6 — (never stored or logged), and wrong keys are throttled per address;
//! answers carry `X-RateLimit-Limit`, `-Remaining` and `-Reset`.

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::response::Response;
use services::accounts::api_keys::{self, KeyIdentity};
use services::ratelimit::{Allowance, Verdict, bucket};
use services::{AppState, Error};

use super::reply::set;

/// Who is calling: the owner of a valid `X-Api-Key` (per-key limits) or an anonymous address
/// (per-IP limits).
#[derive(Clone, Debug)]
pub enum Caller {
    Key(KeyIdentity),
    Anonymous(IpAddr),
}

/// Who owns what this request creates: the API key's account, if any (with the state to record it).
#[derive(Clone)]
pub struct Owner {
    pub app: AppState,
    pub user_id: i64,
}

impl Owner {
    /// The owner behind the key that [`guarded`] identified, if the caller used one.
    pub fn of(app: &AppState, request: &Request) -> Option<Self> {
        match request.extensions().get::<Caller>() {
            Some(Caller::Key(identity)) => Some(Self {
                app: app.clone(),
                user_id: identity.user_id,
            }),
            _ => None,
        }
    }

    /// Records a result the account created, so deleting the account destroys it.
    pub async fn record(&self, cutout: &services::cutout::Cutout) -> Result<(), Error> {
        services::accounts::results::record(
            &self.app,
            self.user_id,
            cutout.id.as_str(),
            cutout.expires_at,
        )
        .await
    }
}

/// Runs `work` as a paid call of `cost` hundredths of a credit for `owner`'s account (payments on
/// and a key used): charged before it starts (too few credits: 402 `insufficient_credits`, and
/// nothing is done), given back if it fails. Returns what it produced and what was charged.
pub async fn paid<T>(
    owner: Option<&Owner>,
    cost: i64,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<(T, i64), Error> {
    let charge = match owner {
        Some(owner) => services::credits::charge_call(&owner.app, owner.user_id, cost).await?,
        None => None,
    };
    match work.await {
        Ok(value) => Ok((value, charge.map_or(0, |c| c.amount))),
        Err(err) => {
            if let (Some(owner), Some(charge)) = (owner, &charge)
                && let Err(refund) = services::credits::refund_call(&owner.app, charge).await
            {
                tracing::error!(error = %refund, "giving back a failed call's credits failed");
            }
            Err(err)
        }
    }
}

/// Identifies the caller, then runs `handler` if their bucket has room, adding the allowance
/// headers. A bad key or a full bucket is answered by `failure` (each API words errors in its own
/// shape) — 401/403 for the key, 429 with `Retry-After` for the limit.
pub async fn guarded<Fut: Future<Output = Response>>(
    app: &AppState,
    mut request: Request,
    failure: impl FnOnce(Error) -> Response,
    handler: impl FnOnce(Request) -> Fut,
) -> Response {
    let caller = match identify(app, request.headers(), client_ip(app, &request)).await {
        Ok(caller) => caller,
        Err(err) => return failure(err),
    };
    let verdict = match &caller {
        Caller::Key(identity) => app.key_limiter.check(identity.key_id),
        Caller::Anonymous(ip) => app.limiter.check(bucket(*ip)),
    };
    match verdict {
        Verdict::Allowed(allowance) => {
            request.extensions_mut().insert(caller);
            let mut response = handler(request).await;
            allowance_headers(response.headers_mut(), allowance);
            response
        }
        Verdict::Limited { limit, retry_after } => {
            let mut response = failure(Error::TooManyRequests {
                message: limited_message(&caller, retry_after),
                retry_after,
            });
            limited_headers(response.headers_mut(), limit, retry_after);
            response
        }
    }
}

pub fn client_ip<B>(app: &AppState, request: &http::Request<B>) -> IpAddr {
    crate::client_ip::client_ip(request, &app.config.trusted_proxies)
}

/// The caller behind `X-Api-Key`, or the client's address without one. A network that keeps
/// sending wrong keys is refused (429) before its next key reaches the database.
pub async fn identify(app: &AppState, headers: &HeaderMap, ip: IpAddr) -> Result<Caller, Error> {
    let Some(value) = headers.get("x-api-key") else {
        return Ok(Caller::Anonymous(ip));
    };
    app.abuse.check_api_key_attempt(ip)?;
    let identity = match value.to_str() {
        Ok(key) => api_keys::authenticate(app, key).await,
        Err(_) => Err(Error::Unauthorized(api_keys::INVALID_KEY.into())),
    };
    if let Err(Error::Unauthorized(_)) = &identity {
        app.abuse.record_bad_api_key(ip);
    }
    identity.map(Caller::Key)
}

fn allowance_headers(headers: &mut HeaderMap, allowance: Allowance) {
    set(headers, "x-ratelimit-limit", &allowance.limit.to_string());
    set(
        headers,
        "x-ratelimit-remaining",
        &allowance.remaining.to_string(),
    );
    set(headers, "x-ratelimit-reset", &allowance.reset.to_string());
}

fn limited_headers(headers: &mut HeaderMap, limit: u32, retry_after: u64) {
    set(headers, "retry-after", &retry_after.to_string());
    set(headers, "x-ratelimit-limit", &limit.to_string());
    set(headers, "x-ratelimit-remaining", "0");
    set(headers, "x-ratelimit-reset", &retry_after.to_string());
}

/// The sentence for a limited caller.
fn limited_message(caller: &Caller, retry_after: u64) -> String {
    match caller {
        Caller::Key(_) => format!(
            "Too many requests for this API key. Please try again in {retry_after} seconds."
        ),
        Caller::Anonymous(_) => format!(
            "Too many requests from your address: anonymous use is limited (an API key lifts the limit). Please try again in {retry_after} seconds."
        ),
    }
}
