use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::AppError;

/// Shown when a page cannot be built: the person sees what happened and what to do, never internals.
#[component]
pub fn ErrorPage(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let current = Memo::new(move |_| {
        errors
            .get()
            .into_iter()
            .next()
            .map(|(_, err)| match err.downcast_ref::<AppError>() {
                Some(app) => app.clone(),
                None => AppError::internal(),
            })
            .unwrap_or_else(AppError::internal)
    });
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(current.get_untracked().status)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    view! {
        <Title text="Something went wrong · imgigo"/>
        <section class="message-page" role="alert" data-testid="error-page">
            <p class="status-code">{move || current.get().status}</p>
            <h1>"Something went wrong"</h1>
            <p>{move || current.get().message}</p>
            <p><A href="/">"Back to the editor"</A></p>
        </section>
    }
}
