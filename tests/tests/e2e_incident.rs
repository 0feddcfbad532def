//! End to end: a commander declares an incident, adds timeline events, mitigates and
//! resolves it, and sees the durations — all without a page reload.

use std::time::Duration;

use fantoccini::Locator;
use tests::browser::{Browser, E2eConfig, TestServer, text_of, wait_until};

#[tokio::test]
async fn commander_declares_updates_mitigates_and_resolves() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("incident");
    {
        let db = app::ssr::db::connect_and_migrate(&url).await.unwrap();
        tests::http::user(&db, "ic@example.org", app::domain::Role::Responder).await;
        db.close().await.unwrap();
    }
    let server = TestServer::start(&cfg, dir, &url, &[]);
    let browser = Browser::start().await;
    let c = &browser.client;
    browser
        .sign_in(
            &server,
            "ic@example.org",
            tests::http::PASSWORD,
            "/incidents/new",
            "#declare-form",
        )
        .await;

    c.find(Locator::Css("#declare-title"))
        .await
        .unwrap()
        .send_keys("Checkout returns 502 for EU customers")
        .await
        .unwrap();
    c.find(Locator::Css("input[name='severity'][value='sev2']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#declare-services"))
        .await
        .unwrap()
        .send_keys("checkout, payments-api")
        .await
        .unwrap();
    c.find(Locator::Css("#declare-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#quick-add"))
        .await
        .expect("the new incident's page");
    assert_eq!(c.current_url().await.unwrap().path(), "/incidents/INC-1");
    c.execute("window.__noReload = 1; return null;", vec![])
        .await
        .unwrap();
    assert!(
        text_of(c, "#incident-status")
            .await
            .contains("Investigating")
    );
    assert!(text_of(c, ".incident-title").await.contains("SEV2"));
    assert!(
        text_of(c, ".incident-head").await.contains("Commander: ic"),
        "the declarer leads"
    );

    // An update, then a mitigation, through the quick-add box.
    c.find(Locator::Css("#quick-body"))
        .await
        .unwrap()
        .send_keys("Error rate at 30% on checkout\n")
        .await
        .unwrap();
    wait_until(c, "#timeline", |t| t.contains("Error rate at 30%")).await;
    c.find(Locator::Css("#quick-kind"))
        .await
        .unwrap()
        .select_by_value("mitigation")
        .await
        .unwrap();
    c.find(Locator::Css("#quick-body"))
        .await
        .unwrap()
        .send_keys("Rolled back release 2026.11.3")
        .await
        .unwrap();
    c.find(Locator::Css("#quick-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(c, "#timeline", |t| t.contains("Rolled back release")).await;
    let ttm = wait_until(c, "#stat-ttm", |t| !t.contains('—')).await;
    assert!(
        ttm.contains('s') || ttm.contains('m'),
        "time to mitigate shows: {ttm}"
    );

    // Resolve.
    c.find(Locator::Css("#to-resolved"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(c, "#incident-status", |t| t.contains("Resolved")).await;
    let ttr = wait_until(c, "#stat-ttr", |t| !t.contains('—')).await;
    assert!(
        ttr.contains('s') || ttr.contains('m'),
        "time to resolve shows: {ttr}"
    );
    let tl = text_of(c, "#timeline").await;
    assert!(tl.contains("Status: Investigating → Resolved"), "{tl}");
    assert!(tl.contains("mitigated_at"), "{tl}");
    let marker = c
        .execute("return window.__noReload || null;", vec![])
        .await
        .unwrap();
    assert_eq!(
        marker,
        serde_json::json!(1),
        "all of it without a page reload"
    );
    browser.screenshot("incident").await;

    // The list shows it with its time to resolve.
    c.goto(&server.url("/incidents")).await.unwrap();
    let list = wait_until(c, "#incident-list", |t| t.contains("INC-1")).await;
    assert!(
        list.contains("Checkout returns 502") && list.contains("Resolved"),
        "{list}"
    );
    browser.close().await;
    drop(server);
}
