//! `/cookies`: exactly what is stored in the browser, and when.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CookiesPage() -> impl IntoView {
    view! {
        <Title text="Cookies · imgigo"/>
        <article class="policy" data-testid="cookies">
            <h1>"Cookies and browser storage"</h1>
            <p>
                "imgigo sets one cookie, and only after you log in. Visiting, using the editor and the API "
                "without an account sets no cookie at all, so there is no cookie banner to click away."
            </p>
            <table class="keys">
                <caption class="visually-hidden">"Cookies"</caption>
                <thead><tr><th>"Name"</th><th>"Set when"</th><th>"Purpose"</th><th>"Lifetime"</th></tr></thead>
                <tbody>
                    <tr>
                        <td><code>"imgigo_session"</code>" ("<code>"__Host-imgigo_session"</code>" over HTTPS)"</td>
                        <td>"You log in"</td>
                        <td>"Strictly necessary: keeps you signed in. HttpOnly (scripts cannot read it), SameSite=Lax, Secure over HTTPS."</td>
                        <td>"Ends 30 minutes after your last visit, 12 hours after logging in, or when you log out"</td>
                    </tr>
                </tbody>
            </table>
            <p>"No analytics, advertising or tracking cookies, and no third-party scripts, fonts or pixels. Usage statistics, if you allow them, are counted without cookies."</p>
            <h2>"Storage in your browser (never sent to us)"</h2>
            <ul>
                <li><code>"localStorage: imgigo.prefs"</code>": your editor preferences (background, brush, export format, theme), written only when you change one."</li>
                <li><code>"IndexedDB: imgigo"</code>": your recent images and their edits, so a reload keeps your work. “Clear history” in the editor deletes it."</li>
            </ul>
        </article>
    }
}
