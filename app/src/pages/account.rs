//! `/account`: profile, email, password, sessions and API keys; `/account/email`: confirm a new
//! address. The privacy centre will sit beside these.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::forms::{FormError, FormOk, failure, succeeded};
use crate::account::api::{
    ChangeEmail, ChangePassword, ConfirmEmailChange, CreateApiKey, DeleteAccount, Logout,
    RevokeApiKey, SetConsent, SetRestriction, SignOutEverywhere, UpdateName, account_overview,
};
use crate::account::{AccountView, KeyView};

#[component]
pub fn AccountPage() -> impl IntoView {
    let rename = ServerAction::<UpdateName>::new();
    let change_email = ServerAction::<ChangeEmail>::new();
    let change_password = ServerAction::<ChangePassword>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let logout = ServerAction::<Logout>::new();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let consent = ServerAction::<SetConsent>::new();
    let restrict = ServerAction::<SetRestriction>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let overview = Resource::new(
        move || {
            (
                rename.version().get(),
                create.version().get(),
                revoke.version().get(),
                consent.version().get(),
                restrict.version().get(),
            )
        },
        |_| account_overview(),
    );
    let new_key = move || create.value().get().and_then(Result::ok);

    view! {
        <Title text="Your account · imgigo"/>
        <section class="account" data-testid="account">
            <h1>"Your account"</h1>
            <Transition fallback=|| view! { <p>"Loading your account…"</p> }>
                {move || overview.get().map(|result| match result {
                    Err(err) => view! {
                        <p class="form-error" role="alert">{err.message}" "<a href="/login?next=/account">"Log in"</a></p>
                    }.into_any(),
                    Ok(AccountView { me, .. }) => view! {
                        <p class="lede" data-testid="signed-in-as">
                            "Signed in as " <strong>{me.name.clone()}</strong> " (" {me.email.clone()} ")"
                            {(me.role != "user").then(|| format!(" · role: {}", me.role))}
                        </p>
                        {me.is_staff().then(|| view! { <p><a href="/staff">"Staff page"</a></p> })}
                        <ActionForm action=logout>
                            <button class="button" type="submit">"Log out"</button>
                        </ActionForm>
                    }.into_any(),
                })}
            </Transition>

            <fieldset class="group">
                <legend>"API keys"</legend>
                <p class="fine-print">
                    "Send a key in the " <code>"X-Api-Key"</code> " header of " <code>"POST /api/v1/cutouts"</code>
                    " or " <code>"POST /v1.0/removebg"</code> " for higher limits than anonymous calls. "
                    "A key is shown once; we keep only a hash of it."
                </p>
                <ActionForm action=create attr:class="inline-form">
                    <label>"Name for the key" <input name="name" maxlength="100" placeholder="laptop script"/></label>
                    <button class="button" type="submit">"Create a key"</button>
                </ActionForm>
                <FormError message=Signal::derive(failure(create))/>
                <Transition fallback=|| ()>
                    {move || overview.get().and_then(Result::ok).map(|view| view! {
                        <KeyList keys=view.keys revoke=revoke/>
                    })}
                </Transition>
                {move || new_key().map(|key| view! {
                    <div class="new-key" role="status">
                        <p>"Your new key “" {key.name} "”. Copy it now: it will not be shown again."</p>
                        <code data-testid="new-api-key">{key.secret}</code>
                    </div>
                })}
            </fieldset>

            <fieldset class="group">
                <legend>"Name"</legend>
                <ActionForm action=rename attr:class="inline-form">
                    <label>
                        "Your name"
                        <input
                            name="name"
                            autocomplete="name"
                            required
                            maxlength="100"
                            value=move || overview.get().and_then(Result::ok).map(|view| view.me.name)
                        />
                    </label>
                    <button class="button" type="submit">"Save"</button>
                </ActionForm>
                <FormError message=Signal::derive(failure(rename))/>
                <FormOk show=Signal::derive(succeeded(rename)) text="Saved."/>
            </fieldset>

            <fieldset class="group">
                <legend>"Email address"</legend>
                <ActionForm action=change_email attr:class="auth-form">
                    <label>"New address" <input type="email" name="email" autocomplete="email" required/></label>
                    <label>"Current password" <input type="password" name="current_password" autocomplete="current-password" required/></label>
                    <button class="button" type="submit">"Send a confirmation link"</button>
                </ActionForm>
                <FormError message=Signal::derive(failure(change_email))/>
                <FormOk
                    show=Signal::derive(succeeded(change_email))
                    text="We sent a link to the new address. Your account keeps the old one until you open it."
                />
            </fieldset>

            <fieldset class="group">
                <legend>"Password"</legend>
                <ActionForm action=change_password attr:class="auth-form">
                    <label>"Current password" <input type="password" name="current_password" autocomplete="current-password" required/></label>
                    <label>"New password (at least 12 characters)" <input type="password" name="password" autocomplete="new-password" required minlength="12" maxlength="128"/></label>
                    <button class="button" type="submit">"Change password"</button>
                </ActionForm>
                <FormError message=Signal::derive(failure(change_password))/>
                <FormOk
                    show=Signal::derive(succeeded(change_password))
                    text="Password changed. Every other session was signed out, and we sent you a mail about it."
                />
            </fieldset>

            <fieldset class="group" id="your-data" data-testid="privacy-centre">
                <legend>"Your data and your rights"</legend>
                <p>
                    <a class="button" href="/account/export" rel="external" download data-testid="download-data">
                        "Download my data"
                    </a>
                    " Everything we hold about you, as JSON (access and portability)."
                </p>
                <Transition fallback=|| ()>
                    {move || overview.get().and_then(Result::ok).map(|view| view! {
                        <PrivacyChoices view=view consent=consent restrict=restrict/>
                    })}
                </Transition>
                <FormError message=Signal::derive(failure(consent))/>
                <FormError message=Signal::derive(failure(restrict))/>
                <details class="danger-zone">
                    <summary>"Delete my account"</summary>
                    <p class="fine-print">
                        "Deletes your account and everything stored with it at once: profile, consent records, "
                        "sessions, API keys and access records. Your images are never stored, so there is nothing else to delete."
                    </p>
                    <ActionForm action=delete attr:class="auth-form">
                        <label>"Your password" <input type="password" name="password" autocomplete="current-password" required/></label>
                        <label class="check">
                            <input type="checkbox" name="confirm" required/>
                            "Yes, delete my account and all its data for good."
                        </label>
                        <FormError message=Signal::derive(failure(delete))/>
                        <button class="button danger" type="submit" data-testid="delete-account">"Delete my account"</button>
                    </ActionForm>
                </details>
            </fieldset>

            <fieldset class="group">
                <legend>"Sessions"</legend>
                <p class="fine-print">"A session ends after 30 minutes without use and 12 hours after logging in."</p>
                <ActionForm action=everywhere>
                    <button class="button" type="submit">"Sign out everywhere"</button>
                </ActionForm>
                <FormError message=Signal::derive(failure(everywhere))/>
            </fieldset>
        </section>
    }
}

#[component]
fn PrivacyChoices(
    view: AccountView,
    consent: ServerAction<SetConsent>,
    restrict: ServerAction<SetRestriction>,
) -> impl IntoView {
    let toggle = move |purpose: &'static str,
                       on: bool,
                       label_on: &'static str,
                       label_off: &'static str| {
        view! {
            <ActionForm action=consent attr:class="inline-form">
                <input type="hidden" name="purpose" value=purpose/>
                <input type="hidden" name="granted" value=(!on).to_string()/>
                <span>{if on { label_on } else { label_off }}</span>
                <button class="button small" type="submit" data-testid=format!("toggle-{purpose}")>
                    {if on { "Turn off" } else { "Turn on" }}
                </button>
            </ActionForm>
        }
    };
    let restricted = view.restricted.clone();
    view! {
        {toggle("marketing", view.marketing, "Product news by email: on.", "Product news by email: off.")}
        {toggle("analytics", view.analytics, "Cookieless usage statistics: on.", "Cookieless usage statistics: off.")}
        <ActionForm action=restrict attr:class="inline-form">
            <input type="hidden" name="restricted" value=restricted.is_none().to_string()/>
            <span data-testid="restriction-state">
                {match restricted.clone() {
                    Some(at) => format!("Processing is restricted since {at}: your data is only stored, API keys are paused."),
                    None => "Processing is not restricted.".to_string(),
                }}
            </span>
            <button class="button small" type="submit" data-testid="toggle-restriction">
                {if restricted.is_some() { "Lift the restriction" } else { "Restrict processing" }}
            </button>
        </ActionForm>
        <h3>"Consent history"</h3>
        <ul class="history" data-testid="consent-history">
            {view.consents.into_iter().map(|c| view! {
                <li>{c.at}": "{c.purpose}" "{if c.granted { "given" } else { "withdrawn" }}" ("{c.method}", policy "{c.policy_version}")"</li>
            }).collect_view()}
        </ul>
        <h3>"Your requests"</h3>
        {if view.requests.is_empty() {
            view! { <p class="fine-print">"None. Anything the buttons don't cover: " <a href="/privacy/request">"send a privacy request"</a>"."</p> }.into_any()
        } else {
            view! {
                <ul class="history" data-testid="my-requests">
                    {view.requests.into_iter().map(|r| view! {
                        <li>
                            "#"{r.id}" "{r.kind}" — "{r.status}" (sent "{r.created}", answer due "{r.due}")"
                            {r.response.map(|answer| view! { <blockquote>{answer}</blockquote> })}
                        </li>
                    }).collect_view()}
                </ul>
                <p class="fine-print"><a href="/privacy/request">"Send another request"</a></p>
            }.into_any()
        }}
        <h3>"Staff access to your data"</h3>
        {if view.audit.is_empty() {
            view! { <p class="fine-print">"No staff member has accessed your data."</p> }.into_any()
        } else {
            view! {
                <ul class="history" data-testid="audit-log">
                    {view.audit.into_iter().map(|a| view! { <li>{a.at}": "{a.staff_role}" — "{a.action}</li> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
fn KeyList(keys: Vec<KeyView>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="fine-print" data-testid="no-keys">"No API keys yet."</p> }
            .into_any();
    }
    view! {
        <table class="keys" data-testid="api-keys">
            <caption class="visually-hidden">"Your API keys"</caption>
            <thead><tr><th>"Name"</th><th>"Key"</th><th>"Created"</th><th>"Last used"</th><th>"Status"</th></tr></thead>
            <tbody>
                {keys.into_iter().map(|key| {
                    let label = format!("Revoke {}", key.name);
                    view! {
                        <tr>
                            <td>{key.name.clone()}</td>
                            <td><code>{key.prefix.clone()}"…"</code></td>
                            <td>{key.created.clone()}</td>
                            <td>{key.last_used.clone().unwrap_or_else(|| "never".into())}</td>
                            <td>
                                {match key.revoked.clone() {
                                    Some(at) => view! { <span>"revoked " {at}</span> }.into_any(),
                                    None => view! {
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=key.id.to_string()/>
                                            <button class="button small" type="submit" aria-label=label>"Revoke"</button>
                                        </ActionForm>
                                    }.into_any(),
                                }}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailChange>::new();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <Title text="Confirm your new address · imgigo"/>
        <section class="auth" data-testid="confirm-email">
            <h1>"Use your new email address"</h1>
            <Show
                when=succeeded(action)
                fallback=move || view! {
                    <ActionForm action=action attr:class="auth-form">
                        <input type="hidden" name="token" value=token/>
                        <FormError message=Signal::derive(failure(action))/>
                        <button class="button primary" type="submit">"Use this address"</button>
                    </ActionForm>
                }
            >
                <p class="form-ok" role="status">"Done: your account now uses the new address. " <a href="/account">"Back to your account"</a></p>
            </Show>
        </section>
    }
}
