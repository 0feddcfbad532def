//! End to end: a commander declares an incident, adds timeline events, mitigates and
//! resolves it, and sees the durations — all without a page reload.

use fantoccini::Locator;
use tests::browser::{
    E2eConfig, TestServer, press, start_signed_in, text_of, type_into, wait_for, wait_until,
};

#[tokio::test]
async fn commander_declares_updates_mitigates_and_resolves() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("incident");
    {
        let db = tests::seed::open(&url).await;
        tests::http::user(&db, "ic@example.org", app::domain::Role::Responder).await;
        db.close().await.unwrap();
    }
    let (server, browser) = start_signed_in(
        &cfg,
        dir,
        &url,
        "ic@example.org",
        "/incidents/new",
        "#declare-form",
    )
    .await;
    let c = &browser.client;

    type_into(c, "#declare-title", "Checkout returns 502 for EU customers").await;
    press(c, "input[name='severity'][value='sev2']").await;
    type_into(c, "#declare-services", "checkout, payments-api").await;
    press(c, "#declare-submit").await;
    wait_for(c, "#quick-add", 20, "the new incident's page").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/incidents/INC-1");
    browser.mark_page().await;
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
    type_into(c, "#quick-body", "Error rate at 30% on checkout\n").await;
    wait_until(c, "#timeline", |t| t.contains("Error rate at 30%")).await;
    c.find(Locator::Css("#quick-kind"))
        .await
        .unwrap()
        .select_by_value("mitigation")
        .await
        .unwrap();
    type_into(c, "#quick-body", "Rolled back release 2026.11.3").await;
    press(c, "#quick-submit").await;
    wait_until(c, "#timeline", |t| t.contains("Rolled back release")).await;
    let ttm = wait_until(c, "#stat-ttm", |t| !t.contains('—')).await;
    assert!(
        ttm.contains('s') || ttm.contains('m'),
        "time to mitigate shows: {ttm}"
    );

    // Resolve.
    press(c, "#to-resolved").await;
    wait_until(c, "#incident-status", |t| t.contains("Resolved")).await;
    let ttr = wait_until(c, "#stat-ttr", |t| !t.contains('—')).await;
    assert!(
        ttr.contains('s') || ttr.contains('m'),
        "time to resolve shows: {ttr}"
    );
    let tl = text_of(c, "#timeline").await;
    assert!(tl.contains("Status: Investigating → Resolved"), "{tl}");
    assert!(tl.contains("mitigated_at"), "{tl}");
    let marker = browser.page_mark().await;
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
