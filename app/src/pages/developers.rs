//! `/developers`: the API in one page, with `curl` examples and a link to the OpenAPI document.

use leptos::prelude::*;
use leptos_meta::Title;

const NATIVE: &str = "curl -F image=@photo.jpg -F format=png \\
  -D headers.txt -o cutout.png https://YOUR-HOST/api/v1/cutouts
# headers.txt holds X-Result-Url: /r/ID?key=KEY (valid 7 days)";

const JSON: &str = "curl -H 'Accept: application/json' -H 'Content-Type: image/jpeg' \\
  --data-binary @photo.jpg \\
  'https://YOUR-HOST/api/v1/cutouts?format=webp&bg_color=%23ffffff&crop=true&crop_margin=5%25'";

const AGAIN: &str = "curl -o again.png 'https://YOUR-HOST/r/ID?key=KEY'
curl -X DELETE 'https://YOUR-HOST/r/ID?key=KEY'";

const KEYED: &str = "curl -H 'X-Api-Key: imgigo_…' -F image=@photo.jpg \\
  -o cutout.png https://YOUR-HOST/api/v1/cutouts";

const REMOVEBG: &str = "curl -F image_file=@photo.jpg -F size=auto \\
  -o no-bg.png https://YOUR-HOST/v1.0/removebg";

#[component]
pub fn DevelopersPage() -> impl IntoView {
    view! {
        <Title text="API · imgigo"/>
        <article class="developers" data-testid="developers">
            <h1>"The imgigo API"</h1>
            <p>
                "Everything the editor does is one HTTP call away. No account is needed; anonymous calls are "
                "rate-limited per address (the address is never stored). The full description is the "
                <a href="/api/openapi.json">"OpenAPI document"</a>"."
            </p>
            <h2>"Cut a subject out"</h2>
            <pre><code>{NATIVE}</code></pre>
            <p>
                "Options: " <code>"format"</code> " (png, webp, jpg, mask, zip), " <code>"size"</code>
                " (full, preview), " <code>"bg_color"</code> ", " <code>"background"</code>
                " (transparent, blur), " <code>"bg_image"</code> ", " <code>"crop"</code> " and "
                <code>"crop_margin"</code> "."
            </p>
            <h2>"Get JSON with a link instead"</h2>
            <pre><code>{JSON}</code></pre>
            <h2>"Download again, or delete early"</h2>
            <pre><code>{AGAIN}</code></pre>
            <p>
                "Results are encrypted with a key that only your link holds; we cannot open them. "
                "They are destroyed after 7 days."
            </p>
            <h2>"Higher limits with an API key"</h2>
            <p>
                "With an " <a href="/register" rel="external">"account"</a> ", create keys on your "
                <a href="/account" rel="external">"account page"</a> " and send one in the "
                <code>"X-Api-Key"</code> " header: the call then counts against the key's own limit instead of "
                "your address's. A wrong or revoked key is refused, never silently ignored. Results made "
                "with a key are recorded by id against your account (never their link's key), listed in "
                "your data download and destroyed if you delete the account."
            </p>
            <pre><code>{KEYED}</code></pre>
            <h2>"Coming from remove.bg"</h2>
            <p>"Change the base URL; the fields, headers and error format are the same."</p>
            <pre><code>{REMOVEBG}</code></pre>
        </article>
    }
}
