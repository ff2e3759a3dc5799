//! `/cookies`: exactly what is stored in the browser, and when.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::account::api::session_limits;
use crate::account::duration_words;

#[component]
pub fn CookiesPage() -> impl IntoView {
    let lengths = OnceResource::new(session_limits());
    // The configured lengths (`IMGIGO_SESSION_IDLE_MINUTES`, `IMGIGO_SESSION_MAX_HOURS`).
    let lifetime = move || {
        lengths.get().and_then(Result::ok).map(|lengths| {
            format!(
                "Ends {} after your last visit, {} after logging in, or when you log out",
                duration_words(lengths.idle_minutes),
                duration_words(lengths.max_minutes)
            )
        })
    };
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
                        <td data-testid="session-cookie-lifetime">
                            <Suspense fallback=|| "Ends when you log out, or earlier">{lifetime}</Suspense>
                        </td>
                    </tr>
                </tbody>
            </table>
            <p>"No analytics, advertising or tracking cookies, and no third-party scripts, fonts or pixels."</p>
            <p data-testid="statistics">
                "Anonymous statistics never use a cookie or a script. The server counts page loads and cutouts "
                "per day: which page (never the rest of its address, so no link or key), the browser’s family, "
                "phone, tablet or computer, and the site that linked here. Visitors per day are estimated in "
                "memory from your address and browser under a key that changes every day and is never stored; "
                "your IP address is not written anywhere. Not counted: browsers that send Global Privacy Control "
                "(Sec-GPC) or Do Not Track, robots, and signed-in people whose statistics are off. For an account "
                "they are off unless you turn them on: with “Count my visits in the anonymous statistics” when "
                "you create an account, or later on your account page. The daily counts are kept 13 months."
            </p>
            <h2>"Storage in your browser (never sent to us)"</h2>
            <ul>
                <li><code>"localStorage: imgigo.prefs"</code>": your editor preferences (background, brush, export format), written only when you change one."</li>
                <li><code>"localStorage: imgigo.theme"</code>": the theme you chose at the foot of a page, written only when you choose one."</li>
                <li><code>"IndexedDB: imgigo"</code>": your recent images and their edits, so a reload keeps your work. “Clear history” in the editor deletes it."</li>
            </ul>
        </article>
    }
}
