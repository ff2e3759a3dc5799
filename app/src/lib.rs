//! imgigo's web pages: routes, components and server-function declarations. Compiled twice: with
//! `ssr` for the server and with `hydrate` for the browser.

// The editor's view types nest deeply; the compiler needs room to lay them out.
#![recursion_limit = "256"]

pub mod account;
pub mod components;
pub mod editor;
pub mod error;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod pages;
pub mod policy_text;
#[cfg(feature = "ssr")]
pub mod security;
pub mod server_fns;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

pub use error::AppError;

use components::layout::Layout;
use editor::EditorPage;
use pages::account::{AccountDeletedPage, AccountPage, ConfirmEmailPage};
use pages::auth::{ForgotPage, LoginPage, RegisterPage, ResetPage, VerifyPage};
use pages::cookies::CookiesPage;
use pages::licences::LicencesPage;
use pages::requests::RequestPage;
use pages::staff::{AdminPage, StaffPage};
use pages::{developers::DevelopersPage, not_found::NotFound, privacy::PrivacyPage};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::send_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/imgigo.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta
            name="description"
            content="imgigo removes image backgrounds privately: open source, self-hostable, no account needed."
        />
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=EditorPage/>
                    <Route path=path!("/privacy") view=PrivacyPage/>
                    <Route path=path!("/developers") view=DevelopersPage/>
                    <Route path=path!("/backgrounds/licences") view=LicencesPage/>
                    <Route path=path!("/cookies") view=CookiesPage/>
                    <Route path=path!("/privacy/request") view=RequestPage/>
                    <Route path=path!("/register") view=RegisterPage/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/verify") view=VerifyPage/>
                    <Route path=path!("/forgot") view=ForgotPage/>
                    <Route path=path!("/reset") view=ResetPage/>
                    <Route path=path!("/account") view=AccountPage/>
                    <Route path=path!("/account/email") view=ConfirmEmailPage/>
                    <Route path=path!("/account/deleted") view=AccountDeletedPage/>
                    <Route path=path!("/staff") view=StaffPage/>
                    <Route path=path!("/admin") view=AdminPage/>
                </Routes>
            </Layout>
        </Router>
    }
}
