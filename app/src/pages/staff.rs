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

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Admin · imgigo"/>
        <section class="account" data-testid="admin">
            <h1>"Admin"</h1>
            <Counts admin_only=true/>
        </section>
    }
}
