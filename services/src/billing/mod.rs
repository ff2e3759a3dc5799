//! Payments through Stripe (issue 18): what is for sale ([`products`]), buying it through Stripe
//! Checkout ([`checkout`], over the one client in [`stripe_api`]), Stripe's webhook signatures
//! ([`signature`]) and the events that grant credits ([`events`]), with a receipt by mail. Card data never
//! reaches this server: Stripe's hosted pages take it, and Stripe tells us by signed webhook what
//! was paid. Credits themselves live in [`crate::credits`].

pub mod checkout;
pub mod events;
pub mod money;
pub mod plans;
pub mod products;
pub mod receipts;
pub mod signature;
pub mod stripe_api;
