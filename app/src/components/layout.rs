//! The frame around every page: header with navigation, the page, footer.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use super::theme::ThemeSelect;
use crate::account::api::current_account;

/// Who is signed in, as the server found it before rendering a page (the name, or `None`): put on
/// the request by the server's page middleware, read by the header.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignedIn(pub Option<String>);

/// The signed-in person's name for this page, on the server (the browser receives it with the
/// page instead of asking again).
fn signed_in_name() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<SignedIn>().cloned())
            .and_then(|SignedIn(name)| name)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// "Log in" for visitors; the signed-in person's name, linking to their account.
///
/// No resource and no suspense boundary: the server looked the person up before rendering, so the
/// name is rendered in place and handed to the browser with the page. In the browser the header
/// asks again after each navigation (a login or logout lands on another page).
#[component]
fn AccountLink() -> impl IntoView {
    let name = RwSignal::new(SharedValue::new(signed_in_name).into_inner());
    let location = use_location();
    // Effects run only in the browser.
    Effect::new(move |shown: Option<String>| {
        let path = location.pathname.get();
        if shown.is_some_and(|shown| shown != path) {
            leptos::task::spawn_local(async move {
                if let Some(now) = signed_in_name_now().await {
                    name.set(now);
                }
            });
        }
        path
    });
    move || match name.get() {
        Some(name) => view! {
            <a href="/account" rel="external" class="account-link">{name}" ▾"</a>
        }
        .into_any(),
        None => view! { <a href="/login" rel="external">"Log in"</a> }.into_any(),
    }
}

/// Who is signed in now, asked of the server (`None` when it could not be asked). A split point:
/// the server-function client it needs is fetched with the first navigation, not the first page.
#[lazy]
async fn signed_in_name_now() -> Option<Option<String>> {
    current_account().await.ok().map(|me| me.map(|me| me.name))
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // The theme picker in the footer applies the saved theme on every page. (The `data-hydrated`
    // mark on <body> is set by the entry point once the whole page is hydrated.)
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="site-header">
            <A href="/" attr:class="brand">
                <img src="/logo.svg" alt="" width="28" height="28"/>
                <span>"imgigo"</span>
            </A>
            <nav aria-label="Main">
                <A href="/">"Editor"</A>
                <A href="/developers">"API"</A>
                <A href="/privacy">"Privacy"</A>
                <AccountLink/>
            </nav>
        </header>
        <main id="content">{children()}</main>
        <footer class="site-footer">
            <p>
                "imgigo is free software under the "
                <a href="https://www.gnu.org/licenses/agpl-3.0.html" rel="license">"AGPL-3.0"</a>
                ". Photos are cut out in memory and deleted straight after; cutouts are kept encrypted for 7 days, then destroyed. Nothing is used to train models."
            </p>
            <p><A href="/privacy">"Privacy policy"</A>" · "<A href="/cookies">"Cookies"</A>" · "<A href="/pricing">"Pricing"</A></p>
            <ThemeSelect/>
        </footer>
    }
}
