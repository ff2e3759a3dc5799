//! Pieces shared by the account forms: the error and success lines under a form.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::AppError;

/// The server's sentence when `action` last failed.
pub fn failure<S>(
    action: ServerAction<S>,
) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + Clone + 'static,
{
    move || {
        action.value().with(|value| match value {
            Some(Err(err)) => Some(err.message.clone()),
            _ => None,
        })
    }
}

/// Whether `action` last succeeded.
pub fn succeeded<S>(action: ServerAction<S>) -> impl Fn() -> bool + Copy + Send + Sync + 'static
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + Clone + 'static,
{
    move || action.value().with(|value| matches!(value, Some(Ok(_))))
}

/// A red alert line, shown while `message` has something to say.
#[component]
pub fn FormError(message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|text| view! { <p class="form-error" role="alert">{text}</p> })
    }
}

/// A green status line, shown while `show` is true.
#[component]
pub fn FormOk(show: Signal<bool>, text: &'static str) -> impl IntoView {
    move || {
        show.get()
            .then(|| view! { <p class="form-ok" role="status">{text}</p> })
    }
}
