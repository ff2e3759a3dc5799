//! `/staff` (support and admin): counts only, no personal data; `/admin` adds role changes.

use leptos::prelude::*;
use leptos_meta::Title;

use super::forms::{FormError, FormOk, failure, succeeded};
use crate::account::api::{AnswerRequest, SetRole, staff_overview, staff_requests};

#[component]
fn Counts(admin_only: bool) -> impl IntoView {
    let set_role = ServerAction::<SetRole>::new();
    let overview = Resource::new(move || set_role.version().get(), |_| staff_overview());
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || overview.get().map(|result| match result {
                Ok(view) if !admin_only || view.can_manage_roles => view! {
                    <dl class="counts" data-testid="staff-counts">
                        <dt>"Accounts"</dt><dd>{view.accounts}</dd>
                        <dt>"Confirmed addresses"</dt><dd>{view.verified}</dd>
                        <dt>"Staff accounts"</dt><dd>{view.staff}</dd>
                        <dt>"Live API keys"</dt><dd>{view.live_api_keys}</dd>
                    </dl>

                    {view.can_manage_roles.then(|| view! {
                        <fieldset class="group">
                            <legend>"Change an account's role"</legend>
                            <ActionForm action=set_role attr:class="inline-form">
                                <label>"Email address" <input type="email" name="email" required/></label>
                                <label>"Role"
                                    <select name="role">
                                        <option value="user">"user"</option>
                                        <option value="support">"support"</option>
                                        <option value="admin">"admin"</option>
                                    </select>
                                </label>
                                <button class="button" type="submit">"Save role"</button>
                            </ActionForm>
                            <FormError message=Signal::derive(failure(set_role))/>
                            <FormOk show=Signal::derive(succeeded(set_role)) text="Role saved."/>
                        </fieldset>
                    })}
                }.into_any(),
                Ok(_) => view! {
                    <p class="form-error" role="alert">"Your account does not have access to this page."</p>
                }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// The privacy-request queue: by deadline, overdue first; answering mails the requester.
#[component]
fn RequestQueue() -> impl IntoView {
    let answer = ServerAction::<AnswerRequest>::new();
    let queue = Resource::new(move || answer.version().get(), |_| staff_requests());
    view! {
        <fieldset class="group" data-testid="request-queue">
            <legend>"Privacy requests (answer within 30 days)"</legend>
            <FormError message=Signal::derive(failure(answer))/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || queue.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    Ok(items) if items.is_empty() => view! { <p class="fine-print">"No requests."</p> }.into_any(),
                    Ok(items) => view! {
                        <ul class="queue-list">
                            {items.into_iter().map(|item| {
                                let r = item.request;
                                let closed = r.status == "closed";
                                view! {
                                    <li class:overdue=item.overdue data-testid="queue-entry">
                                        <p>
                                            <strong>"#"{r.id}" "{r.kind}</strong>" from "{item.email}" — "{r.status}
                                            ", due "{r.due}{item.overdue.then_some(" (overdue)")}
                                        </p>
                                        <blockquote>{r.message}</blockquote>
                                        {r.response.map(|text| view! { <p class="fine-print">"Answered: "{text}</p> })}
                                        {(!closed).then(|| view! {
                                            <ActionForm action=answer attr:class="auth-form">
                                                <input type="hidden" name="id" value=r.id.to_string()/>
                                                <label>"Answer (mailed to the requester)" <textarea name="response" rows="3" required maxlength="5000"></textarea></label>
                                                <label class="check"><input type="checkbox" name="close" checked/>"Close the request"</label>
                                                <button class="button" type="submit">"Send the answer"</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </fieldset>
    }
}

/// `/staff`, and `/admin` too: both pages are one lazily loaded chunk (the admin page's code in a
/// chunk of its own made every page's first load about 2 kB larger), told apart by the path.
#[component]
pub fn StaffPage() -> impl IntoView {
    use leptos::either::Either;
    let admin = leptos_router::hooks::use_location()
        .pathname
        .get_untracked()
        == "/admin";
    if admin {
        Either::Left(view! { <AdminPage/> })
    } else {
        Either::Right(view! {
            <Title text="Staff · imgigo"/>
            <section class="account" data-testid="staff">
                <h1>"Staff"</h1>
                <Counts admin_only=false/>
                <RequestQueue/>
            </section>
        })
    }
}

/// Mail for admins: the outbox (what waits, what was given up and why), and product updates —
/// write one (Markdown) and preview its plain-text part with the number of recipients, then send
/// the previewed text as a test to yourself or to everyone it reaches; the latest updates with
/// their delivery. One action and one resource (see `crate::mail_admin`).
#[component]
fn MailAdmin() -> impl IntoView {
    use crate::mail_admin::{ComposeUpdate, mail_overview};
    let compose = ServerAction::<ComposeUpdate>::new();
    let overview = Resource::new(move || compose.version().get(), |_| mail_overview());
    let draft_form = move |intent: &'static str,
                           label: String,
                           draft: &crate::mail_admin::Composed| {
        let (subject, body) = (draft.subject.clone(), draft.body.clone());
        view! {
            <ActionForm action=compose attr:class="inline-form">
                <input type="hidden" name="subject" value=subject/>
                <input type="hidden" name="body" value=body/>
                <input type="hidden" name="intent" value=intent/>
                <button class="button" type="submit" data-testid=format!("{intent}-update")>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || overview.get().map(|result| match result {
                Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                Ok(mail) => view! {
                    <fieldset class="group" data-testid="mail-delivery">
                        <legend>"Mail delivery"</legend>
                        <p>{mail.queued}" waiting · "{mail.failed}" given up in the last 7 days"</p>
                        <ul class="queue-list">
                            {mail.failures.into_iter().map(|failure| view! {
                                <li data-testid="mail-failure">
                                    <strong>{failure.kind}</strong>" — "{failure.reason}
                                    " ("{failure.attempts}" attempts, "{failure.at}")"
                                </li>
                            }).collect_view()}
                        </ul>
                    </fieldset>
                    <fieldset class="group" data-testid="sent-updates">
                        <legend>"Product updates sent"</legend>
                        <ul class="queue-list">
                            {mail.updates.into_iter().map(|update| view! {
                                <li data-testid="sent-update">
                                    <strong>"#"{update.id}" "{update.subject}</strong>
                                    " — "{update.sent_at}", "{update.recipients}" recipients: "
                                    {update.recipients - update.waiting as i64 - update.failed as i64}" delivered, "
                                    {update.waiting}" waiting, "{update.failed}" given up"
                                </li>
                            }).collect_view()}
                        </ul>
                    </fieldset>
                }.into_any(),
            })}
        </Transition>
        <fieldset class="group" data-testid="product-updates">
            <legend>"Write a product update"</legend>
            <p class="fine-print">"Goes to accounts that chose product updates, with a confirmed address and not restricted. Each mail has its own one-click unsubscribe link."</p>
            <ActionForm action=compose attr:class="auth-form">
                <label>"Subject" <input type="text" name="subject" maxlength="150" required/></label>
                <label>"Text (Markdown)" <textarea name="body" rows="8" maxlength="20000" required></textarea></label>
                <input type="hidden" name="intent" value="preview"/>
                <button class="button" type="submit">"Preview"</button>
            </ActionForm>
            <FormError message=Signal::derive(failure(compose))/>
            {move || compose.value().get().and_then(Result::ok).map(|draft| {
                let people = if draft.recipients == 1 { "person" } else { "people" };
                let send = format!("Send to {} {people}", draft.recipients);
                view! {
                    <div data-testid="update-preview">
                        <p><strong>{draft.subject.clone()}</strong>" — the plain-text part (the test mail shows the HTML part):"</p>
                        <pre class="update-text">{draft.text.clone()}</pre>
                    </div>
                    {draft.tested.then_some(view! { <p class="form-ok" role="status">"A test is on its way to your address."</p> })}
                    {draft.queued.map(|n| view! { <p class="form-ok" role="status" data-testid="update-queued">{format!("Queued for {n}.")}</p> })}
                    {draft_form("test", "Send me a test".to_string(), &draft)}
                    {draft_form("send", send, &draft)}
                }
            })}
        </fieldset>
    }
}

#[component]
fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin · imgigo"/>
        <section class="account" data-testid="admin">
            <h1>"Admin"</h1>
            <Counts admin_only=true/>
            <p>
                <a href="/admin/insights" rel="external">"Insights"</a>
                ": traffic, cutouts, cutout time, refusals and signups per day, as charts, a table and CSV."
            </p>
            <p>
                <a href="/admin/accounts" rel="external">"Find or delete an account"</a>
                " for a request sent to the privacy address (each lookup is shown to the person)."
            </p>
            <MailAdmin/>
        </section>
    }
}
