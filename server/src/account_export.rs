//! `GET /account/export`: "Download my data" as a JSON file (the account gate sends visitors to
//! log in first).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use services::AppState;
use services::sessions::{self, Session};

use crate::error::ApiError;

pub async fn download(State(app): State<AppState>, request: Request) -> Response {
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let user = match sessions::current_user(&app, &session).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Please log in to download your data.",
            )
            .into_response();
        }
        Err(err) => return ApiError::from(err).into_response(),
    };
    let document = match services::privacy::export::export(&app, &user).await {
        Ok(document) => document,
        Err(err) => return ApiError::from(err).into_response(),
    };
    let body = match serde_json::to_vec_pretty(&document) {
        Ok(body) => body,
        Err(_) => return ApiError::internal().into_response(),
    };
    tracing::info!(user_id = user.id, "data exported");
    let filename = format!(
        "attachment; filename=\"imgigo-data-{}.json\"",
        app.clock.now().format("%Y-%m-%d")
    );
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&filename) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
