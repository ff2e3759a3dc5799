//! The frame around every page: header with navigation, the page, footer.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
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
            </nav>
        </header>
        <main id="content">{children()}</main>
        <footer class="site-footer">
            <p>
                "imgigo is free software under the "
                <a href="https://www.gnu.org/licenses/agpl-3.0.html" rel="license">"AGPL-3.0"</a>
                ". Your images are processed in memory and never used to train models."
            </p>
            <p><A href="/privacy">"Privacy policy"</A></p>
        </footer>
    }
}
