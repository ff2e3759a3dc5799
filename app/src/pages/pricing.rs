//! `/pricing`: the credit packs and plans for sale (or a plain "payments are off"), with a Buy
//! button each (a form posted to `/billing/checkout`, which sends the browser on to Stripe's hosted
//! checkout). Stripe's checkout returns to `/pricing?session_id=…`, and the page then says first
//! whether the credits or the plan have arrived. (One page, not two: each lazily loaded route adds
//! code to every page's first load, whose budget is issue 16's.)

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::billing::{PricingView, checkout_outcome, pricing_overview};

#[component]
pub fn PricingPage() -> impl IntoView {
    let query = use_query_map();
    let overview = Resource::new(
        move || query.with(|q| (q.get("error"), q.get("cancelled"))),
        |(error, cancelled)| pricing_overview(error, cancelled),
    );
    let session_id = move || query.with(|q| q.get("session_id"));
    view! {
        <Title text="Pricing · imgigo"/>
        <section class="pricing" data-testid="pricing">
            {move || session_id().map(|id| view! { <CheckoutOutcome session_id=id/> })}
            <h1>"Pricing"</h1>
            <p class="lede">
                "The editor is free, with no account. Credits pay for API calls with a key, as remove.bg counts them: "
                "1 credit for a full-size result, 0.25 for a preview."
            </p>
            <Transition fallback=|| view! { <p>"Loading the prices…"</p> }>
                {move || overview.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    Ok(view) => packs(view).into_any(),
                })}
            </Transition>
        </section>
    }
}

fn packs(view: PricingView) -> impl IntoView {
    let notice = view.notice.clone().map(|text| {
        view! { <p class="form-error" role="alert" data-testid="pricing-notice">{text}</p> }
    });
    if !view.payments {
        return view! {
            {notice}
            <p data-testid="payments-off">
                "Payments are off on this server: nothing is sold here and API calls are not charged."
            </p>
        }
        .into_any();
    }
    let signed_in = view.signed_in;
    let has_plan = view.current_plan.is_some();
    let plans = (!view.plans.is_empty()).then(|| view! {
        <section class="plans" data-testid="plans">
        <h2>"Monthly plans"</h2>
        {view.current_plan.clone().map(|plan| view! {
            <p data-testid="current-plan">
                "Your plan: " {plan} ". Change or cancel it with “Manage your plan” on your "
                <a href="/account#credits">"account page"</a> "."
            </p>
        })}
        <ul class="packs">
            {view.plans.into_iter().map(|plan| view! {
                <li class="pack" data-testid=format!("plan-{}", plan.id)>
                    <h3>{plan.name.clone()}</h3>
                    <p class="pack-credits">{plan.credits.clone()} " each month"</p>
                    <p class="pack-price">{plan.price.clone()}</p>
                    {buy_button(signed_in && !has_plan, "plan", plan.id.clone(), "Subscribe with Stripe")}
                </li>
            }).collect_view()}
        </ul>
        <p class="muted">"A plan renews each month until you cancel it; each paid month brings its credits, and what is left of the last month's lapses. Cancel at any time in Stripe's billing portal, from your account page."</p>
        </section>
    });
    view! {
        {notice}
        <p>"Every account gets " {view.free_monthly.clone()} " free credits each month; unused free credits lapse at the month's end. Bought credits do not expire."</p>
        <ul class="packs">
            {view.packs.into_iter().map(|pack| view! {
                <li class="pack" data-testid=format!("pack-{}", pack.id)>
                    <h2>{pack.name.clone()}</h2>
                    <p class="pack-credits">{pack.credits.clone()}</p>
                    <p class="pack-price">{pack.price.clone()}</p>
                    {buy_button(signed_in, "pack", pack.id.clone(), "Buy with Stripe")}
                </li>
            }).collect_view()}
        </ul>
        {plans}
        <p class="muted">
            "Payment is taken by Stripe on its own page: imgigo never sees your card. "
            "Credits are added once Stripe confirms the payment, and a receipt comes by mail."
        </p>
    }
    .into_any()
}

/// The form that starts a checkout of `kind` (`pack` or `plan`) `id`; for visitors, a way to log
/// in; for a second plan, nothing.
fn buy_button(allowed: bool, kind: &'static str, id: String, label: &'static str) -> impl IntoView {
    let testid = format!("{}-{id}", if kind == "pack" { "buy" } else { "subscribe" });
    if allowed {
        view! {
            <form method="post" action="/billing/checkout">
                <input type="hidden" name=kind value=id/>
                <button class="button primary" type="submit" data-testid=testid>{label}</button>
            </form>
        }
        .into_any()
    } else if kind == "pack" {
        view! { <a class="button" href="/login?next=%2Fpricing">"Log in to buy"</a> }.into_any()
    } else {
        ().into_any()
    }
}

/// Back from Stripe's checkout: whether Stripe has confirmed it (our records say; the id grants
/// nothing by itself).
#[component]
fn CheckoutOutcome(session_id: String) -> impl IntoView {
    let outcome = Resource::new(move || session_id.clone(), checkout_outcome);
    view! {
        <div class="checkout-done" data-testid="checkout-done">
            <h2>"Thank you"</h2>
            <Transition fallback=|| view! { <p>"Looking for your payment…"</p> }>
                {move || outcome.get().map(|result| match result {
                    Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    Ok(view) => match (view.granted.clone(), view.subscribed.clone()) {
                        (_, Some(plan)) => view! {
                            <p class="form-ok" role="status" data-testid="checkout-subscribed">
                                {format!("Your plan “{plan}” has started. Its credits come with each paid month (the first within a minute or so); your balance is {}.", view.balance)}
                            </p>
                        }.into_any(),
                        (Some(granted), None) => view! {
                            <p class="form-ok" role="status" data-testid="checkout-granted">
                                {format!("{granted} added. Your balance is {}.", view.balance)}
                            </p>
                        }.into_any(),
                        (None, None) => view! {
                            <p role="status" data-testid="checkout-pending">
                                "Stripe has not confirmed the payment to us yet; credits are added as soon as it does (usually within a minute), and a receipt comes by mail. "
                                <a href="" rel="external" data-testid="checkout-refresh">"Check again"</a>
                            </p>
                        }.into_any(),
                    },
                })}
            </Transition>
            <p><a href="/account#credits">"Your credits and their history"</a></p>
        </div>
    }
}
