//! End to end, two people in one incident room (two browser sessions on one server): one adds
//! a timeline entry and the other's page shows it by itself while the text typed in its own
//! quick-add box stays; a comment that mentions the second person reaches their
//! notifications (the count in the navigation, then `/notifications`, which opens the
//! comment in place); the thread is resolved.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use tests::browser::{Browser, E2eConfig, TestServer, click, type_into, wait_until};

#[tokio::test]
async fn two_people_see_each_others_changes_and_mentions() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("live-room");
    {
        let db = tests::seed::open(&url).await;
        tests::http::user(&db, "ic@example.org", app::domain::Role::Responder).await;
        tests::http::user(&db, "sam@example.org", app::domain::Role::Member).await;
        let c = tests::http::Client::new(db.clone())
            .login("ic@example.org", tests::http::PASSWORD)
            .await;
        tests::http::declare(
            &c,
            serde_json::json!({"title": "Payments failing", "severity": "sev2", "services": ["payments"]}),
        )
        .await;
        db.close().await.unwrap();
    }
    let server = TestServer::start(&cfg, dir, &url, &[]);
    let ic = Browser::start().await;
    let sam = Browser::start().await;
    ic.sign_in(
        &server,
        "ic@example.org",
        tests::http::PASSWORD,
        "/incidents/INC-1",
        "#quick-add",
    )
    .await;
    sam.sign_in(
        &server,
        "sam@example.org",
        tests::http::PASSWORD,
        "/incidents/INC-1",
        "#timeline",
    )
    .await;
    sam.mark_page().await;
    let (a, b) = (&ic.client, &sam.client);

    // Sam (a member: the quick-add box is the responders') starts a comment while the
    // commander adds a timeline entry.
    type_into(b, "#comment-new", "checking the card processor").await;
    type_into(a, "#quick-body", "Card processor returns 503\n").await;
    let seen = Instant::now();
    let tl = wait_until(b, "#timeline", |t| t.contains("Card processor returns 503")).await;
    let took = seen.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "the entry reached the other page in {took:?}: {tl}"
    );
    let kept = b
        .find(Locator::Css("#comment-new"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(kept, "checking the card processor", "typed text survives");
    assert_eq!(sam.page_mark().await, serde_json::json!(1), "no reload");

    // The commander mentions Sam; the navigation counts it, /notifications lists it.
    type_into(
        a,
        "#comment-new",
        "@sam@example.org can you check the **processor** status page?",
    )
    .await;
    click(a, "#comment-new-submit").await;
    wait_until(a, "#comments", |t| t.contains("status page")).await;
    let badge = wait_until(b, "#nav-unread", |t| t.trim() == "1").await;
    assert_eq!(badge.trim(), "1");
    wait_until(b, "#comments", |t| t.contains("status page")).await;
    click(b, "#nav-notifications").await;
    let list = wait_until(b, "#notifications", |t| t.contains("Mentioned you")).await;
    assert!(list.contains("INC-1"), "{list}");
    sam.screenshot("notifications").await;
    click(b, ".notification-link").await;
    wait_until(b, "#comments", |t| t.contains("status page")).await;
    assert!(
        b.current_url()
            .await
            .unwrap()
            .fragment()
            .is_some_and(|f| f.starts_with("comment-")),
        "the notification opens the comment in place"
    );

    // The commander resolves the thread; it says so on both pages.
    click(a, "#comments .resolve").await;
    wait_until(a, "#comments", |t| t.contains("Resolved")).await;
    wait_until(b, "#comments", |t| t.contains("Resolved")).await;
    assert!(ic.script_errors().await.is_empty());
    assert!(sam.script_errors().await.is_empty());
    ic.screenshot("incident-room-comments").await;
    ic.close().await;
    sam.close().await;
}
