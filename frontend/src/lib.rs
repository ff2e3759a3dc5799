//! The browser's entry point: hydrates the server-rendered page.

/// Hydrates the page as `leptos::mount::hydrate_lazy` does (every page but the editor is a lazy
/// route: its wasm chunk is fetched first), then marks `<body data-hydrated="true">`. Forms and
/// links work from that moment, so the browser tests (and styles) wait for the mark. It comes only
/// once the route's own view is hydrated: set earlier (by an effect of the layout, say), a click
/// could reach a form whose handler was not attached yet, and the browser would post it natively.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    // `hydrate_from_async` sets wasm-bindgen-futures up as Leptos' executor.
    wasm_bindgen_futures::spawn_local(async move {
        let mounted = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        mounted.forget();
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
