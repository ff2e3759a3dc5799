//! Payments through Stripe (issue 18): what is for sale ([`products`]), Stripe's webhook
//! signatures ([`signature`]) and the events that grant credits ([`events`]). Card data never
//! reaches this server: Stripe's hosted pages take it, and Stripe tells us by signed webhook what
//! was paid. Credits themselves live in [`crate::credits`].

pub mod events;
pub mod products;
pub mod signature;
