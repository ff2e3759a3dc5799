//! Pages that need an account: an anonymous visitor is sent to log in (and brought back after), a
//! signed-in account without the role gets the page's 403. Server functions check the same
//! themselves; this gate only decides what a page load does.

use app::components::layout::SignedIn;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use services::AppState;
use services::accounts::Role;
use services::sessions::{self, Session};

/// Path prefixes and the roles they need (`None`: any signed-in account).
const GATED: &[(&str, Option<&[Role]>)] = &[
    ("/account", None),
    ("/admin", Some(&[Role::Admin])),
    ("/staff", Some(&[Role::Support, Role::Admin])),
];

/// Pages under a gated prefix that anyone may see: where "Delete my account" lands, signed out.
const PUBLIC: &[&str] = &["/account/deleted"];

fn gate(path: &str) -> Option<Option<&'static [Role]>> {
    if PUBLIC.contains(&path) {
        return None;
    }
    GATED
        .iter()
        .find(|(prefix, _)| {
            path == *prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|(_, roles)| *roles)
}

pub async fn require_account(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != axum::http::Method::GET {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let Some(roles) = gate(&path) else {
        return next.run(request).await;
    };
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return next.run(request).await;
    };
    let user = match sessions::current_user(&app, &session).await {
        Ok(user) => user,
        Err(err) => return crate::error::ApiError::from(err).into_response(),
    };
    match (user, roles) {
        (None, _) => {
            let next_path = match request.uri().query() {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
            let target = format!("/login?next={}", url_encode(&next_path));
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            response
        }
        (Some(user), Some(roles)) if !roles.contains(&user.role) => {
            let mut response = next.run(request).await;
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
        }
        (Some(_), _) => next.run(request).await,
    }
}

/// Who is signed in, looked up once before a page renders, so the page header can show the name
/// without a resource (and a suspense boundary) of its own. A failed lookup shows "Log in"; the
/// page itself reports the failure.
pub async fn signed_in(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    if request.method() == axum::http::Method::GET
        && let Some(session) = request.extensions().get::<Session>().cloned()
    {
        let user = match sessions::current_user(&app, &session).await {
            Ok(user) => user,
            Err(err) => {
                tracing::warn!(error = %err, "who is signed in could not be read");
                None
            }
        };
        request
            .extensions_mut()
            .insert(crate::analytics::Viewer(user.as_ref().map(|user| user.id)));
        request
            .extensions_mut()
            .insert(SignedIn(user.map(|user| user.name)));
    }
    next.run(request).await
}

fn url_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::gate;

    #[test]
    fn gated_paths() {
        assert_eq!(gate("/account"), Some(None));
        assert_eq!(gate("/account/email"), Some(None));
        assert!(gate("/accounts").is_none());
        assert!(
            gate("/account/deleted").is_none(),
            "shown after the account is gone"
        );
        assert_eq!(gate("/account/deleted/x"), Some(None));
        assert!(gate("/admin").is_some_and(|roles| roles.is_some()));
        assert!(gate("/").is_none() && gate("/login").is_none());
        assert!(gate("/pricing").is_none(), "prices are for everyone");
    }
}
