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
    // The pages are lazy routes (each its own module, fetched when first shown): hydration
    // waits for the module of the page the server rendered, so it runs as a task.
    let Some(body) = leptos::prelude::document().body() else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        owner.forget();
        // A marker that the page is interactive: end-to-end tests wait for it.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
