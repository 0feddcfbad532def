//! End to end: a commander starts a postmortem from the template, writes the RCA with the live
//! preview (hostile markup stays text), the editor autosaves, and the postmortem goes through
//! review to published — without a page reload. The published page shows the generated timeline.

use fantoccini::Locator;
use fantoccini::key::Key;
use tests::browser::{
    E2eConfig, TestServer, click, start_signed_in, text_of, type_into, wait_for, wait_until,
};

async fn inner_html(c: &fantoccini::Client, css: &str) -> String {
    c.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.innerHTML : '';",
        vec![serde_json::json!(css)],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

#[tokio::test]
async fn commander_writes_a_postmortem_with_live_preview_and_publishes_it() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("postmortem");
    {
        use tests::seed;
        let db = seed::open(&url).await;
        tests::http::user(&db, "ic@example.org", app::domain::Role::Responder).await;
        let sys = app::ssr::auth::Actor::system();
        let now = chrono::Utc::now();
        seed::declared(
            &db,
            &sys,
            app::model::NewIncident {
                title: "Checkout pool exhausted".into(),
                severity: Some(app::domain::Severity::Sev2),
                status: Some(app::domain::IncidentStatus::Resolved),
                detected_at: Some(now - chrono::Duration::hours(3)),
                resolved_at: Some(now - chrono::Duration::hours(1)),
                commander: Some("ic@example.org".into()),
                ..Default::default()
            },
            now,
        )
        .await;
        seed::event(
            &db,
            &sys,
            "INC-1",
            app::model::NewEvent {
                occurred_at: Some(now - chrono::Duration::minutes(150)),
                kind: app::domain::EventKind::Mitigation,
                body: "Raised the pool size to 200".into(),
                visibility: None,
            },
            now,
        )
        .await;
        db.close().await.unwrap();
    }
    let (server, browser) = start_signed_in(
        &cfg,
        dir,
        &url,
        "ic@example.org",
        "/incidents/INC-1/postmortem",
        "#no-postmortem",
    )
    .await;
    let c = &browser.client;
    browser.mark_page().await;
    assert!(text_of(c, "#due-countdown").await.contains("due in"));

    // Start from the sev2 template: the editor opens with the SPEC's sections.
    click(c, "#start-postmortem").await;
    wait_for(c, "#postmortem-editor", 20, "the editor").await;
    let preview = wait_until(c, "#postmortem-preview", |t| {
        t.contains("Where we got lucky")
    })
    .await;
    assert!(
        preview.contains("Raised the pool size to 200"),
        "the generated timeline: {preview}"
    );

    // A second editor saves while this one is open: this editor's next save is refused, it
    // says so and stops, and nothing of the other editor's is overwritten.
    {
        let db = tests::seed::open(&url).await;
        app::ssr::services::postmortem::put(
            &db,
            &app::ssr::auth::Actor::system(),
            "INC-1",
            app::model::PostmortemInput {
                body: Some(format!(
                    "{}\nA note from the other editor.\n",
                    app::domain::postmortem::default_template()
                )),
                ..Default::default()
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        db.close().await.unwrap();
    }
    type_into(c, "#pm-root-cause", "draft text").await;
    let banner = wait_until(c, "#save-conflict", |t| t.contains("Someone else saved")).await;
    assert!(banner.contains("reload"), "{banner}");
    c.refresh().await.unwrap();
    wait_until(c, "#postmortem-preview", |t| {
        t.contains("A note from the other editor.")
    })
    .await;
    browser.mark_page().await;

    // The RCA, previewed as it is typed.
    type_into(
        c,
        "#pm-root-cause",
        "The connection pool was **too small** for peak load",
    )
    .await;
    wait_until(c, "#postmortem-preview", |t| {
        t.contains("too small for peak load")
    })
    .await;
    assert!(
        inner_html(c, "#postmortem-preview")
            .await
            .contains("<strong>too small</strong>")
    );
    c.find(Locator::Css("#pm-category"))
        .await
        .unwrap()
        .select_by_value("capacity")
        .await
        .unwrap();
    wait_until(c, "#postmortem-preview", |t| {
        t.contains("Root-cause category: Capacity")
    })
    .await;
    click(c, "#add-why").await;
    type_into(
        c,
        "#pm-whys li:nth-child(1) input",
        "Why did checkout fail?",
    )
    .await;
    click(c, "#add-why").await;
    type_into(
        c,
        "#pm-whys li:nth-child(2) input",
        "Why was the pool so small?",
    )
    .await;
    // Reorder: the second why moves up.
    click(c, "#pm-whys li:nth-child(2) button[aria-label='Move up']").await;
    let whys = wait_until(c, "#postmortem-preview", |t| t.contains("Five whys")).await;
    let (a, b) = (
        whys.find("Why was the pool so small?").unwrap(),
        whys.find("Why did checkout fail?").unwrap(),
    );
    assert!(a < b, "reordered in the preview: {whys}");
    click(c, "#add-factor").await;
    type_into(c, "#pm-factors li:nth-child(1) input.short", "monitoring").await;
    type_into(
        c,
        "#pm-factors li:nth-child(1) input.grow",
        "No alert on pool saturation",
    )
    .await;

    // Hostile markup in the body shows as text and runs nothing.
    type_into(
        c,
        "#pm-body",
        "Pool hit its limit <script>window.__xss = 1</script> [x](javascript:window.__xss=2)",
    )
    .await;
    let text = wait_until(c, "#postmortem-preview", |t| {
        t.contains("Pool hit its limit")
    })
    .await;
    assert!(
        text.contains("<script>window.__xss = 1</script>"),
        "shown as text: {text}"
    );
    let html = inner_html(c, "#postmortem-preview").await;
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    let xss = c
        .execute("return window.__xss || null;", vec![])
        .await
        .unwrap();
    assert_eq!(xss, serde_json::Value::Null);

    // Autosave, then Ctrl+S for good measure.
    wait_until(c, "#save-state", |t| t.contains("Saved")).await;
    browser.screenshot("postmortem-editor").await;
    c.find(Locator::Css("#pm-body"))
        .await
        .unwrap()
        .send_keys(&format!("{}s", Key::Control))
        .await
        .ok();
    wait_until(c, "#save-state", |t| t.contains("Saved")).await;

    // A review comment on a passage selected in the document: an open thread, which the
    // review shows, then resolved.
    c.execute(
        "const t = document.querySelector('#pm-body'); const i = t.value.indexOf('Pool hit its limit'); \
         t.focus(); t.setSelectionRange(i, i + 'Pool hit its limit'.length); return null;",
        vec![],
    )
    .await
    .unwrap();
    click(c, "#quote-selection").await;
    wait_until(c, ".quote-draft", |t| t.contains("Pool hit its limit")).await;
    type_into(c, "#comment-new", "Is 200 enough for the **next** peak?").await;
    click(c, "#comment-new-submit").await;
    let thread = wait_until(c, "#comments", |t| {
        t.contains("Is 200 enough for the next peak?")
    })
    .await;
    assert!(thread.contains("Pool hit its limit"), "the quote: {thread}");
    wait_until(c, "#open-threads", |t| t.contains("1 open review thread")).await;
    browser.screenshot("postmortem-editor-comments").await;

    // In review, publishing while the thread is open asks first; saying no publishes nothing.
    click(c, "#to-in_review").await;
    wait_until(c, "#postmortem-status", |t| t.contains("In review")).await;
    c.execute(
        "window.__asked = []; window.confirm = (m) => { window.__asked.push(m); return false; }; return null;",
        vec![],
    )
    .await
    .unwrap();
    click(c, "#to-published").await;
    let asked = c.execute("return window.__asked;", vec![]).await.unwrap();
    assert!(
        asked[0]
            .as_str()
            .is_some_and(|m| m.contains("1 review thread is still open")),
        "{asked}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(text_of(c, "#postmortem-status").await.contains("In review"));
    click(c, "#comments .resolve").await;
    wait_until(c, "#comments", |t| {
        t.contains("Resolved") && t.contains("Reopen")
    })
    .await;
    let mut gone = false;
    for _ in 0..50 {
        let n = c
            .execute(
                "return document.querySelectorAll('#open-threads').length;",
                vec![],
            )
            .await
            .unwrap();
        if n == serde_json::json!(0) {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "no open review thread is shown once it is resolved");

    // With no open thread it publishes without asking.
    click(c, "#to-published").await;
    wait_until(c, "#postmortem-status", |t| t.contains("Published")).await;
    let asked = c
        .execute("return window.__asked.length;", vec![])
        .await
        .unwrap();
    assert_eq!(
        asked,
        serde_json::json!(1),
        "asked only while a thread was open"
    );
    let doc = wait_until(c, "#postmortem-document", |t| t.contains("too small")).await;
    for needle in [
        "Capacity",
        "Why was the pool so small?",
        "monitoring: No alert on pool saturation",
        "Raised the pool size to 200",
        "<script>window.__xss = 1</script>",
    ] {
        assert!(
            doc.contains(needle),
            "{needle:?} in the published page: {doc}"
        );
    }
    assert!(text_of(c, "#due-countdown").await.contains("was due"));
    let marker = browser.page_mark().await;
    assert_eq!(
        marker,
        serde_json::json!(1),
        "all of it without a page reload"
    );
    browser.screenshot("postmortem-published").await;
    let errors = browser.script_errors().await;
    assert!(errors.is_empty(), "script errors: {errors:?}");

    // What the server stored is what was typed.
    let db = tests::seed::open(&url).await;
    let pm = app::ssr::services::postmortem::get(&db, &app::ssr::auth::Actor::system(), "INC-1")
        .await
        .unwrap();
    assert_eq!(pm.status, app::domain::PostmortemStatus::Published);
    assert_eq!(
        pm.root_cause_category,
        Some(app::domain::RootCauseCategory::Capacity)
    );
    assert_eq!(
        pm.five_whys,
        ["Why was the pool so small?", "Why did checkout fail?"]
    );
    assert_eq!(pm.contributing_factors[0].category, "monitoring");
    assert!(pm.body.contains("<script>window.__xss = 1</script>"));
    assert!(
        pm.body.contains("A note from the other editor."),
        "not overwritten"
    );
    assert!(
        !pm.root_cause.contains("draft text"),
        "the refused save wrote nothing"
    );
    db.close().await.unwrap();

    // The incident page links to it and shows its state; the list has it.
    c.goto(&server.url("/postmortems")).await.unwrap();
    let list = wait_until(c, "#postmortem-list", |t| t.contains("INC-1")).await;
    assert!(list.contains("Published"), "{list}");
    browser.close().await;
    drop(server);
}

/// Two responders open one draft: each page names the other as having it open; one saves
/// while the other is still typing, and the other's autosave stops with a warning instead of
/// writing over the first one's work (which the server keeps).
#[tokio::test]
async fn two_editors_see_each_other_and_never_overwrite_each_other() {
    use tests::browser::Browser;
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("postmortem-editors");
    {
        let db = tests::seed::open(&url).await;
        tests::http::user(&db, "pat@example.org", app::domain::Role::Responder).await;
        let ic = tests::http::signed_in(&db, "ic@example.org", app::domain::Role::Responder).await;
        tests::http::declare(
            &ic,
            serde_json::json!({"title": "Search index stale", "severity": "sev3"}),
        )
        .await;
        let r = ic
            .put(
                "/api/v1/incidents/INC-1/postmortem",
                serde_json::json!({"version": 0, "body": "## Summary\n\nThe index fell behind."}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        db.close().await.unwrap();
    }
    let server = TestServer::start(&cfg, dir, &url, &[]);
    let (ic, pat) = (Browser::start().await, Browser::start().await);
    let page = "/incidents/INC-1/postmortem";
    ic.sign_in(
        &server,
        "ic@example.org",
        tests::http::PASSWORD,
        page,
        "#pm-body",
    )
    .await;
    pat.sign_in(
        &server,
        "pat@example.org",
        tests::http::PASSWORD,
        page,
        "#pm-body",
    )
    .await;
    let (a, b) = (&ic.client, &pat.client);

    // Each sees the other.
    let here = wait_until(a, "#presence", |t| t.contains("pat")).await;
    assert!(here.contains("open too"), "{here}");
    wait_until(b, "#presence", |t| t.contains("ic")).await;

    // Pat keeps typing (so autosave, which waits for a quiet second, never fires) while the
    // commander writes the root cause and it saves.
    let typing = async {
        for _ in 0..16 {
            type_into(b, "#pm-body", " pat").await;
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    };
    let saving = async {
        type_into(a, "#pm-root-cause", "Indexer lost its lease").await;
        wait_until(a, "#save-state", |t| t.contains("Saved")).await;
    };
    tokio::join!(typing, saving);
    let warning = wait_until(b, "#save-conflict", |t| t.contains("Someone else saved")).await;
    assert!(warning.contains("Autosave has stopped"), "{warning}");
    pat.screenshot("postmortem-editors-conflict").await;

    // Long after every autosave would have fired, the server holds the commander's save only.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    let db = tests::seed::open(&url).await;
    let pm = app::ssr::services::postmortem::get(&db, &app::ssr::auth::Actor::system(), "INC-1")
        .await
        .unwrap();
    let pm = serde_json::to_value(pm).unwrap();
    assert_eq!(pm["root_cause"], "Indexer lost its lease", "{pm}");
    assert!(
        !pm["body"].as_str().unwrap_or_default().contains(" pat"),
        "the other editor's text did not overwrite the save: {pm}"
    );
    assert_eq!(pm["version"], 2, "one save after the first: {pm}");
    assert!(ic.script_errors().await.is_empty());
    assert!(pat.script_errors().await.is_empty());
}
