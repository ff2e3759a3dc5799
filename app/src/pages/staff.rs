//! `/staff` (support and admin): counts only, no personal data; `/admin` adds role changes.

use leptos::prelude::*;
use leptos_meta::Title;

use super::forms::{FormError, FormOk, failure, succeeded};
use crate::account::api::{SetRole, staff_overview};

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

#[component]
pub fn StaffPage() -> impl IntoView {
    view! {
        <Title text="Staff · imgigo"/>
        <section class="account" data-testid="staff">
            <h1>"Staff"</h1>
            <Counts admin_only=false/>
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
