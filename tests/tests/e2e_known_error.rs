//! End to end: a problem manager records a known error in the browser; during a later
//! incident a responder finds it among the incident page's suggestions, links it in one click,
//! sees the workaround and the recurrence mark, and the known error's page lists the incident.

use fantoccini::Locator;
use tests::browser::{
    E2eConfig, TestServer, click, start_signed_in, text_of, type_into, wait_until,
};

#[tokio::test]
async fn responder_finds_and_links_a_suggested_known_error() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("known-error");
    {
        use tests::seed;
        let db = seed::open(&url).await;
        tests::http::user(&db, "ic@example.org", app::domain::Role::Responder).await;
        let sys = app::ssr::auth::Actor::system();
        let now = chrono::Utc::now();
        // Other known errors, so the right one has to be found.
        for (title, symptoms, svc) in [
            (
                "Kafka consumer lag after rebalance",
                "Consumers fall behind for minutes",
                "kafka",
            ),
            (
                "Expired TLS certificate on the CDN",
                "Handshake failures for all clients",
                "cdn",
            ),
        ] {
            seed::known_error(
                &db,
                &sys,
                app::model::NewKnownError {
                    title: title.into(),
                    symptoms: symptoms.into(),
                    services: vec![svc.into()],
                    ..Default::default()
                },
                now,
            )
            .await;
        }
        // An earlier incident of the same problem, and the one being handled now.
        for (title, hours) in [
            ("Checkout requests hanging on database", 72),
            ("Payments stuck: DB connections maxed out", 1),
        ] {
            seed::declared(
                &db,
                &sys,
                app::model::NewIncident {
                    title: title.into(),
                    severity: Some(app::domain::Severity::Sev2),
                    services: vec!["payments".into()],
                    detected_at: Some(now - chrono::Duration::hours(hours)),
                    ..Default::default()
                },
                now,
            )
            .await;
        }
        db.close().await.unwrap();
    }
    let (server, browser) = start_signed_in(
        &cfg,
        dir,
        &url,
        "ic@example.org",
        "/known-errors/new",
        "#ke-form",
    )
    .await;
    let c = &browser.client;

    // The console check sees script errors (a probe), so its silence later means something.
    c.execute("console.error('console probe'); return null;", vec![])
        .await
        .unwrap();
    let probe = browser.script_errors().await;
    assert!(
        probe.iter().any(|m| m.contains("console probe")),
        "{probe:?}"
    );

    // Record the known error through the form.
    type_into(c, "#ke-title", "Database connection pool exhaustion").await;
    type_into(
        c,
        "#ke-symptoms",
        "Requests hang waiting for a database connection; the pool is maxed out",
    )
    .await;
    type_into(
        c,
        "#ke-workaround",
        "Restart the **payments** workers to free connections",
    )
    .await;
    type_into(c, "#ke-services", "payments, postgres").await;
    c.find(Locator::Css("#ke-status"))
        .await
        .unwrap()
        .select_by_value("workaround_available")
        .await
        .unwrap();
    click(c, "#ke-submit").await;
    wait_until(c, "#ke-recurrence", |t| {
        t.contains("No incidents linked yet")
    })
    .await;
    assert_eq!(c.current_url().await.unwrap().path(), "/known-errors/KE-3");
    assert!(
        text_of(c, "#ke-workaround-text")
            .await
            .contains("Restart the payments workers")
    );
    // Link the earlier incident from here.
    type_into(c, "#ke-link-incident", "INC-1").await;
    click(c, "#ke-link-form button").await;
    wait_until(c, "#ke-incidents", |t| t.contains("INC-1")).await;

    // The current incident: KE-3 is the best suggestion; one click links it.
    c.goto(&server.url("/incidents/INC-2")).await.unwrap();
    browser.hydrated().await;
    let suggested = wait_until(c, "#suggested-known-errors", |t| t.contains("KE-3")).await;
    let first = suggested.lines().next().unwrap_or_default().to_owned();
    assert!(first.contains("KE-3"), "best first: {suggested}");
    browser.mark_page().await;
    click(c, "#link-KE-3").await;
    let linked = wait_until(c, "#linked-known-errors", |t| t.contains("KE-3")).await;
    assert!(linked.contains("recurrence (1 before)"), "{linked}");
    assert!(
        linked.contains("Restart the payments workers"),
        "the workaround: {linked}"
    );
    let after = text_of(c, "#suggested-known-errors").await;
    assert!(
        !after.contains("KE-3"),
        "a linked one leaves the suggestions: {after}"
    );
    let marker = browser.page_mark().await;
    assert_eq!(marker, serde_json::json!(1), "linked without a page reload");
    browser.screenshot("incident-known-errors").await;

    // The known error now shows both incidents, the newer marked as a recurrence.
    c.goto(&server.url("/known-errors/KE-3")).await.unwrap();
    let incidents = wait_until(c, "#ke-incidents", |t| t.contains("INC-2")).await;
    assert!(incidents.contains("recurrence"), "{incidents}");
    assert!(
        text_of(c, "#ke-recurrence")
            .await
            .contains("Caused 2 incidents")
    );
    browser.screenshot("known-error").await;
    let errors = browser.script_errors().await;
    assert!(errors.is_empty(), "script errors: {errors:?}");

    // The list finds it by a word of its symptoms.
    c.goto(&server.url("/known-errors?q=maxed")).await.unwrap();
    let list = wait_until(c, "#ke-list", |t| t.contains("KE-3")).await;
    assert!(!list.contains("KE-1") && list.contains("2"), "{list}");
    browser.close().await;
    drop(server);
}
