//! The frame around every page: header with navigation, the page, footer.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Effects run only in the browser: the mark tells tests (and styles) that forms are live.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
        // The theme chosen in the editor holds on every page.
        #[cfg(feature = "hydrate")]
        crate::editor::prefs::apply_saved_theme();
    });
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
                // One static link: the account page sends visitors to log in. (An account-aware
                // header would need a resource on every page, and a second suspense boundary in
                // every streamed page.)
                <a href="/account" rel="external">"Account"</a>
            </nav>
        </header>
        <main id="content">{children()}</main>
        <footer class="site-footer">
            <p>
                "imgigo is free software under the "
                <a href="https://www.gnu.org/licenses/agpl-3.0.html" rel="license">"AGPL-3.0"</a>
                ". Photos are cut out in memory and deleted straight after; cutouts are kept encrypted for 7 days, then destroyed. Nothing is used to train models."
            </p>
            <p><A href="/privacy">"Privacy policy"</A>" · "<A href="/cookies">"Cookies"</A></p>
        </footer>
    }
}
