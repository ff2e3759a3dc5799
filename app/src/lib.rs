//! imgigo's web pages: routes, components and server-function declarations. Compiled twice: with
//! `ssr` for the server and with `hydrate` for the browser.

// The editor's view types nest deeply; the compiler needs room to lay them out.
#![recursion_limit = "256"]

pub mod account;
pub mod billing;
pub mod components;
pub mod editor;
pub mod error;
pub mod mail_admin;
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
    Lazy, LazyRoute,
    components::{Route, Router, Routes},
    lazy_route, path,
};

pub use error::AppError;

use components::layout::Layout;
use editor::EditorPage;
use pages::not_found::NotFound;

/// A page whose code the browser fetches only when the page is visited: the view goes into its own
/// wasm chunk (`cargo leptos build --split`), so the first load of the editor at `/` carries none
/// of the account, staff or information pages (issue 16). On the server it renders as before.
macro_rules! lazy_pages {
    ($( $route:ident => $($page:ident)::+; )*) => {
        $(
            #[derive(Clone, Copy, Debug)]
            pub struct $route;

            #[lazy_route]
            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                fn view(_this: Self) -> AnyView {
                    view! { <$($page)::+/> }.into_any()
                }
            }
        )*
    };
}

/// The lazily loaded pages, one wasm chunk each (shared code goes into chunks of its own).
pub mod routes {
    use super::*;

    lazy_pages! {
        Privacy => pages::privacy::PrivacyPage;
        Developers => pages::developers::DevelopersPage;
        Licences => pages::licences::LicencesPage;
        Cookies => pages::cookies::CookiesPage;
        Request => pages::requests::RequestPage;
        Register => pages::auth::RegisterPage;
        Login => pages::auth::LoginPage;
        Verify => pages::auth::VerifyPage;
        Forgot => pages::auth::ForgotPage;
        Reset => pages::auth::ResetPage;
        Account => pages::account::AccountPage;
        ConfirmEmail => pages::account::ConfirmEmailPage;
        AccountDeleted => pages::account::AccountDeletedPage;
        Staff => pages::staff::StaffPage;
        Pricing => pages::pricing::PricingPage;
    }
}

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
                    <Route path=path!("/privacy") view={Lazy::<routes::Privacy>::new()}/>
                    <Route path=path!("/developers") view={Lazy::<routes::Developers>::new()}/>
                    <Route path=path!("/backgrounds/licences") view={Lazy::<routes::Licences>::new()}/>
                    <Route path=path!("/cookies") view={Lazy::<routes::Cookies>::new()}/>
                    <Route path=path!("/privacy/request") view={Lazy::<routes::Request>::new()}/>
                    <Route path=path!("/register") view={Lazy::<routes::Register>::new()}/>
                    <Route path=path!("/login") view={Lazy::<routes::Login>::new()}/>
                    <Route path=path!("/verify") view={Lazy::<routes::Verify>::new()}/>
                    <Route path=path!("/forgot") view={Lazy::<routes::Forgot>::new()}/>
                    <Route path=path!("/reset") view={Lazy::<routes::Reset>::new()}/>
                    <Route path=path!("/account") view={Lazy::<routes::Account>::new()}/>
                    <Route path=path!("/account/email") view={Lazy::<routes::ConfirmEmail>::new()}/>
                    <Route path=path!("/account/deleted") view={Lazy::<routes::AccountDeleted>::new()}/>
                    <Route path=path!("/staff") view={Lazy::<routes::Staff>::new()}/>
                    <Route path=path!("/admin") view={Lazy::<routes::Staff>::new()}/>
                    <Route path=path!("/pricing") view={Lazy::<routes::Pricing>::new()}/>
                </Routes>
            </Layout>
        </Router>
    }
}
