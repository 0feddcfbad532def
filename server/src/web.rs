//! The HTTP surface: pages (SSR + hydration), server functions, static files, `/healthz`.

use std::time::Duration;

use app::error::AppError;
use app::ssr::AppState;
use app::ssr::auth::{authenticate, same_origin_write};
use app::{App, shell};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::response::{IntoResponse, Json};
use axum::routing::get;
use leptos::config::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Builds the whole application router over `state`; tests call it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let pkg_dir = format!(
        "{}/{}",
        state.leptos_options.site_root, state.leptos_options.site_pkg_dir
    );
    // The bundle's files are named after their content's hash: kept for a year. Anything
    // else there (an unhashed development build) is revalidated.
    let pkg = Router::new()
        .route(
            &format!("/{SPLIT_LOADER_PRELOAD}"),
            get(split_loader_preload),
        )
        .fallback_service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(middleware::from_fn(asset_cache));
    Router::new()
        .nest("/api/v1", crate::api::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::telemetry::scrape))
        .nest_service("/pkg", pkg)
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn_with_state(state.clone(), auth_layer))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_origin_layer,
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(crate::telemetry::latency_layer))
        // Spans name the path only: a query may carry a calendar token.
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path())
            },
        ))
        // Pages and API answers are always revalidated (the bundle sets its own).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// Whether `path` is a sender's delivery (an alert hook's or a tracker's webhook): it carries
/// its own secret, not a session or an API token, and comes from a server, not a browser.
fn is_inbound(path: &str) -> bool {
    ["/api/v1/hooks/", "/api/v1/trackers/"]
        .iter()
        .any(|prefix| {
            path.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix("/receive"))
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
        })
}

/// Paths that never need to know who is asking.
fn is_public_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/healthz" || path == "/metrics" || path == "/favicon.ico"
}

/// Puts the request's [`Auth`] into its extensions for handlers,
/// server functions and page rendering alike. A bad bearer token is a 401 right here.
async fn auth_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Assets are public; a hook's delivery carries the hook's own secret, checked by its
    // handler (its `Authorization` is not an API token).
    if is_public_asset(req.uri().path()) || is_inbound(req.uri().path()) {
        return next.run(req).await;
    }
    let mut auth = match authenticate(&state, req.headers(), chrono::Utc::now()).await {
        Ok(a) => a,
        Err(e) => return crate::api::ApiError(e).into_response(),
    };
    if auth.0.is_none() && req.method() == axum::http::Method::GET && is_page(req.uri().path()) {
        // Decided before rendering: a streamed page has sent its status by the time a
        // component could redirect.
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
        return axum::response::Redirect::to(&format!("/login?{next}")).into_response();
    }
    // A page's panels share what they read while it renders (see `PageReads`).
    if req.method() == axum::http::Method::GET
        && is_page(req.uri().path())
        && let Some(actor) = auth.0.as_mut()
    {
        actor.page = app::ssr::services::common::PageReads::page();
    }
    req.extensions_mut().insert(auth);
    next.run(req).await
}

/// Server-rendered pages (everything but the API, server functions, assets and sign-in).
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/rpc/")
        || path == "/login"
        || path == "/metrics")
}

/// Refuses state-changing requests that do not come from this site (cross-site request
/// forgery), server functions included; bearer-token requests are exempt.
async fn same_origin_layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    // A hook's delivery comes from a server with the hook's secret, never with a cookie.
    let inbound = is_inbound(req.uri().path());
    if !safe && !inbound && !same_origin_write(req.headers(), &state.config.public_origin) {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), "refused a write from another origin");
        return crate::api::ApiError(AppError::forbidden(
            "this request does not come from this site (Origin / Sec-Fetch-Site); use an API token for scripts",
        ))
        .into_response();
    }
    next.run(req).await
}

/// Liveness and database reachability: 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let db = tokio::time::timeout(Duration::from_secs(3), app::ssr::db::ping(&state.db)).await;
    let backend = app::ssr::db::backend_name(&state.db);
    match db {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(
                serde_json::json!({"status": "ok", "database": "ok", "backend": backend, "version": env!("CARGO_PKG_VERSION")}),
            ),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database error");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    serde_json::json!({"status": "error", "database": "error", "backend": backend}),
                ),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({"status": "error", "database": "timeout", "backend": backend})),
        ),
    }
}

/// Leptos options built in code, so the binary runs without cargo-leptos's environment.
/// `Cache-Control` of a file under `/pkg`: a year and `immutable` for a hashed name, else
/// revalidated.
async fn asset_cache(req: Request, next: Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut res = next.run(req).await;
    let value = if hashed && res.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

/// The loader of the split bundle as Leptos names it in the preload hint of a lazy page
/// rendered on the server (the name cargo-leptos gives it when names are not hashed).
/// `.ci/build-site` names the loader after the bundle's hash, which the main module imports, so
/// this hint names nothing the page runs: it gets an empty module rather than a 404 that
/// would show in the browser's console.
const SPLIT_LOADER_PRELOAD: &str = "__wasm_split.______________________.js";

async fn split_loader_preload() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        "export {};\n",
    )
        .into_response()
}

/// Whether a bundle file's name carries the content hash `.ci/build-site` gives it
/// (`hindsight.0123456789abcdef.js`, `…_bg.wasm`, `….css`).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.split('.').nth(1).is_some_and(|h| {
        let h = h.strip_suffix("_bg").unwrap_or(h);
        h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The base name of the bundle's files: the hashed name `.ci/build-site` wrote to
/// `SITE/bundle.txt` when it belongs to `output_name`, else `output_name` itself (files
/// built without hashes).
pub fn bundle_name(site_root: &std::path::Path, output_name: &str) -> String {
    std::fs::read_to_string(site_root.join("bundle.txt"))
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|b| {
            b.strip_prefix(output_name)
                .and_then(|rest| rest.strip_prefix('.'))
                .is_some_and(|h| is_hashed(&format!("{output_name}.{h}.js")))
        })
        .unwrap_or_else(|| output_name.to_owned())
}

pub fn leptos_options(settings: &crate::config::Settings) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") | Ok("development") => leptos::config::Env::DEV,
        _ => leptos::config::Env::PROD,
    };
    LeptosOptions::builder()
        .output_name(bundle_name(&settings.site_root, &settings.output_name))
        .site_root(settings.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .env(env)
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_receive_paths_are_inbound() {
        assert!(super::is_inbound("/api/v1/hooks/3/receive"));
        assert!(!super::is_inbound("/api/v1/hooks/3"));
        assert!(super::is_inbound("/api/v1/trackers/2/receive"));
        assert!(!super::is_inbound("/api/v1/trackers/2"));
        assert!(!super::is_inbound("/api/v1/hooks//receive"));
        assert!(!super::is_inbound("/api/v1/hooks/3/x/receive"));
        assert!(!super::is_inbound("/api/v1/incidents/INC-1/receive"));
    }

    #[test]
    fn only_content_hashed_files_are_immutable() {
        assert!(super::is_hashed("/pkg/hindsight.0123456789abcdef.js"));
        assert!(super::is_hashed("/pkg/hindsight.0123456789abcdef_bg.wasm"));
        assert!(super::is_hashed("/pkg/hindsight.0123456789abcdef.css"));
        assert!(!super::is_hashed("/pkg/hindsight.js"));
        assert!(!super::is_hashed("/pkg/hindsight_bg.wasm"));
        assert!(!super::is_hashed("/pkg/hindsight.0123456789abcdeg.js"));
        assert!(!super::is_hashed("/pkg/hindsight.0123.js"));
    }
}
