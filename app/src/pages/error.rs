use leptos::prelude::*;
use leptos_meta::Title;

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
            <p><a href="/">"Back to the editor"</a></p>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use leptos_meta::provide_meta_context;

    fn render(err: AppError) -> String {
        let owner = Owner::new();
        owner.with(|| {
            provide_meta_context();
            let mut errors = Errors::default();
            errors.insert_with_default_key(err);
            let errors = ArcRwSignal::new(errors);
            view! { <ErrorPage errors/> }.to_html()
        })
    }

    #[test]
    fn shows_the_public_message_and_status() {
        let html = render(AppError::new(503, "The database is unavailable right now."));
        assert!(html.contains("Something went wrong"), "{html}");
        assert!(
            html.contains("The database is unavailable right now."),
            "{html}"
        );
        assert!(html.contains(">503<"), "{html}");
    }
}
