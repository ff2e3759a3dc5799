//! The request reader behind every cutout route, `server::api::form::read`. Any body must give a
//! `Form` within the bounds or an `Error`, never a panic (see `common/form_input.rs` for how the
//! input becomes a request).
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use server::api::form;

#[path = "../common/form_input.rs"]
mod form_input;

/// One runtime for the whole run: building one per input would dominate the time.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
});

fuzz_target!(|data: &[u8]| {
    let Some((request, query, max_bytes)) = form_input::request(data) else {
        return;
    };
    RUNTIME.block_on(async {
        if let Ok(form) = form::read(request, query, max_bytes, &form_input::FIELDS).await {
            form_input::check(&form, max_bytes);
        }
    });
});
