use leptos::prelude::*;
use leptos_meta::Title;

use crate::pages::error::ErrorPage;
use crate::policy_text::{Block, parse};
use crate::server_fns::{PolicyDocument, privacy_policy};

/// `/privacy`: the policy, fetched through a server function so client-side navigation gets the
/// same text the server renders.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    let policy = OnceResource::new(privacy_policy());
    view! {
        <Title text="Privacy policy · imgigo"/>
        <article class="policy" data-testid="privacy-policy">
            <Suspense fallback=|| view! { <p>"Loading the privacy policy…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                    {move || Suspend::new(async move { policy.await.map(|doc| view! { <Policy doc/> }) })}
                </ErrorBoundary>
            </Suspense>
        </article>
    }
}

#[component]
fn Policy(doc: PolicyDocument) -> impl IntoView {
    let blocks = parse(&doc.text)
        .into_iter()
        .map(|block| match block {
            Block::Title(text) => view! { <h1>{text}</h1> }.into_any(),
            Block::Section(text) => view! { <h2>{text}</h2> }.into_any(),
            Block::Subheading(text) => view! { <h3>{text}</h3> }.into_any(),
            Block::Paragraph(text) => view! { <p>{text}</p> }.into_any(),
            Block::List(items) => view! {
                <ul>{items.into_iter().map(|item| view! { <li>{item}</li> }).collect_view()}</ul>
            }
            .into_any(),
        })
        .collect_view();
    view! {
        {blocks}
        <p class="policy-version">"Policy version " <span data-testid="policy-version">{doc.version}</span></p>
    }
}
