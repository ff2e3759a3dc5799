//! Register, log in, confirm the address, forgot and reset password.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::forms::{FormError, FormOk, failure, succeeded};
use crate::account::api::{
    ForgotPassword, Login, Register, ResendVerification, ResetPassword, VerifyEmail,
};

fn query(name: &'static str) -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || query.read().get(name))
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let error = failure(action);
    let done = succeeded(action);
    view! {
        <Title text="Create an account · imgigo"/>
        <section class="auth" data-testid="register">
            <h1>"Create an account"</h1>
            <p class="lede">
                "An account is optional: the editor works without one. It adds API keys. We keep your name, "
                "your email address, a hash of your password and the choices below (each with its time and "
                "the policy version). Using the account adds its sign-in sessions, its API keys (a hash of "
                "each), the ids of results made with them (for their 7 days), links we mail you (until used "
                "or expired) and any privacy request you send. “Download my data” on your account page shows "
                "all of it; deleting the account deletes all of it."
            </p>
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action=action attr:class="auth-form">
                        <label>"Name" <input name="name" autocomplete="name" required maxlength="100"/></label>
                        <label>"Email address" <input type="email" name="email" autocomplete="email" required/></label>
                        <label>
                            "Password (at least 12 characters)"
                            <input type="password" name="password" autocomplete="new-password" required minlength="12" maxlength="128"/>
                        </label>
                        <label class="check">
                            <input type="checkbox" name="age" required/>
                            "I am 13 years old or older."
                        </label>
                        <label class="check">
                            <input type="checkbox" name="policy" required/>
                            <span>"I have read and accept the " <a href="/privacy" target="_blank">"privacy policy"</a> "."</span>
                        </label>
                        <label class="check">
                            <input type="checkbox" name="analytics"/>
                            "Count my visits in the anonymous statistics"
                        </label>
                        <label class="check">
                            <input type="checkbox" name="marketing"/>
                            "Send me product updates by mail"
                        </label>
                        <p class="fine-print">
                            "Both are off unless you tick them. You can change either at any time on your account page."
                        </p>
                        <FormError message=Signal::derive(error)/>
                        <button class="button primary" type="submit" disabled=move || action.pending().get()>
                            "Create account"
                        </button>
                        <p class="fine-print">"Already registered? " <a href="/login">"Log in"</a></p>
                    </ActionForm>
                }
            >
                <p class="form-ok" role="status" data-testid="check-inbox">
                    "Almost done: we sent a link to your address. Open it to confirm the address, then log in. "
                    "No mail after a few minutes? Check the spam folder, or ask for a new link on the log-in page."
                </p>
            </Show>
        </section>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let resend = ServerAction::<ResendVerification>::new();
    let next = query("next");
    let signed_out = query("signed_out");
    let error = failure(action);
    view! {
        <Title text="Log in · imgigo"/>
        <section class="auth" data-testid="login">
            <h1>"Log in"</h1>
            {move || signed_out.get().map(|_| view! {
                <p class="form-ok" role="status">"You were signed out on every device."</p>
            })}
            <ActionForm action=action attr:class="auth-form">
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default()/>
                <label>"Email address" <input type="email" name="email" autocomplete="username" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                <FormError message=Signal::derive(error)/>
                <button class="button primary" type="submit" disabled=move || action.pending().get()>"Log in"</button>
                <p class="fine-print">
                    <a href="/forgot">"Forgot your password?"</a>" · No account yet? "<a href="/register">"Create one"</a>
                </p>
            </ActionForm>
            <details class="resend">
                <summary>"Didn't get the confirmation mail?"</summary>
                <ActionForm action=resend attr:class="auth-form">
                    <label>"Email address" <input type="email" name="email" autocomplete="email" required/></label>
                    <FormError message=Signal::derive(failure(resend))/>
                    <FormOk
                        show=Signal::derive(succeeded(resend))
                        text="If that address has an unconfirmed account, a new link is on its way."
                    />
                    <button class="button" type="submit">"Send a new link"</button>
                </ActionForm>
            </details>
        </section>
    }
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let token = query("token");
    let done = succeeded(action);
    view! {
        <Title text="Confirm your address · imgigo"/>
        <section class="auth" data-testid="verify">
            <h1>"Confirm your email address"</h1>
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action=action attr:class="auth-form">
                        <input type="hidden" name="token" value=move || token.get().unwrap_or_default()/>
                        <p>"One click and your account is ready."</p>
                        <FormError message=Signal::derive(failure(action))/>
                        <button class="button primary" type="submit">"Confirm my email address"</button>
                    </ActionForm>
                }
            >
                <p class="form-ok" role="status">"Your address is confirmed. " <a href="/login">"Log in"</a></p>
            </Show>
        </section>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    view! {
        <Title text="Forgot your password · imgigo"/>
        <section class="auth" data-testid="forgot">
            <h1>"Forgot your password?"</h1>
            <ActionForm action=action attr:class="auth-form">
                <label>"Email address" <input type="email" name="email" autocomplete="email" required/></label>
                <FormError message=Signal::derive(failure(action))/>
                <FormOk
                    show=Signal::derive(succeeded(action))
                    text="If that address has an account, a link to choose a new password is on its way. It works for 60 minutes."
                />
                <button class="button primary" type="submit">"Send me a link"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let token = query("token");
    let done = succeeded(action);
    view! {
        <Title text="Choose a new password · imgigo"/>
        <section class="auth" data-testid="reset">
            <h1>"Choose a new password"</h1>
            <Show
                when=done
                fallback=move || view! {
                    <ActionForm action=action attr:class="auth-form">
                        <input type="hidden" name="token" value=move || token.get().unwrap_or_default()/>
                        <label>
                            "New password (at least 12 characters)"
                            <input type="password" name="password" autocomplete="new-password" required minlength="12" maxlength="128"/>
                        </label>
                        <FormError message=Signal::derive(failure(action))/>
                        <button class="button primary" type="submit">"Save the new password"</button>
                    </ActionForm>
                }
            >
                <p class="form-ok" role="status">
                    "Your password is changed and every session was signed out. " <a href="/login">"Log in"</a>
                </p>
            </Show>
        </section>
    }
}
