//! End to end: leadership opens the dashboard over a small history, sees the headline tiles,
//! the charts drawn as SVG and the by-team table, follows a number to the records behind it,
//! and narrows the period; the page hydrates without script errors.

use fantoccini::Locator;
use tests::browser::{E2eConfig, TestServer, click, start_signed_in, text_of, wait_until};

#[tokio::test]
async fn the_dashboard_shows_follow_through_and_links_to_the_records() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("dashboard");
    {
        use app::domain::{ActionStatus, Priority, Role, Severity};
        use app::ssr::services::action as actions;
        let db = tests::seed::open(&url).await;
        let lead = tests::seed::actor(&db, "lead@example.org", Role::Admin).await;
        tests::http::user(&db, "dev@example.org", Role::Member).await;
        let now = chrono::Utc::now();
        let today = now.date_naive();
        for (i, (sev, hours)) in [
            (Severity::Sev1, 2),
            (Severity::Sev2, 5),
            (Severity::Sev2, 1),
        ]
        .into_iter()
        .enumerate()
        {
            let detected = now - chrono::Duration::days(20 + i as i64 * 9);
            tests::seed::declared(
                &db,
                &lead,
                app::model::NewIncident {
                    title: format!("Outage {i}"),
                    severity: Some(sev),
                    status: Some(app::domain::IncidentStatus::Resolved),
                    services: vec!["checkout".into()],
                    detected_at: Some(detected),
                    resolved_at: Some(detected + chrono::Duration::hours(hours)),
                    ..Default::default()
                },
                detected,
            )
            .await;
        }
        for (title, team, due, done) in [
            ("Canary deploys", "payments", -10, true),
            ("Pool alerts", "payments", -5, false),
            ("Retry budget", "platform", -2, false),
            ("Runbook", "platform", 10, false),
        ] {
            let a = actions::create(
                &db,
                &lead,
                app::model::NewAction {
                    title: title.into(),
                    incident: Some("INC-1".into()),
                    team: Some(team.into()),
                    owner: Some("dev@example.org".into()),
                    priority: Some(Priority::High),
                    due_date: Some(today + chrono::Duration::days(due)),
                    ..Default::default()
                },
                now - chrono::Duration::days(30),
            )
            .await
            .unwrap();
            if done {
                actions::transition(
                    &db,
                    &lead,
                    &a.key,
                    app::model::ActionTransition {
                        to: ActionStatus::Done,
                        at: None,
                        result: None,
                        evidence: None,
                        reason: None,
                        version: None,
                    },
                    now - chrono::Duration::days(12),
                )
                .await
                .unwrap();
            }
        }
        db.close().await.unwrap();
    }
    let (server, browser) =
        start_signed_in(&cfg, dir, &url, "lead@example.org", "/dashboard", "#tiles").await;
    let c = &browser.client;
    // 3 of 4 actions are due and past; one was done on time: on time 1/3; two overdue.
    assert!(text_of(c, "#tile-on-time").await.contains("33%"));
    assert!(text_of(c, "#tile-overdue").await.contains('2'));
    let mttr = text_of(c, "#tile-mttr-sev2").await;
    assert!(mttr.contains("3h 00m"), "mean of 5 h and 1 h: {mttr}");
    let teams = text_of(c, "#by-team").await;
    assert!(
        teams.contains("payments") && teams.contains("platform"),
        "{teams}"
    );
    // Charts are SVG with a mark per month.
    let bars = c
        .find_all(Locator::Css("#chart-on-time rect.bar"))
        .await
        .unwrap();
    assert!(bars.len() >= 3, "a column per month of the 90 days");
    assert!(
        c.find(Locator::Css("#chart-mttr circle.dot")).await.is_ok(),
        "the MTTR line has points"
    );
    let overdue_teams = text_of(c, "#chart-overdue-teams").await;
    assert!(overdue_teams.contains("payments") && overdue_teams.contains("platform"));
    browser.screenshot("dashboard").await;
    // The period's inputs show the period the figures are for, also with none in the address.
    for input in ["#dash-from", "#dash-to"] {
        let v = tests::browser::value_of(c, input).await;
        assert!(
            chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").is_ok(),
            "{input} holds a date: {v:?}"
        );
    }
    let errors = browser.script_errors().await;
    assert!(errors.is_empty(), "script errors: {errors:?}");

    // Tiles open the records their figures count, through the lists' filters.
    for (tile, wanted) in [
        ("#tile-rca", "rca_due=true"),
        ("#tile-recurrence", "recurring=true"),
        ("#tile-verification", "verification_overdue=true"),
        ("#tile-on-time", "due_from="),
    ] {
        let href = c
            .find(Locator::Css(tile))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(href.contains(wanted), "{tile} → {href}");
    }

    // A number leads to its records.
    click(c, "#tile-overdue").await;
    let list = wait_until(c, "#action-list", |t| t.contains("ACT-")).await;
    assert!(
        list.contains("Pool alerts") && list.contains("Retry budget") && !list.contains("Runbook"),
        "{list}"
    );
    assert!(
        c.current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("overdue=true")
    );

    // Narrowing to a team changes the figures.
    c.goto(&server.url("/dashboard?team=platform"))
        .await
        .unwrap();
    browser.hydrated().await;
    let tile = wait_until(c, "#tile-on-time", |t| t.contains('%')).await;
    assert!(
        tile.contains("0%"),
        "platform closed nothing on time: {tile}"
    );
    assert!(
        text_of(c, "#dashboard-period")
            .await
            .contains("team platform")
    );
    let errors = browser.script_errors().await;
    assert!(errors.is_empty(), "script errors: {errors:?}");
    browser.close().await;
    drop(server);
}
