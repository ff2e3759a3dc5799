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
                    {view.mail.map(|mail| view! { <MailDelivery mail/> })}
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

/// The outbox for admins: what waits, and the mails given up in the last week with the reason.
#[component]
fn MailDelivery(mail: crate::account::MailHealth) -> impl IntoView {
    view! {
        <fieldset class="group" data-testid="mail-delivery">
            <legend>"Mail delivery"</legend>
            <p>{mail.queued}" waiting · "{mail.failed}" given up in the last 7 days"</p>
            {(!mail.failures.is_empty()).then(|| view! {
                <ul class="queue-list">
                    {mail.failures.into_iter().map(|failure| view! {
                        <li data-testid="mail-failure">
                            <strong>{failure.kind}</strong>" — "{failure.reason}
                            " ("{failure.attempts}" attempts, "{failure.at}")"
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </fieldset>
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

#[component]
pub fn StaffPage() -> impl IntoView {
    view! {
        <Title text="Staff · imgigo"/>
        <section class="account" data-testid="staff">
            <h1>"Staff"</h1>
            <Counts admin_only=false/>
            <RequestQueue/>
        </section>
    }
}

/// Product updates: write (Markdown), preview with the number of recipients, test, send; the
/// latest updates with their delivery.
#[component]
fn ProductUpdates() -> impl IntoView {
    use crate::product_updates::{UpdatePreview, UpdateSend, UpdateTest, updates_sent};
    let subject = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let preview = ServerAction::<UpdatePreview>::new();
    let test = ServerAction::<UpdateTest>::new();
    let send = ServerAction::<UpdateSend>::new();
    let refresh = RwSignal::new(0u32);
    let sent = Resource::new(
        move || (send.version().get(), refresh.get()),
        |_| updates_sent(),
    );
    let draft = move || (subject.get(), body.get());
    let recipients = move || {
        preview.value().with(|value| match value {
            Some(Ok(preview)) => Some(preview.recipients),
            _ => None,
        })
    };
    view! {
        <fieldset class="group" data-testid="product-updates">
            <legend>"Product updates"</legend>
            <p class="fine-print">"Goes to accounts that chose product updates, with a confirmed address and not restricted. Each mail has its own one-click unsubscribe link."</p>
            <div class="auth-form">
                <label>"Subject"
                    <input type="text" name="subject" maxlength="150" required bind:value=subject/>
                </label>
                <label>"Text (Markdown)"
                    <textarea name="body" rows="8" maxlength="20000" required bind:value=body></textarea>
                </label>
                <div class="inline-form">
                    <button class="button" type="button" on:click=move |_| {
                        let (subject, body) = draft();
                        preview.dispatch(UpdatePreview { subject, body });
                    }>"Preview"</button>
                    <button class="button" type="button" on:click=move |_| {
                        let (subject, body) = draft();
                        test.dispatch(UpdateTest { subject, body });
                    }>"Send me a test"</button>
                    {move || recipients().map(|n| view! {
                        <button class="button" type="button" data-testid="send-update" on:click=move |_| {
                            let (subject, body) = draft();
                            send.dispatch(UpdateSend { subject, body });
                        }>{format!("Send to {n} {}", if n == 1 { "person" } else { "people" })}</button>
                    })}
                </div>
            </div>
            <FormError message=Signal::derive(failure(preview))/>
            <FormError message=Signal::derive(failure(test))/>
            <FormError message=Signal::derive(failure(send))/>
            <FormOk show=Signal::derive(succeeded(test)) text="A test is on its way to your address."/>
            {move || send.value().with(|value| match value {
                Some(Ok(n)) => Some(view! { <p class="form-ok" role="status" data-testid="update-queued">{format!("Queued for {n} people.")}</p> }),
                _ => None,
            })}
            {move || preview.value().with(|value| match value {
                Some(Ok(preview)) => Some(view! {
                    <div class="update-preview" data-testid="update-preview" inner_html=preview.html.clone()></div>
                }),
                _ => None,
            })}
            <h3>"Sent"</h3>
            <button class="button" type="button" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || sent.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="fine-print">"None yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="queue-list">
                            {list.into_iter().map(|update| view! {
                                <li data-testid="sent-update">
                                    <strong>"#"{update.id}" "{update.subject}</strong>
                                    " — "{update.sent_at}", "{update.recipients}" recipients: "
                                    {update.recipients - update.waiting as i64 - update.failed as i64}" delivered, "
                                    {update.waiting}" waiting, "{update.failed}" given up"
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </fieldset>
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin · imgigo"/>
        <section class="account" data-testid="admin">
            <h1>"Admin"</h1>
            <Counts admin_only=true/>
            <ProductUpdates/>
        </section>
    }
}
