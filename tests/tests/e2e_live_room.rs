//! End to end, two people in one incident room: one adds a timeline entry and the other's
//! page shows it by itself while the text typed in its own quick-add box stays; a comment
//! that mentions the second person reaches their notifications (the count in the
//! navigation, then `/notifications`, which opens the comment in place); the thread is
//! resolved. Once with both browsers on one server (SQLite), once with each on a server
//! process of its own over one PostgreSQL database, where only `NOTIFY` carries the change
//! from one process to the other's stream.

use std::time::{Duration, Instant};

use tests::browser::{Browser, E2eConfig, TestServer, click, type_into, wait_until};

/// The commander and a second responder, and an incident the commander declared.
async fn seed(db: &sea_orm::DatabaseConnection) {
    tests::http::user(db, "sam@example.org", app::domain::Role::Responder).await;
    let c = tests::http::signed_in(db, "ic@example.org", app::domain::Role::Responder).await;
    tests::http::declare(
        &c,
        serde_json::json!({"title": "Payments failing", "severity": "sev2", "services": ["payments"]}),
    )
    .await;
}

#[tokio::test]
async fn two_people_see_each_others_changes_and_mentions() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("live-room");
    {
        let db = tests::seed::open(&url).await;
        seed(&db).await;
        db.close().await.unwrap();
    }
    let server = TestServer::start(&cfg, dir, &url, &[]);
    room(&server, &server, "").await;
}

#[tokio::test]
async fn the_room_is_live_across_two_server_processes_on_postgresql() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let Some(pg) = tests::PgTestDb::create().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    seed(&pg.db).await;
    let url = pg.url();
    let (dir_a, _) = TestServer::new_database_dir("live-room-pg-a");
    let (dir_b, _) = TestServer::new_database_dir("live-room-pg-b");
    let a = TestServer::start(&cfg, dir_a, &url, &[]);
    let b = TestServer::start(&cfg, dir_b, &url, &[]);
    assert_ne!(a.url("/"), b.url("/"), "two processes");
    room(&a, &b, "-pg").await;
    drop((a, b));
    drop(pg);
}

/// The commander on `ic_server`, the member on `sam_server`.
async fn room(ic_server: &TestServer, sam_server: &TestServer, shots: &str) {
    let ic = Browser::start().await;
    let sam = Browser::start().await;
    ic.sign_in(
        ic_server,
        "ic@example.org",
        tests::http::PASSWORD,
        "/incidents/INC-1",
        "#quick-add",
    )
    .await;
    sam.sign_in(
        sam_server,
        "sam@example.org",
        tests::http::PASSWORD,
        "/incidents/INC-1",
        "#quick-add",
    )
    .await;
    sam.mark_page().await;
    let (a, b) = (&ic.client, &sam.client);

    // Sam starts a timeline entry of his own and a comment while the commander adds an entry.
    type_into(b, "#quick-body", "Processor status page is green").await;
    type_into(b, "#comment-new", "checking the card processor").await;
    type_into(a, "#quick-body", "Card processor returns 503\n").await;
    // From the moment the commander's own page shows the entry (it is saved).
    wait_until(a, "#timeline", |t| t.contains("Card processor returns 503")).await;
    let seen = Instant::now();
    let tl = wait_until(b, "#timeline", |t| t.contains("Card processor returns 503")).await;
    let took = seen.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the entry reached the other page in {took:?}: {tl}"
    );
    let kept = tests::browser::value_of(b, "#comment-new").await;
    assert_eq!(kept, "checking the card processor", "typed text survives");
    let kept = tests::browser::value_of(b, "#quick-body").await;
    assert_eq!(
        kept, "Processor status page is green",
        "the quick-add box keeps what was typed in it"
    );
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
    sam.screenshot(&format!("notifications{shots}")).await;
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
    ic.screenshot(&format!("incident-room-comments{shots}"))
        .await;

    // Sam keeps the incident list open; the commander declares another incident. Sam's list
    // shows it among the active ones and the navigation counts two, without a reload.
    b.goto(&sam_server.url("/incidents")).await.unwrap();
    wait_until(b, "#active-incidents", |t| t.contains("INC-1")).await;
    wait_until(b, "#nav-active", |t| t.trim() == "1").await;
    sam.mark_page().await;
    a.goto(&ic_server.url("/incidents/new")).await.unwrap();
    tests::browser::wait_for(a, "#declare-form", 20, "the declare form").await;
    // The form is sent by the page once it is interactive (its section's module loaded).
    ic.hydrated().await;
    type_into(a, "#declare-title", "Refunds delayed").await;
    tests::browser::press(a, "input[name='severity'][value='sev3']").await;
    tests::browser::press(a, "#declare-submit").await;
    tests::browser::wait_for(a, "#quick-add", 20, "the new incident's page").await;
    let seen = Instant::now();
    let active = wait_until(b, "#active-incidents", |t| t.contains("Refunds delayed")).await;
    let took = seen.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the new incident reached the list in {took:?}"
    );
    assert!(active.contains("INC-2"), "{active}");
    wait_until(b, "#nav-active", |t| t.trim() == "2").await;
    let active = wait_until(b, "#active-incidents", |t| t.contains("INC-1")).await;
    assert!(
        active.find("INC-2") < active.find("INC-1"),
        "newest first: {active}"
    );
    assert_eq!(sam.page_mark().await, serde_json::json!(1), "no reload");
    ic.close().await;
    sam.close().await;
}
