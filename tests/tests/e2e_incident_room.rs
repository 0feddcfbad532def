//! End to end: the commander escalates a sev3 to sev1 with a reason, edits the summary with
//! its live preview and the services, and corrects a timeline entry — all on the incident
//! page, without a reload; a viewer sees no edit controls.

use fantoccini::Locator;
use tests::browser::{
    E2eConfig, click, press, start_signed_in, text_of, type_into, wait_for, wait_until,
};

#[tokio::test]
async fn commander_escalates_edits_in_place_and_corrects_an_entry() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = tests::browser::TestServer::new_database_dir("room");
    {
        let db = tests::seed::open(&url).await;
        tests::http::user(&db, "ic@example.org", app::domain::Role::Responder).await;
        tests::http::user(&db, "sre@example.org", app::domain::Role::Responder).await;
        let c = tests::http::Client::new(db.clone())
            .login("ic@example.org", tests::http::PASSWORD)
            .await;
        tests::http::declare(
            &c,
            serde_json::json!({"title": "Search latency high", "severity": "sev3", "services": ["search"]}),
        )
        .await;
        c.post(
            "/api/v1/incidents/INC-1/timeline",
            serde_json::json!({"kind": "update", "body": "p99 at 4s"}),
        )
        .await;
        // A long timeline: the page shows its latest entries, the earlier ones on request.
        let start = chrono::Utc::now() - chrono::Duration::days(2);
        for i in 0..app::model::TIMELINE_SHOWN {
            let at = start + chrono::Duration::minutes(i as i64);
            let r = c
                .post(
                    "/api/v1/incidents/INC-1/timeline",
                    serde_json::json!({"kind": "note", "body": format!("Earlier note {i}"), "occurred_at": at}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
        db.close().await.unwrap();
    }
    let (_server, browser) = start_signed_in(
        &cfg,
        dir,
        &url,
        "ic@example.org",
        "/incidents/INC-1",
        "#status-bar",
    )
    .await;
    let c = &browser.client;
    browser.mark_page().await;
    assert!(
        text_of(c, "#status-bar")
            .await
            .contains("Next: set acknowledged")
    );

    // Escalate: the page asks why, and the timeline says it.
    press(c, "#edit-severity").await;
    wait_for(c, "#severity-select", 10, "the severity editor").await;
    c.find(Locator::Css("#severity-select"))
        .await
        .unwrap()
        .select_by_value("sev1")
        .await
        .unwrap();
    type_into(
        c,
        "#severity-reason",
        "checkout depends on search: orders failing",
    )
    .await;
    let verb = text_of(c, "#severity-save").await;
    assert!(verb.contains("Escalate"), "{verb}");
    press(c, "#severity-save").await;
    wait_until(c, ".incident-title", |t| t.contains("SEV1")).await;
    let tl = wait_until(c, "#timeline", |t| t.contains("Severity escalated")).await;
    assert!(
        tl.contains("SEV3 → SEV1: checkout depends on search: orders failing"),
        "{tl}"
    );

    // The summary, with its preview, then the services; typed text survives a refetch.
    press(c, "#edit-summary").await;
    type_into(c, "#summary-input", "Search **cluster** lost a node").await;
    wait_until(c, "#summary-preview", |t| t.contains("cluster")).await;
    let strong = c
        .find(Locator::Css("#summary-preview strong"))
        .await
        .unwrap();
    assert_eq!(strong.text().await.unwrap(), "cluster");
    // Someone else's change refetches the page: the open editor keeps its text.
    type_into(c, "#quick-body", "node es-3 gone\n").await;
    wait_until(c, "#timeline", |t| t.contains("node es-3 gone")).await;
    let kept = tests::browser::value_of(c, "#summary-input").await;
    assert!(kept.contains("lost a node"), "{kept}");
    press(c, "#summary-form button[type='submit']").await;
    wait_until(c, "#summary-value", |t| t.contains("lost a node")).await;

    click(c, "#edit-services").await;
    let input = c.find(Locator::Css("#services-input")).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys("search, checkout\n").await.unwrap();
    wait_until(c, "#services-value", |t| t.contains("checkout")).await;

    // Correct the first update; the entry says it was edited and keeps its earlier text.
    let entry = c
        .find(Locator::XPath(
            "//li[contains(@class,'event')][.//span[contains(., 'p99 at 4s')]]",
        ))
        .await
        .unwrap();
    entry
        .find(Locator::Css(".edit-entry"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let body = c.find(Locator::Css(".entry-body-input")).await.unwrap();
    body.clear().await.unwrap();
    body.send_keys("p99 at 4.2s (corrected)").await.unwrap();
    click(c, ".entry-edit button[type='submit']").await;
    let tl = wait_until(c, "#timeline", |t| t.contains("corrected)")).await;
    assert!(!tl.contains("p99 at 4s"), "{tl}");
    click(c, ".entry-history summary").await;
    wait_until(c, ".entry-history", |t| t.contains("p99 at 4s")).await;

    // The earlier entries, on request.
    let tl = text_of(c, "#timeline").await;
    assert!(
        !tl.contains("Earlier note 0"),
        "the oldest entry is not shown at first"
    );
    click(c, "#timeline-earlier").await;
    wait_until(c, "#timeline", |t| t.contains("Earlier note 0")).await;
    assert!(
        c.find(Locator::Css("#timeline-earlier")).await.is_err(),
        "the button goes once all entries are shown"
    );

    assert_eq!(
        browser.page_mark().await,
        serde_json::json!(1),
        "all without a page reload"
    );
    assert!(browser.script_errors().await.is_empty());
    browser.screenshot("incident-room-open").await;

    // A title edit that loses a race with a colleague: the 409 says who changed the incident,
    // and reloading it keeps what was typed, which then saves.
    click(c, "#edit-title").await;
    let input = c.find(Locator::Css("#title-input")).await.unwrap();
    input.clear().await.unwrap();
    input
        .send_keys("Search latency high in eu-west")
        .await
        .unwrap();
    // The page stops listening (as a page the browser hides does), so the colleague's change
    // cannot refresh it before the save: the save is sure to race it.
    c.execute(
        "window.dispatchEvent(new Event('pagehide')); return null;",
        vec![],
    )
    .await
    .unwrap();
    {
        let db = tests::seed::open(&url).await;
        let sre = tests::http::Client::new(db.clone())
            .login("sre@example.org", tests::http::PASSWORD)
            .await;
        let r = sre
            .patch(
                "/api/v1/incidents/INC-1",
                serde_json::json!({"summary": "Search **cluster** lost a node; es-3 replaced"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        db.close().await.unwrap();
    }
    type_into(c, "#title-input", "\n").await;
    let err = wait_until(c, ".edit-error", |t| t.contains("sre@example.org")).await;
    assert!(err.contains("Reload the incident"), "{err}");
    click(c, ".reload-part").await;
    wait_until(c, "#incident-details", |t| t.contains("es-3 replaced")).await;
    let kept = tests::browser::value_of(c, "#title-input").await;
    assert_eq!(
        kept, "Search latency high in eu-west",
        "the typed title stays"
    );
    type_into(c, "#title-input", "\n").await;
    wait_until(c, "#incident-title", |t| t.contains("in eu-west")).await;

    // Resolved, the bar goes and the durations stay.
    click(c, "#to-resolved").await;
    wait_until(c, "#incident-status", |t| t.contains("Resolved")).await;
    let mut bar_gone = false;
    for _ in 0..50 {
        if c.find(Locator::Css("#status-bar")).await.is_err() {
            bar_gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(bar_gone, "no status bar once the incident is resolved");
    browser.screenshot("incident-room-resolved").await;
    browser.close().await;
}
