//! The frame around every page: header with navigation, the page, footer.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::account::api::current_account;

/// "Log in" for visitors; the signed-in person's name, linking to their account. Asked again on
/// every navigation (a login or logout lands on another page).
///
/// Blocking: the server answers only once the session has been read, so the name is rendered in
/// place and the session middleware sees everything this request did to the session. (A
/// streamed resource here could still be reading the session after the response had left the
/// handler.)
#[component]
fn AccountLink() -> impl IntoView {
    let location = use_location();
    let me = Resource::new_blocking(move || location.pathname.get(), |_| current_account());
    view! {
        <Transition fallback=|| ()>
            {move || me.get().map(|result| match result {
                Ok(Some(me)) => view! {
                    <a href="/account" rel="external" class="account-link">
                        {me.name}" ▾"
                    </a>
                }.into_any(),
                _ => view! { <a href="/login" rel="external">"Log in"</a> }.into_any(),
            })}
        </Transition>
    }
}

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
            <p><A href="/privacy">"Privacy policy"</A>" · "<A href="/cookies">"Cookies"</A></p>
        </footer>
    }
}
