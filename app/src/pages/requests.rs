//! `/privacy/request`: a privacy request for anything the buttons don't cover, with or without an
//! account. The answer comes by mail within 30 days.

use leptos::prelude::*;
use leptos_meta::Title;

use super::forms::{FormError, failure};
use crate::account::api::SubmitPrivacyRequest;

#[component]
pub fn RequestPage() -> impl IntoView {
    let action = ServerAction::<SubmitPrivacyRequest>::new();
    let reference = move || action.value().get().and_then(Result::ok);
    view! {
        <Title text="Privacy request · imgigo"/>
        <section class="auth" data-testid="privacy-request">
            <h1>"Ask us about your data"</h1>
            <p class="lede">
                "Most rights are buttons in the " <a href="/account#your-data" rel="external">"privacy centre"</a>
                " and work at once. For anything else — or if you have no account — write here. "
                "We answer by mail within 30 days."
            </p>
            <Show
                when=move || reference().is_some()
                fallback=move || view! {
                    <ActionForm action=action attr:class="auth-form">
                        <label>
                            "Your email address (when logged in, we answer to your account's address)"
                            <input type="email" name="email" autocomplete="email"/>
                        </label>
                        <label>
                            "What is it about?"
                            <select name="kind">
                                <option value="access">"A copy of my data (access)"</option>
                                <option value="correction">"Correcting my data"</option>
                                <option value="deletion">"Deleting my data"</option>
                                <option value="objection">"Objecting to processing"</option>
                                <option value="portability">"My data in a machine-readable form"</option>
                                <option value="restriction">"Restricting processing"</option>
                                <option value="other" selected>"Something else"</option>
                            </select>
                        </label>
                        <label>"Your request" <textarea name="message" rows="6" maxlength="5000" required></textarea></label>
                        <FormError message=Signal::derive(failure(action))/>
                        <button class="button primary" type="submit">"Send the request"</button>
                    </ActionForm>
                }
            >
                <p class="form-ok" role="status" data-testid="request-reference">
                    "Received as request #" {reference} ". We sent the reference to your address and will answer within 30 days."
                </p>
            </Show>
        </section>
    }
}
