//! The browser entry point: hydrates the page the server rendered.

#![recursion_limit = "512"]

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Server functions redirect only when who you are changes (sign-in, sign-out): load the
    // target page afresh so that nothing of the previous session's state survives. Set
    // before the router, which would otherwise navigate client-side.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        let _ = leptos::prelude::window().location().assign(to);
    });
    leptos::mount::hydrate_body(app::App);
    // A marker that the page is interactive: end-to-end tests wait for it.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
