//! The split bundle in headless Chromium: a page downloads the main module and its own page's
//! module, no other page's, within the first-page budget; another page's module is fetched
//! when the user first goes there, without a reload.

use std::path::Path;

use app::domain::{IncidentStatus, Role, Severity};
use tests::browser::{Browser, E2eConfig, TestServer, click, wait_for};

/// The most the sign-in page (everyone's first page) may download of the bundle: brotli, as
/// served to browsers, WASM, JavaScript and CSS together.
const FIRST_PAGE_BUDGET: u64 = 300 * 1024;

/// The most the incident list (the first page after signing in) may download: a guard
/// against growth (329 KB when the bundle was split; 780 KB before).
const LIST_PAGE_BUDGET: u64 = 350 * 1024;

/// The bundle's files this page has loaded (names under `/pkg/`), in load order; Leptos's
/// preload hint of the unhashed loader name (an empty module, see the server) left out.
async fn loaded(b: &Browser) -> Vec<String> {
    let v = b
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)\
             .filter(p => p.startsWith('/pkg/')).map(p => p.slice(5))\
             .filter(f => !f.startsWith('__wasm_split.'));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// Bytes of `files` as the server sends them to a browser that takes brotli.
fn brotli_bytes(site: &Path, files: &[String]) -> u64 {
    files
        .iter()
        .map(|f| {
            let br = site.join("pkg").join(format!("{f}.br"));
            std::fs::metadata(&br)
                .unwrap_or_else(|e| panic!("{} is built: {e}", br.display()))
                .len()
        })
        .sum()
}

/// Page modules (`….split_<section>_view_<hash>.wasm`) among `files`.
fn page_modules(files: &[String]) -> Vec<&str> {
    files
        .iter()
        .filter(|f| f.contains(".split_") && f.ends_with(".wasm"))
        .map(String::as_str)
        .collect()
}

#[tokio::test]
async fn a_page_downloads_its_own_module_and_the_next_page_fetches_its_own() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("bundle");
    {
        let db = tests::seed::open(&url).await;
        tests::seed::incident(
            &db,
            1,
            "Checkout API returns 502",
            Severity::Sev1,
            IncidentStatus::Investigating,
            &["checkout"],
            chrono::Utc::now() - chrono::Duration::hours(2),
        )
        .await;
        tests::http::user(&db, "ann@example.org", Role::Admin).await;
        db.close().await.unwrap();
    }
    let server = TestServer::start(&cfg, dir, &url, &[]);
    let browser = Browser::start().await;
    let c = &browser.client;

    // The sign-in page is in the main module: no page module at all.
    c.goto(&server.url("/login")).await.unwrap();
    browser.hydrated().await;
    let files = loaded(&browser).await;
    assert!(files.iter().any(|f| f.ends_with("_bg.wasm")), "{files:?}");
    assert!(page_modules(&files).is_empty(), "{files:?}");
    let login = brotli_bytes(&cfg.site, &files);
    assert!(
        login <= FIRST_PAGE_BUDGET,
        "the sign-in page loads {login} bytes: {files:?}"
    );

    // A page opened directly loads the main module and its own page module only.
    browser
        .sign_in(
            &server,
            "ann@example.org",
            tests::http::PASSWORD,
            "/incidents",
            "#incident-list",
        )
        .await;
    c.goto(&server.url("/incidents")).await.unwrap();
    browser.hydrated().await;
    wait_for(c, "#incident-list", 10, "the incident list shows").await;
    let files = loaded(&browser).await;
    let modules = page_modules(&files);
    assert_eq!(modules.len(), 1, "{files:?}");
    assert!(modules[0].contains("incident_list_page"), "{files:?}");
    let first = brotli_bytes(&cfg.site, &files);
    assert!(
        first <= LIST_PAGE_BUDGET,
        "the incident list loads {first} bytes: {files:?}"
    );
    eprintln!("first page (brotli): sign-in {login} bytes, incident list {first} bytes");

    // Going to the dashboard fetches the dashboard's module then, without a reload, and the
    // page works (its period form is there and interactive).
    browser.mark_page().await;
    click(c, "a[href='/dashboard']").await;
    wait_for(c, "#dashboard-period", 20, "the dashboard shows").await;
    let after = loaded(&browser).await;
    let fetched = page_modules(&after);
    assert!(
        fetched.iter().any(|f| f.contains("dashboard_pages")),
        "the dashboard's module was fetched: {after:?}"
    );
    assert_eq!(
        browser.page_mark().await,
        serde_json::json!(1),
        "no full page load"
    );
    assert!(
        browser.script_errors().await.is_empty(),
        "{:?}",
        browser.console().await
    );
    browser.close().await;
}
