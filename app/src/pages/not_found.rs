use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Shown for any path no route matches; the response status is 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found · imgigo"/>
        <section class="message-page" data-testid="not-found">
            <p class="status-code">"404"</p>
            <h1>"Page not found"</h1>
            <p>"We couldn't find that page. It may have moved, or the address may be mistyped."</p>
            <p><A href="/">"Back to the editor"</A></p>
        </section>
    }
}
