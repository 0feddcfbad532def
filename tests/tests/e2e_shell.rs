//! End to end in headless Chromium against the release build: the page is served by SSR,
//! hydrates, and a control that only works with the WASM changes the page without a reload.

use std::time::Duration;

use app::domain::{IncidentStatus, Severity};
use fantoccini::Locator;
use tests::browser::{Browser, E2eConfig, TestServer, press, type_into, wait_for, wait_until};

#[tokio::test]
async fn incident_list_hydrates_and_filters_without_a_reload() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("shell");
    {
        let db = tests::seed::open(&url).await;
        let t0 = chrono::Utc::now() - chrono::Duration::hours(5);
        tests::seed::incident(
            &db,
            1,
            "Checkout API returns 502",
            Severity::Sev1,
            IncidentStatus::Investigating,
            &["checkout"],
            t0,
        )
        .await;
        tests::seed::incident(
            &db,
            2,
            "Search results are slow",
            Severity::Sev3,
            IncidentStatus::Resolved,
            &["search"],
            t0 + chrono::Duration::hours(1),
        )
        .await;
        tests::http::user(&db, "ann@example.org", app::domain::Role::Responder).await;
        db.close().await.unwrap();
    }
    let server = TestServer::start(&cfg, dir, &url, &[]);
    let browser = Browser::start().await;
    let c = &browser.client;

    // A stranger is sent to sign in, and back to the list afterwards.
    c.goto(&server.url("/incidents")).await.unwrap();
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/login");
    wait_for(
        c,
        "body[data-hydrated='true']",
        20,
        "the sign-in page hydrates (the WASM bundle loads and runs)",
    )
    .await;
    type_into(c, "#login-email", "ann@example.org").await;
    type_into(c, "#login-password", "wrong password").await;
    press(c, "#login-submit").await;
    let err = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".error-box"))
        .await
        .unwrap();
    assert!(
        err.text()
            .await
            .unwrap()
            .contains("e-mail or password is wrong")
    );
    let password = c.find(Locator::Css("#login-password")).await.unwrap();
    password.clear().await.unwrap();
    password.send_keys(tests::http::PASSWORD).await.unwrap();
    press(c, "#login-submit").await;
    wait_for(
        c,
        "#incident-list",
        20,
        "signed in, the incident list shows",
    )
    .await;
    assert_eq!(c.current_url().await.unwrap().path(), "/incidents");
    c.goto(&server.url("/incidents")).await.unwrap();
    wait_for(c, "body[data-hydrated='true']", 20, "the page hydrates").await;
    let rows = c
        .find_all(Locator::Css("#incident-list tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);

    // A marker in the page's JS state: a full page load would wipe it.
    c.execute("window.__noReload = 'still here'; return null;", vec![])
        .await
        .unwrap();

    // The severity filter reacts to `change` only through the WASM.
    let select = c.find(Locator::Css("#filter-severity")).await.unwrap();
    select.select_by_value("sev1").await.unwrap();
    let mut filtered = false;
    for _ in 0..100 {
        let rows = c
            .find_all(Locator::Css("#incident-list tbody tr"))
            .await
            .unwrap();
        if rows.len() == 1
            && rows[0]
                .text()
                .await
                .unwrap()
                .contains("Checkout API returns 502")
        {
            filtered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(filtered, "selecting sev1 leaves only the sev1 incident");
    let url = c.current_url().await.unwrap();
    assert_eq!(
        url.query(),
        Some("severity=sev1"),
        "the filter is in the address"
    );
    let marker = browser.page_mark().await;
    assert_eq!(
        marker,
        serde_json::json!("still here"),
        "no full page reload happened"
    );
    browser.screenshot("incidents-filtered").await;

    // The status tabs work too and the page stays hydrated.
    press(c, "a.tab[href*='status=resolved']").await;
    // resolved + sev1 matches nothing: the address keeps both filters.
    wait_until(c, "main", |t| {
        t.contains("No incidents match these filters.")
    })
    .await;

    // Signing out ends the session: the list is out of reach again.
    press(c, "#sign-out").await;
    wait_for(
        c,
        "#login-form",
        10,
        "signing out lands on the sign-in page",
    )
    .await;
    c.goto(&server.url("/incidents")).await.unwrap();
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/login",
        "the old session is gone"
    );
    browser.close().await;
    drop(server);
}
