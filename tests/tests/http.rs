//! The HTTP surface through the real router: health, pages, the error page, server functions.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hindsight::web::router;
use tower::ServiceExt;

async fn state() -> app::ssr::AppState {
    tests::http::state(tests::sqlite_db().await)
}

/// The answer to a GET of `path`, headers and all.
async fn response(app: axum::Router, path: &str) -> axum::response::Response {
    app.oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn get(app: axum::Router, path: &str) -> (StatusCode, String) {
    let res = response(app, path).await;
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 4 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let (status, body) = get(router(state().await), "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["database"], "ok");
    assert_eq!(v["backend"], "sqlite");
}

#[tokio::test]
async fn healthz_is_503_when_the_database_is_gone() {
    let s = state().await;
    s.db.clone().close().await.unwrap();
    let (status, body) = get(router(s), "/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

async fn get_as(app: axum::Router, path: &str, cookie: &str) -> (StatusCode, String) {
    let req = Request::get(path)
        .header("cookie", format!("hindsight_session={cookie}"))
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 4 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn signed_in(s: &app::ssr::AppState) -> String {
    tests::http::signed_in(&s.db, "ann@example.org", app::domain::Role::Viewer)
        .await
        .cookie
        .unwrap()
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_back() {
    let (status, _) = get(router(state().await), "/incidents?status=open").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let res = router(state().await)
        .oneshot(
            Request::get("/incidents?status=open")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(location, "/login?next=%2Fincidents%3Fstatus%3Dopen");
    let (status, html) = get(router(state().await), "/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("login-form"));
}

#[tokio::test]
async fn the_incident_page_is_server_rendered_with_navigation_and_data() {
    let s = state().await;
    let cookie = signed_in(&s).await;
    let t0 = chrono::Utc::now();
    tests::seed::incident(
        &s.db,
        1,
        "Checkout <b>down</b>",
        app::domain::Severity::Sev1,
        app::domain::IncidentStatus::Investigating,
        &["checkout"],
        t0,
    )
    .await;
    let (status, html) = get_as(router(s), "/incidents", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ann"), "the user menu names the user");
    for nav in ["Incidents", "Actions", "Known errors", "Dashboard"] {
        assert!(
            html.contains(&format!(">{nav}</a>")) || html.contains(&format!(">{nav}<!")),
            "nav link {nav} in {html}"
        );
    }
    assert!(html.contains("INC-1"));
    // Titles are text, never markup.
    assert!(html.contains("Checkout &lt;b&gt;down&lt;/b&gt;"), "{html}");
    assert!(
        html.contains("/pkg/hindsight.js") && html.contains("/pkg/hindsight.css"),
        "the hydration script is referenced"
    );
}

#[tokio::test]
async fn the_root_redirects_to_incidents_and_unknown_pages_are_404() {
    let s = state().await;
    let cookie = signed_in(&s).await;
    let app = router(s);
    let (status, html) = get_as(app.clone(), "/no/such/page", &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    let (status, _) = get(app, "/").await;
    assert!(
        status.is_redirection() || status == StatusCode::OK,
        "{status}"
    );
}

#[tokio::test]
async fn the_list_server_function_answers_json_to_signed_in_users_only() {
    let s = state().await;
    let cookie = signed_in(&s).await;
    tests::seed::incident(
        &s.db,
        1,
        "One",
        app::domain::Severity::Sev2,
        app::domain::IncidentStatus::Resolved,
        &[],
        chrono::Utc::now(),
    )
    .await;
    tests::seed::incident(
        &s.db,
        2,
        "Two",
        app::domain::Severity::Sev4,
        app::domain::IncidentStatus::Investigating,
        &[],
        chrono::Utc::now(),
    )
    .await;
    let req = Request::post("/rpc/list_incidents")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", tests::http::ORIGIN)
        .body(Body::from("filter[severity]=sev2"))
        .unwrap();
    let anonymous = router(s.clone()).oneshot(req).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let req = Request::post("/rpc/list_incidents")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", tests::http::ORIGIN)
        .header("cookie", format!("hindsight_session={cookie}"))
        .body(Body::from("filter[severity]=sev2"))
        .unwrap();
    let res = router(s).oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let keys = tests::http::item_keys(&v);
    assert_eq!(keys, ["INC-1"]);
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let (status, body) = get(router(state().await), "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let expected = [
        ("/api/v1/session", &["get", "post", "delete"][..]),
        ("/api/v1/users", &["get", "post"]),
        ("/api/v1/users/{email}", &["get", "patch"]),
        ("/api/v1/tokens", &["get", "post"]),
        ("/api/v1/tokens/{id}", &["delete"]),
        ("/api/v1/history/{record_type}/{key}", &["get"]),
        ("/api/v1/incidents", &["get", "post"]),
        ("/api/v1/incidents/{key}", &["get", "patch"]),
        ("/api/v1/incidents/{key}/timeline", &["get", "post"]),
        ("/api/v1/incidents/{key}/postmortem", &["get", "put"]),
        ("/api/v1/incidents/{key}/postmortem/transition", &["post"]),
        ("/api/v1/incidents/{key}/postmortem/approve", &["post"]),
        ("/api/v1/incidents/{key}/postmortem.md", &["get"]),
        ("/api/v1/incidents/{key}/postmortem.html", &["get"]),
        ("/api/v1/postmortems", &["get"]),
        ("/api/v1/settings", &["get", "patch"]),
        ("/api/v1/known-errors", &["get", "post"]),
        ("/api/v1/known-errors/{key}", &["get", "patch"]),
        ("/api/v1/known-errors/{key}/incidents", &["post"]),
        (
            "/api/v1/known-errors/{key}/incidents/{incident}",
            &["delete"],
        ),
        ("/api/v1/incidents/{key}/known-errors", &["get", "post"]),
        ("/api/v1/incidents/{key}/suggested-known-errors", &["get"]),
        ("/api/v1/actions", &["get", "post"]),
        ("/api/v1/actions/{key}", &["get", "patch"]),
        ("/api/v1/actions/{key}/transition", &["post"]),
        ("/api/v1/actions.csv", &["get"]),
        ("/api/v1/calendar/{owner}.ics", &["get"]),
    ];
    for (path, methods) in expected {
        for m in methods {
            assert!(
                doc["paths"][path][m].is_object(),
                "{m} {path} is documented"
            );
        }
    }
    // The wire types are described, enums with their SPEC values.
    let sev = &doc["components"]["schemas"]["Severity"]["enum"];
    assert_eq!(sev, &serde_json::json!(["sev1", "sev2", "sev3", "sev4"]));
    // Incident flattens its derived durations into itself.
    let parts = doc["components"]["schemas"]["Incident"]["allOf"]
        .as_array()
        .unwrap();
    assert!(
        parts
            .iter()
            .any(|p| p["$ref"] == "#/components/schemas/Durations")
    );
    assert!(
        parts
            .iter()
            .any(|p| p["properties"]["key"].is_object() && p["properties"]["version"].is_object())
    );
    assert!(doc["components"]["schemas"]["Durations"]["properties"]["time_to_resolve"].is_object());
}

/// A built site as `.ci/build-site` leaves it: hashed, precompressed files and `bundle.txt`.
fn hashed_site() -> (std::path::PathBuf, String) {
    let root = std::env::temp_dir().join(format!("hindsight-site-{}", std::process::id()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let bundle = "hindsight.0123456789abcdef".to_owned();
    for (name, body) in [
        (format!("{bundle}.js"), "export default function(){}"),
        (format!("{bundle}_bg.wasm"), "\0asm"),
        (format!("{bundle}.css"), "body{}"),
        (format!("{bundle}.split.js"), "export const x = 1;"),
        (format!("{bundle}.chunk_3.wasm"), "\0asm"),
        (format!("{bundle}.split___list_pages_view_42.wasm"), "\0asm"),
    ] {
        std::fs::write(pkg.join(&name), body).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), b"brotli bytes").unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), b"gzip bytes").unwrap();
    }
    std::fs::write(pkg.join("hindsight.js"), "unhashed").unwrap();
    std::fs::write(root.join("bundle.txt"), format!("{bundle}\n")).unwrap();
    (root, bundle)
}

#[tokio::test]
async fn hashed_bundle_files_are_immutable_precompressed_and_pages_are_revalidated() {
    let (root, bundle) = hashed_site();
    assert_eq!(hindsight::web::bundle_name(&root, "hindsight"), bundle);
    assert_eq!(
        hindsight::web::bundle_name(&root, "other"),
        "other",
        "a bundle.txt of another name is not taken"
    );
    let mut s = state().await;
    s.leptos_options = leptos::config::LeptosOptions::builder()
        .output_name(hindsight::web::bundle_name(&root, "hindsight"))
        .site_root(root.to_string_lossy().into_owned())
        .build();
    let cookie = signed_in(&s).await;
    let app = router(s);
    for (file, kind) in [
        (format!("{bundle}.js"), "text/javascript"),
        (format!("{bundle}_bg.wasm"), "application/wasm"),
        (format!("{bundle}.css"), "text/css"),
        // The split bundle: its loader, a shared chunk, a page's module.
        (format!("{bundle}.split.js"), "text/javascript"),
        (format!("{bundle}.chunk_3.wasm"), "application/wasm"),
        (
            format!("{bundle}.split___list_pages_view_42.wasm"),
            "application/wasm",
        ),
    ] {
        for (accept, encoding, body) in
            [("br", "br", "brotli bytes"), ("gzip", "gzip", "gzip bytes")]
        {
            let res = app
                .clone()
                .oneshot(
                    Request::get(format!("/pkg/{file}"))
                        .header("accept-encoding", accept)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{file}");
            let h = res.headers().clone();
            assert_eq!(
                h["cache-control"], "public, max-age=31536000, immutable",
                "{file}"
            );
            assert_eq!(h["content-encoding"], encoding, "{file} sent as stored");
            assert!(
                h["content-type"].to_str().unwrap().starts_with(kind),
                "{file}: {:?}",
                h["content-type"]
            );
            let got = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .unwrap();
            assert_eq!(&got[..], body.as_bytes());
        }
    }
    // Leptos's preload hint of the loader's unhashed name gets an empty module, not a 404.
    let res = response(app.clone(), "/pkg/__wasm_split.______________________.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // An unhashed file is revalidated, and so is every page.
    let res = response(app.clone(), "/pkg/hindsight.js").await;
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let res = app
        .clone()
        .oneshot(
            Request::get("/incidents")
                .header("cookie", format!("hindsight_session={cookie}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    let html = String::from_utf8_lossy(
        &axum::body::to_bytes(res.into_body(), 4 << 20)
            .await
            .unwrap(),
    )
    .into_owned();
    for name in [
        format!("/pkg/{bundle}.js"),
        format!("/pkg/{bundle}_bg.wasm"),
        format!("/pkg/{bundle}.css"),
    ] {
        assert!(html.contains(&name), "the page names {name}: {html}");
    }
    let _ = std::fs::remove_dir_all(&root);
}
