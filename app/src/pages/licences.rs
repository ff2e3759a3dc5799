use leptos::prelude::*;
use leptos_meta::Title;

use crate::pages::error::ErrorPage;
use crate::server_fns::background_licences;

/// `/backgrounds/licences`: where the editor's preset backgrounds come from and under which terms,
/// rendered from the `LICENSES.md` shipped beside them (still served as it is, for tools).
#[component]
pub fn LicencesPage() -> impl IntoView {
    let licences = OnceResource::new(background_licences());
    view! {
        <Title text="Background sources and licences · imgigo"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    licences.await.map(|html| view! {
                        <article class="policy licences" data-testid="background-licences" inner_html=html></article>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
