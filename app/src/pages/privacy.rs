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
        <RightsAsButtons/>
        <PaymentRecords/>
        <p class="policy-version">"Policy version " <span data-testid="policy-version">{doc.version}</span></p>
    }
}

/// Section 6's rights, each with the button that exercises it (in the privacy centre on the
/// account page), so nobody has to write to us for them.
#[component]
fn RightsAsButtons() -> impl IntoView {
    let rights: [(&str, &str); 6] = [
        ("Access", "“Download my data”"),
        (
            "Correction",
            "“Save” (name) and “Send a confirmation link” (email address)",
        ),
        ("Deletion", "“Delete my account”"),
        (
            "Objection",
            "“Turn off” next to product update mails and anonymous statistics, or the unsubscribe link in any product update mail",
        ),
        ("Portability", "“Download my data” (a JSON file)"),
        ("Restriction", "“Restrict processing”"),
    ];
    view! {
        <section class="rights" data-testid="rights-buttons">
            <h2>"Your rights, as buttons"</h2>
            <p>
                "Every right above is a button in the " <a href="/account#your-data" rel="external">"privacy centre"</a>
                " on your account page; it works at once, without writing to us:"
            </p>
            <ul>
                {rights.into_iter().map(|(right, button)| view! { <li><strong>{right}</strong>": "{button}"."</li> }).collect_view()}
            </ul>
            <p>
                "Anything else, or no account? " <a href="/privacy/request">"Send a privacy request"</a>
                ": it gets a reference at once and an answer within 30 days."
            </p>
            <p>"Which cookies we set, and when: " <a href="/cookies">"the cookie list"</a>"."</p>
        </section>
    }
}

/// What the payment code keeps (issue 18), and for how long: the policy's "Payment Data" sentence
/// made concrete.
#[component]
fn PaymentRecords() -> impl IntoView {
    view! {
        <section class="rights" data-testid="payment-records">
            <h2>"Payments: what we keep, and for how long"</h2>
            <p>
                "Where this server sells credits or plans, Stripe takes the payment on its own page: "
                "imgigo never sees or stores card numbers, bank details or a billing address. "
                "Stripe gets your email address, for its receipt."
            </p>
            <p>
                "We keep Stripe's ids of your checkouts, plans and invoices, the plan's name and state, "
                "and your credits ledger (each credit granted or spent, with its amount and date), to count "
                "your credits and answer questions about a payment. They are in “Download my data”, and "
                "they are kept only as long as your account: “Delete my account” cancels your plan at "
                "Stripe first and then deletes them all. The invoices Stripe issued stay with Stripe, "
                "which keeps them for as long as accounting law requires."
            </p>
        </section>
    }
}
