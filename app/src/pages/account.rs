//! `/account`: profile, email, password, sessions and API keys; `/account/email`: confirm a new
//! address. The privacy centre will sit beside these.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::forms::{FormError, FormOk, failure, succeeded};
use crate::account::api::{
    ChangeEmail, ChangePassword, ConfirmEmailChange, CreateApiKey, DeleteAccount, Logout,
    RevokeApiKey, SetConsent, SetRestriction, SignOutEverywhere, UpdateName, account_overview,
    session_limits,
};
use crate::account::{AccountView, KeyView, key_status};
use crate::billing::{credits_overview, invoices_overview};

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
    let lengths = OnceResource::new(session_limits());
    // A key was made: the name field is ready for the next one.
    let key_name = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if create.value().with(|value| matches!(value, Some(Ok(_))))
            && let Some(input) = key_name.get()
        {
            input.set_value("");
        }
    });

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
                    "A key is shown once; we keep only a hash of it. Results made with a key are kept "
                    "encrypted for 7 days like every result, and their ids are listed in your data download "
                    "so that deleting the account can destroy them."
                </p>
                <ActionForm action=create attr:class="inline-form">
                    <label>"Name for the key" <input name="name" maxlength="100" placeholder="laptop script" node_ref=key_name/></label>
                    <button class="button" type="submit">"Create a key"</button>
                </ActionForm>
                <FormError message=Signal::derive(failure(create))/>
                <Transition fallback=|| ()>
                    {move || overview.get().and_then(Result::ok).map(|view| view! {
                        <KeyList keys=view.keys restricted=view.restricted.is_some() revoke=revoke/>
                    })}
                </Transition>
                {move || new_key().map(|key| view! {
                    <div class="new-key" role="status">
                        <p>"Your new key “" {key.name} "”. Copy it now: it will not be shown again."</p>
                        <p class="new-key-secret">
                            <code data-testid="new-api-key">{key.secret.clone()}</code>
                            <CopyButton text=key.secret/>
                        </p>
                    </div>
                })}
            </fieldset>

            <Credits/>

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
                        "Deletes your account and everything stored with it at once: your profile, consent records, "
                        "sessions (you are signed out everywhere), API keys, the results made with your API keys "
                        "(stored encrypted for 7 days; destroyed now), your privacy requests, the record of staff "
                        "access and any mail to you not yet sent. We mail you a confirmation."
                    </p>
                    <p class="fine-print">
                        "Photos you cut out in the editor were never linked to your account: their encrypted "
                        "results expire on their own within 7 days, and the editor's history stays in this "
                        "browser until you clear it there."
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
                <Suspense fallback=|| ()>
                    {move || lengths.get().and_then(Result::ok).map(|lengths| view! {
                        <p class="fine-print" data-testid="session-lengths">{lengths.sentence()}</p>
                    })}
                </Suspense>
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
    // The visible button says "Turn on"/"Turn off"; its accessible name also says what, so the two
    // buttons can be told apart without the text beside them.
    let toggle = move |purpose: &'static str,
                       on: bool,
                       what: &'static str,
                       what_lower: &'static str| {
        let action = if on { "Turn off" } else { "Turn on" };
        view! {
            <ActionForm action=consent attr:class="inline-form">
                <input type="hidden" name="purpose" value=purpose/>
                <input type="hidden" name="granted" value=(!on).to_string()/>
                <span data-testid=format!("{purpose}-state")>{format!("{what}: {}", if on { "on." } else { "off." })}</span>
                <button
                    class="button small"
                    type="submit"
                    data-testid=format!("toggle-{purpose}")
                    aria-label=format!("{action} {what_lower}")
                >
                    {action}
                </button>
            </ActionForm>
        }
    };
    let restricted = view.restricted.clone();
    view! {
        {toggle("marketing", view.marketing, "Product update mails", "product update mails")}
        {toggle("analytics", view.analytics, "Anonymous statistics", "anonymous statistics")}
        <p class="fine-print">
            "Both are off unless you turned them on, when you signed up or here. Anonymous statistics never "
            "use a cookie; see " <a href="/cookies">"cookies"</a> "."
        </p>
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
                <li>{c.at}": "{consent_words(&c.purpose, c.granted)}" ("{method_words(&c.method)}", policy "{c.policy_version}")"</li>
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

/// A consent row in words: "Product update mails: off".
fn consent_words(purpose: &str, granted: bool) -> String {
    let state = if granted { "on" } else { "off" };
    match purpose {
        "privacy_policy" if granted => "Privacy policy accepted".to_string(),
        "privacy_policy" => "Privacy policy withdrawn".to_string(),
        "marketing" => format!("Product update mails: {state}"),
        "analytics" => format!("Anonymous statistics: {state}"),
        other => format!("{other}: {state}"),
    }
}

fn method_words(method: &str) -> String {
    match method {
        "signup" => "at sign-up",
        "settings" => "on this page",
        "unsubscribe" => "with an unsubscribe link",
        "banner" => "on a notice",
        other => other,
    }
    .to_string()
}

/// Copies `text` to the clipboard; the button says "Copied" for a moment after (or what to do
/// when the browser refuses). A plain button, so Enter and Space work as for any other.
#[component]
fn CopyButton(text: String) -> impl IntoView {
    #[derive(Clone, Copy, PartialEq)]
    // The server only renders the first state; the browser reaches the others.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    enum Copying {
        Ready,
        Copied,
        Refused,
    }
    let state = RwSignal::new(Copying::Ready);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = text.clone();
            leptos::task::spawn_local(async move {
                let copied = match web_sys::window() {
                    Some(window) => wasm_bindgen_futures::JsFuture::from(
                        window.navigator().clipboard().write_text(&text),
                    )
                    .await
                    .is_ok(),
                    None => false,
                };
                state.set(if copied {
                    Copying::Copied
                } else {
                    Copying::Refused
                });
                set_timeout(
                    move || state.set(Copying::Ready),
                    std::time::Duration::from_secs(3),
                );
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button class="button small" type="button" data-testid="copy-api-key" on:click=copy>
            {move || match state.get() {
                Copying::Ready => "Copy",
                Copying::Copied => "Copied",
                Copying::Refused => "Copying was refused: select the key and copy it",
            }}
        </button>
    }
}

#[component]
fn KeyList(
    keys: Vec<KeyView>,
    restricted: bool,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="fine-print" data-testid="no-keys">"No API keys yet."</p> }
            .into_any();
    }
    view! {
        <table class="keys" data-testid="api-keys">
            <caption class="visually-hidden">"Your API keys"</caption>
            <thead><tr><th>"Name"</th><th>"Key"</th><th>"Created"</th><th>"Last used"</th><th>"Status"</th><th><span class="visually-hidden">"Action"</span></th></tr></thead>
            <tbody>
                {keys.into_iter().map(|key| {
                    let label = format!("Revoke {}", key.name);
                    let status = key_status(&key, restricted);
                    view! {
                        <tr data-testid="api-key">
                            <td>{key.name.clone()}</td>
                            <td><code>{key.prefix.clone()}"…"</code></td>
                            <td>{key.created.clone()}</td>
                            <td>{key.last_used.clone().unwrap_or_else(|| "never".into())}</td>
                            <td data-testid="key-status">{status}</td>
                            <td>
                                {match key.revoked.clone() {
                                    Some(_) => ().into_any(),
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

/// `/account/deleted`: where "Delete my account" lands, signed out. Public (the gate lets it
/// through), since the account it talks about no longer exists.
#[component]
pub fn AccountDeletedPage() -> impl IntoView {
    view! {
        <Title text="Account deleted · imgigo"/>
        <section class="auth" data-testid="account-deleted">
            <h1>"Your account is deleted"</h1>
            <p class="form-ok" role="status">
                "Your account and its data are deleted: your profile, consent records, sessions, API keys, "
                "the results made with your API keys, your privacy requests, the record of staff access and "
                "any mail to you not yet sent. You are signed out on every device."
            </p>
            <p>
                "Nothing of the account remains with us. We sent a confirmation to the address it had; "
                "that mail leaves our outbox once it is delivered."
            </p>
            <p class="fine-print">
                "Photos you cut out in the editor were never linked to the account: their encrypted results "
                "expire on their own within 7 days, and the editor's history stays in this browser until you "
                "clear it there."
            </p>
            <p><a href="/">"Back to the editor"</a>" · You can still use imgigo without an account."</p>
        </section>
    }
}

/// The account's credits (when payments are on): balance by kind, the way to buy more, and the
/// ledger's latest rows.
#[component]
fn Credits() -> impl IntoView {
    let credits = Resource::new(|| (), |_| credits_overview());
    view! {
        <Transition fallback=|| ()>
            {move || credits.get().and_then(Result::ok).flatten().map(|view| view! {
                <fieldset class="group" id="credits" data-testid="credits">
                    <legend>"Credits"</legend>
                    <p>
                        "Balance: " <strong data-testid="credit-balance">{view.total}</strong> " credits ("
                        {view.free} " of this month's " {view.free_monthly} " free, "
                        {view.subscription} " from a plan, " {view.payg} " bought). "
                        "API calls with a key cost 1 credit, 0.25 for a preview. "
                        <a href="/pricing">"Buy credits"</a>
                    </p>
                    {view.plan.map(|(name, status)| {
                        let note = if status == "past_due" { " (the last payment failed; Stripe will try again)" } else { "" };
                        view! {
                            <div class="plan" data-testid="plan-section">
                                <p data-testid="plan">"Plan: " <strong>{name}</strong> {note}</p>
                                <form method="post" action="/billing/portal">
                                    <button class="button" type="submit" data-testid="manage-plan">"Manage your plan (Stripe)"</button>
                                </form>
                                <Invoices/>
                            </div>
                        }
                    })}
                    {if view.history.is_empty() {
                        view! { <p class="fine-print">"No credits used or bought yet."</p> }.into_any()
                    } else {
                        view! {
                            <table class="keys" data-testid="credit-history">
                                <thead><tr><th>"When"</th><th>"What"</th><th>"Credits"</th><th>"Balance"</th></tr></thead>
                                <tbody>
                                    {view.history.into_iter().map(|row| view! {
                                        <tr data-testid="credit-row" data-kind=row.kind>
                                            <td>{row.at}</td><td>{row.what}</td><td>{row.amount}</td><td>{row.balance}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                </fieldset>
            })}
        </Transition>
    }
}

/// The plan's invoices at Stripe, each with a link to Stripe's page for it.
#[component]
fn Invoices() -> impl IntoView {
    let invoices = Resource::new(|| (), |_| invoices_overview());
    view! {
        <h3>"Invoices"</h3>
        <Transition fallback=|| view! { <p class="fine-print">"Asking Stripe for your invoices…"</p> }>
            {move || invoices.get().map(|result| match result {
                Err(err) => view! { <p class="fine-print" role="alert">{err.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p class="fine-print">"No invoices yet."</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="history" data-testid="invoices">
                        {list.into_iter().map(|invoice| view! {
                            <li data-testid="invoice">
                                {invoice.date} " · " {invoice.amount.unwrap_or_default()} " · " {invoice.status}
                                {invoice.url.map(|url| view! { " · " <a href=url rel="external noreferrer">"View at Stripe"</a> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
    }
}
