//! End to end: the incident commander adds an action from the incident page with the
//! keyboard, and another from the postmortem page; its owner finds it in "My actions", starts and finishes it and is not offered
//! the verification (four-eyes); another responder finds it waiting for verification and
//! records it as effective. The owner comments on the action on the way.

use fantoccini::Locator;
use fantoccini::key::Key;
use tests::browser::{
    E2eConfig, TestServer, click, start_signed_in, text_of, type_into, wait_until,
};

#[tokio::test]
async fn owner_completes_an_action_and_someone_else_verifies_it() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("actions");
    {
        use app::domain::Role;
        let db = tests::seed::open(&url).await;
        tests::seed::users(
            &db,
            &[
                ("ic@example.org", Role::Responder),
                ("owner@example.org", Role::Member),
                ("lead@example.org", Role::Responder),
            ],
        )
        .await;
        tests::seed::declared(
            &db,
            &app::ssr::auth::Actor::system(),
            app::model::NewIncident {
                title: "Checkout errors after deploy".into(),
                severity: Some(app::domain::Severity::Sev2),
                ..Default::default()
            },
            chrono::Utc::now(),
        )
        .await;
        db.close().await.unwrap();
    }
    // The commander: title, Tab, owner, Enter.
    let (server, browser) = start_signed_in(
        &cfg,
        dir,
        &url,
        "ic@example.org",
        "/incidents/INC-1",
        "#actions-card",
    )
    .await;
    let c = &browser.client;
    let pw = tests::http::PASSWORD;
    wait_until(c, "#actions-card", |t| t.contains("No actions yet")).await;
    let title = c.find(Locator::Css("#qa-title")).await.unwrap();
    title.click().await.unwrap();
    title
        .send_keys("Add a canary stage to the checkout deploy")
        .await
        .unwrap();
    title.send_keys(&format!("{}", Key::Tab)).await.unwrap();
    let active = c.active_element().await.unwrap();
    assert_eq!(
        active.attr("id").await.unwrap().as_deref(),
        Some("qa-owner"),
        "Tab goes from the title to the owner"
    );
    active
        .send_keys(&format!("owner@example.org{}", Key::Enter))
        .await
        .unwrap();
    let listed = wait_until(c, "#incident-actions", |t| t.contains("ACT-1")).await;
    assert!(
        listed.contains("Add a canary stage") && listed.contains("owner@example.org"),
        "{listed}"
    );
    assert!(text_of(c, "#qa-created").await.contains("ACT-1"));
    assert_eq!(
        c.find(Locator::Css("#qa-title"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "the title clears for the next action"
    );
    browser.screenshot("incident-actions").await;

    // While writing the postmortem: a title and Enter adds another one.
    c.goto(&server.url("/incidents/INC-1/postmortem"))
        .await
        .unwrap();
    browser.hydrated().await;
    click(c, "#start-postmortem").await;
    wait_until(c, "#incident-actions", |t| t.contains("ACT-1")).await;
    type_into(c, "#qa-title", "Alert on the checkout error rate").await;
    type_into(c, "#qa-title", &Key::Enter.to_string()).await;
    wait_until(c, "#incident-actions", |t| t.contains("ACT-2")).await;
    assert!(text_of(c, "#qa-created").await.contains("ACT-2"));

    // The owner: it is in My actions; start, finish; no verification for them.
    c.delete_all_cookies().await.unwrap();
    browser
        .sign_in(
            &server,
            "owner@example.org",
            pw,
            "/actions",
            "#owned-actions",
        )
        .await;
    assert!(text_of(c, "#owned-actions").await.contains("ACT-1"));
    assert!(
        text_of(c, "#to-verify-none")
            .await
            .contains("Responders and admins verify")
    );
    click(c, "#owned-actions a[href='/actions/ACT-1']").await;
    wait_until(c, "#action-status", |t| t.contains("Open")).await;
    browser.hydrated().await;
    // A comment on the action, then a change of status: the thread stays.
    type_into(c, "#comment-new", "Starting with the **staging** pipeline").await;
    click(c, "#comment-new-submit").await;
    wait_until(c, "#comments", |t| {
        t.contains("Starting with the staging pipeline")
    })
    .await;
    click(c, "#act-start").await;
    wait_until(c, "#action-status", |t| t.contains("In progress")).await;
    assert!(
        text_of(c, "#comments")
            .await
            .contains("Starting with the staging pipeline"),
        "the thread survives the change of status"
    );
    click(c, "#act-done").await;
    wait_until(c, "#action-status", |t| t.contains("Done")).await;
    assert!(text_of(c, "#workflow-note").await.contains("four-eyes"));
    assert!(
        c.find(Locator::Css("#verify-form")).await.is_err(),
        "the owner is not offered the verification"
    );
    assert!(
        text_of(c, "#verification").await.contains("Required; due "),
        "done sets the verification deadline"
    );
    c.goto(&server.url("/actions")).await.unwrap();
    wait_until(c, "#awaiting-verification", |t| t.contains("ACT-1")).await;
    assert!(text_of(c, "#owned-none").await.contains("Nothing open"));
    let errors = browser.script_errors().await;
    assert!(errors.is_empty(), "script errors: {errors:?}");

    // Another responder: it waits for them; they verify it with evidence.
    c.delete_all_cookies().await.unwrap();
    browser
        .sign_in(&server, "lead@example.org", pw, "/actions", "#to-verify")
        .await;
    assert!(text_of(c, "#to-verify").await.contains("ACT-1"));
    browser.screenshot("my-actions").await;
    {
        // A tracker issue with a long address, as Jira's with a filter in it can be.
        use sea_orm::ConnectionTrait;
        let db = tests::seed::open(&url).await;
        let long = format!(
            "https://jira.example.org/browse/OPS-57?filter={}",
            "9".repeat(300)
        );
        db.execute_unprepared(&format!(
            "UPDATE actions SET external_url = '{long}' WHERE key = 'ACT-1'"
        ))
        .await
        .unwrap();
        db.close().await.unwrap();
    }
    click(c, "#to-verify a[href='/actions/ACT-1']").await;
    wait_until(c, "#action-status", |t| t.contains("Done")).await;
    browser.hydrated().await;
    type_into(
        c,
        "#verify-evidence",
        "Canary caught a bad build on **Tuesday**; no checkout errors since.",
    )
    .await;
    // The chosen result reads clearly: its label's text does not vanish into its background.
    click(c, "#verify-effective").await;
    let look = c
        .execute(
            "const l = document.querySelector('#verify-effective').closest('label'); \
             const s = getComputedStyle(l); \
             return [document.querySelector('#verify-effective').checked, s.color, s.backgroundColor, l.innerText];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(look[0], true, "{look}");
    assert_ne!(
        look[1], look[2],
        "the checked label's text has its own colour: {look}"
    );
    assert!(
        look[3].as_str().unwrap_or("").contains("ffective"),
        "{look}"
    );
    click(c, "#verify-submit").await;
    wait_until(c, "#action-status", |t| t.contains("Verified")).await;
    // A long tracker address does not make the page wider than the window.
    let wide = c
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(wide, true, "the action page fits its window");
    let v = text_of(c, "#verification").await;
    assert!(v.contains("Verified effective by lead@example.org"), "{v}");
    assert!(v.contains("Canary caught a bad build on Tuesday"), "{v}");
    browser.screenshot("action-verified").await;

    // The list shows it verified; nothing waits any more.
    c.goto(&server.url("/actions/all?status=verified"))
        .await
        .unwrap();
    let verified = wait_until(c, "#action-list", |t| t.contains("ACT-1")).await;
    assert!(!verified.contains("ACT-2"), "{verified}");
    c.goto(&server.url("/actions/all?incident=INC-1"))
        .await
        .unwrap();
    wait_until(c, "#action-list", |t| {
        t.contains("ACT-1") && t.contains("ACT-2")
    })
    .await;
    browser.screenshot("actions-list").await;
    c.goto(&server.url("/actions")).await.unwrap();
    wait_until(c, "#to-verify-none", |t| t.contains("No completed actions")).await;
    let errors = browser.script_errors().await;
    assert!(errors.is_empty(), "script errors: {errors:?}");
    browser.close().await;
    drop(server);
}
