//! Server-side helpers for the account server functions: the application state, the session, the
//! signed-in account, the client's address and browser.

use axum::Extension;
use http::HeaderMap;
use leptos::prelude::use_context;
use services::AppState;
use services::abuse::ClientIp;
use services::sessions::{self, CurrentUser, Session};

use crate::AppError;

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(AppError::internal)
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|_| AppError::internal())
}

/// The signed-in account, or 401 with a sentence that says to log in.
pub async fn signed_in() -> Result<(AppState, Session, CurrentUser), AppError> {
    let app = app_state()?;
    let session = session().await?;
    match sessions::current_user(&app, &session).await? {
        Some(user) => Ok((app, session, user)),
        None => {
            let idle = super::duration_words(session_lengths(&app).idle_minutes);
            Err(AppError::new(
                401,
                format!("Please log in to continue (a session ends after {idle} without use)."),
            ))
        }
    }
}

pub fn session_lengths(app: &AppState) -> super::SessionLengths {
    super::SessionLengths {
        idle_minutes: app.config.session_idle.num_minutes(),
        max_minutes: app.config.session_max.num_minutes(),
    }
}

pub async fn client_ip() -> std::net::IpAddr {
    leptos_axum::extract::<Extension<ClientIp>>()
        .await
        .map(|Extension(ClientIp(ip))| ip)
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

pub async fn user_agent() -> Option<String> {
    let headers = leptos_axum::extract::<HeaderMap>().await.ok()?;
    headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

pub fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A server function's body, run so that an error's status (401, 403, 422, 429…) and
/// `Retry-After` go on the response instead of server_fn's default 500:
/// `answer! { let app = app_state()?; …; Ok(value) }`. `?` inside ends the body with that error.
macro_rules! answer {
    ($($body:tt)*) => {
        $crate::account::ssr::with_status(async move { $($body)* }.await)
    };
}
pub(crate) use answer;

/// A server function's result, with the error's status on the response (see [`answer!`]).
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(err.status_code());
        if let Some(seconds) = err.retry_after {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
    result
}

pub fn request_view(row: &services::privacy::requests::PrivacyRequest) -> super::RequestView {
    super::RequestView {
        id: row.id,
        kind: row.kind.as_str().to_string(),
        message: row.message.clone(),
        status: row.status.as_str().to_string(),
        response: row.response.clone(),
        created: stamp(row.created_at),
        due: row.due_at.format("%Y-%m-%d").to_string(),
    }
}
