//! End to end: an admin adds a user and changes a role on the admin page, and creates an API
//! token that is shown once.

use std::time::Duration;

use fantoccini::Locator;
use tests::browser::{Browser, E2eConfig, TestServer, press, wait_until};

#[tokio::test]
async fn admin_adds_a_user_changes_a_role_and_creates_a_token() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let (dir, url) = TestServer::new_database_dir("admin");
    // The first admin comes from the environment, as on a real first start.
    let server = TestServer::start(
        &cfg,
        dir,
        &url,
        &[
            ("HINDSIGHT_ADMIN_EMAIL", "root@example.org"),
            ("HINDSIGHT_ADMIN_PASSWORD", "first admin password"),
        ],
    );
    let browser = Browser::start().await;
    let c = &browser.client;
    browser
        .sign_in(
            &server,
            "root@example.org",
            "first admin password",
            "/admin",
            "#user-list",
        )
        .await;

    let form = c.find(Locator::Css("#add-user")).await.unwrap();
    form.find(Locator::Css("input[name='user[email]']"))
        .await
        .unwrap()
        .send_keys("bo@example.org")
        .await
        .unwrap();
    form.find(Locator::Css("input[name='user[name]']"))
        .await
        .unwrap()
        .send_keys("Bo Builder")
        .await
        .unwrap();
    form.find(Locator::Css("select[name='user[role]']"))
        .await
        .unwrap()
        .select_by_value("responder")
        .await
        .unwrap();
    form.find(Locator::Css("button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The new user is listed.
    wait_until(c, "#user-list", |t| t.contains("bo@example.org")).await;

    // Change Bo's role to viewer from the table.
    let select = c
        .find(Locator::Css("select[aria-label='Role of bo@example.org']"))
        .await
        .unwrap();
    select.select_by_value("viewer").await.unwrap();
    let mut changed = false;
    for _ in 0..100 {
        let v = c
            .execute("return document.querySelector(\"select[aria-label='Role of bo@example.org']\").value", vec![])
            .await
            .unwrap();
        let history = c
            .execute("return document.body.innerText", vec![])
            .await
            .unwrap();
        if v == "viewer"
            && !history
                .as_str()
                .unwrap_or("")
                .contains("changed by someone else")
        {
            changed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(changed);

    let token_form = c.find(Locator::Css("#create-token")).await.unwrap();
    token_form
        .find(Locator::Css("input[name='name']"))
        .await
        .unwrap()
        .send_keys("deploy bot")
        .await
        .unwrap();
    token_form
        .find(Locator::Css("button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let shown = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#new-token"))
        .await
        .unwrap();
    let token = shown.text().await.unwrap();
    assert!(token.starts_with("hs_"), "{token}");
    browser.screenshot("admin").await;

    // The role change reached the server: a fresh load shows it.
    c.goto(&server.url("/admin")).await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#user-list"))
        .await
        .unwrap();
    let v = c
        .execute(
            "return document.querySelector(\"select[aria-label='Role of bo@example.org']\").value",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(v, "viewer");
    let page = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&token), "the secret is never shown again");

    // Settings: a holiday and a sev1 template of our own; a bad time zone is refused first.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#settings-form"))
        .await
        .unwrap();
    let set = |css: &'static str, text: &'static str| {
        let c = c.clone();
        async move {
            let e = c.find(Locator::Css(css)).await.unwrap();
            e.clear().await.unwrap();
            e.send_keys(text).await.unwrap();
        }
    };
    let save = || async {
        c.execute(
            "document.querySelector('#save-settings').scrollIntoView({block: 'center'}); return null;",
            vec![],
        )
        .await
        .unwrap();
        press(c, "#save-settings").await;
    };
    set("#set-timezone", "Mars/Olympus").await;
    save().await;
    // The label says "IANA" too: wait for the error itself.
    let err = wait_until(c, "#settings", |t| t.contains("is not an IANA time zone")).await;
    assert!(err.contains("timezone"), "{err}");
    set("#set-timezone", "Europe/Berlin").await;
    set("#set-holidays", "2026-12-25").await;
    press(c, "#template-tab-sev1").await;
    set("#set-template", "## Impact\n\n## Root cause\n").await;
    save().await;
    wait_until(c, "#settings", |t| t.contains("Settings saved.")).await;
    browser.screenshot("admin-settings").await;
    let db = tests::seed::open(&url).await;
    let stored = app::ssr::services::settings::load(&db).await.unwrap();
    db.close().await.unwrap();
    assert_eq!(stored.timezone, "Europe/Berlin");
    assert_eq!(
        stored.holidays,
        [chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()]
    );
    assert_eq!(
        stored.postmortem_templates.sev1,
        "## Impact\n\n## Root cause\n"
    );
    assert_eq!(
        stored.postmortem_templates.sev2,
        app::domain::postmortem::default_template()
    );
    browser.close().await;
    drop(server);
}
