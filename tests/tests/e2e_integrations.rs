//! End to end: an admin adds an alert source on the admin page and gets its secret and a
//! ready curl command once; an alert posted with it opens an incident whose page lists the
//! alert; the admin adds a signed webhook channel, sends a test message to a real receiver
//! and reads the delivery log; connects GitHub and creates an action's issue from its page,
//! maps a team to the tracker in the row's edit form (the team's new action gets its issue by
//! itself) and creates another action's issue in one click on the incident's action list.

use tests::browser::{Browser, E2eConfig, TestServer, click, type_into, wait_until};
use tests::receiver::Receiver;

#[tokio::test]
async fn an_admin_connects_an_alert_source_and_a_channel() {
    let Some(cfg) = E2eConfig::from_env() else {
        return;
    };
    let rx = Receiver::start().await;
    let (dir, url) = TestServer::new_database_dir("integrations");
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
            "#add-hook",
        )
        .await;

    // An alert source for any sender: the secret and the curl command, once.
    type_into(c, "#hook-name", "cron-checks").await;
    c.find(fantoccini::Locator::Css("#hook-source"))
        .await
        .unwrap()
        .select_by_value("generic")
        .await
        .unwrap();
    click(c, "#create-hook").await;
    let secret = wait_until(c, "#new-hook-secret", |t| t.starts_with("hsh_")).await;
    let secret = secret.trim().to_owned();
    let callout = wait_until(c, "#new-hook", |t| t.contains("curl")).await;
    assert!(callout.contains(&format!("Bearer {secret}")), "{callout}");
    let receive = wait_until(c, "#new-hook-url", |t| t.contains("/receive")).await;
    wait_until(c, "#hook-list", |t| t.contains("cron-checks")).await;
    browser.screenshot("admin-alert-source").await;

    // The sender posts an alert; the incident it opens lists it.
    let r = reqwest::Client::new()
        .post(receive.trim())
        .bearer_auth(&secret)
        .json(&serde_json::json!({
            "fingerprint": "disk-full-db-1", "title": "Disk full on db-1", "status": "firing",
            "severity": "sev2", "service": "database", "url": "https://monitoring.example.org/d/db-1"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let body: serde_json::Value = r.json().await.unwrap();
    let key = body["incident"].as_str().unwrap().to_owned();
    c.goto(&server.url(&format!("/incidents/{key}")))
        .await
        .unwrap();
    let card = wait_until(c, "#alerts-card", |t| t.contains("Disk full on db-1")).await;
    assert!(card.contains("1 firing of 1"), "{card}");
    assert!(
        card.contains("fingerprint") || card.contains("Generic JSON"),
        "{card}"
    );
    let link = c
        .find(fantoccini::Locator::Css("#alerts-card a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap();
    assert_eq!(
        link.as_deref(),
        Some("https://monitoring.example.org/d/db-1")
    );
    wait_until(c, "main", |t| {
        t.contains("Opened from an alert of cron-checks")
    })
    .await;
    browser.screenshot("incident-alerts").await;

    // A signed webhook channel, a test message to a real receiver, the log.
    c.goto(&server.url("/admin")).await.unwrap();
    browser.hydrated().await;
    type_into(c, "#channel-name", "ops-bus").await;
    c.find(fantoccini::Locator::Css("#channel-kind"))
        .await
        .unwrap()
        .select_by_value("webhook")
        .await
        .unwrap();
    type_into(c, "#channel-url", &rx.url("/ops")).await;
    click(c, "#create-channel").await;
    let channel_secret = wait_until(c, "#new-channel-secret", |t| !t.trim().is_empty()).await;
    let list = wait_until(c, "#channel-list", |t| t.contains("ops-bus")).await;
    assert!(
        list.contains(&rx.addr.to_string()),
        "the host is shown: {list}"
    );
    assert!(!list.contains("/ops"), "never the whole URL: {list}");
    click(
        c,
        "#channel-list button[aria-label='Send a test message to ops-bus']",
    )
    .await;
    wait_until(c, "#channel-list", |t| t.contains("Test message delivered")).await;
    let got = rx.got_at("/ops");
    assert_eq!(got.len(), 1);
    let ts: i64 = got[0]
        .header("x-hindsight-timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        got[0].header("x-hindsight-signature").unwrap(),
        app::ssr::services::notify::render::signature(channel_secret.trim(), ts, &got[0].body)
    );
    click(c, "#channel-list button[aria-expanded]").await;
    wait_until(c, ".delivery-log", |t| t.contains("delivered")).await;
    browser.screenshot("admin-channels").await;

    // A GitHub tracker (through the API, as a script would), then the action page's
    // one-click issue against a contract server.
    let github = tests::trackers::Contract::start().await;
    let http = reqwest::Client::new();
    let login = http
        .post(server.url("/api/v1/session"))
        .header("origin", server.url(""))
        .json(&serde_json::json!({"email": "root@example.org", "password": "first admin password"}))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let api = |path: &str, body: serde_json::Value| {
        http.post(server.url(path))
            .header("cookie", &cookie)
            .header("origin", server.url(""))
            .json(&body)
            .send()
    };
    // The tracker, connected on the admin page.
    c.goto(&server.url("/admin")).await.unwrap();
    browser.hydrated().await;
    type_into(c, "#tracker-name", "GitHub").await;
    c.find(fantoccini::Locator::Css("#tracker-base-url"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    type_into(c, "#tracker-base-url", &github.url("")).await;
    type_into(c, "#tracker-project", "acme-sre/payments-api").await;
    type_into(c, "#tracker-token", "ghp_e2e_never_shown").await;
    click(c, "#create-tracker").await;
    let secret = wait_until(c, "#new-tracker-secret", |t| t.starts_with("hst_")).await;
    let callout = wait_until(c, "#new-tracker", |t| t.contains("Add webhook")).await;
    assert!(callout.contains(secret.trim()), "{callout}");
    let list = wait_until(c, "#tracker-list", |t| t.contains("acme-sre/payments-api")).await;
    assert!(!list.contains("ghp_e2e_never_shown"));
    assert!(
        list.contains("Last sync") || list.contains("LAST SYNC"),
        "{list}"
    );
    assert!(
        list.contains("not yet"),
        "no reconciliation round yet: {list}"
    );
    browser.screenshot("admin-trackers").await;
    let r = api(
        "/api/v1/actions",
        serde_json::json!({"title": "Alert on disk usage above 90%", "incident": key}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let act: serde_json::Value = r.json().await.unwrap();
    let act = act["key"].as_str().unwrap().to_owned();
    c.goto(&server.url(&format!("/actions/{act}")))
        .await
        .unwrap();
    browser.hydrated().await;
    click(c, "#create-tracker-issue button[type='submit']").await;
    let link = wait_until(c, "#tracker-issue", |t| t.contains("GitHub #214")).await;
    assert!(link.contains("open"), "{link}");
    assert_eq!(github.seen().len(), 1);
    assert_eq!(
        github.seen()[0].body["title"],
        format!("{act}: Alert on disk usage above 90%")
    );
    browser.screenshot("action-tracker-issue").await;

    // The admin maps the Payments team to the tracker in the row's edit form: a new action of
    // the team gets its issue by itself (the server's outbox sends it).
    c.goto(&server.url("/admin#trackers")).await.unwrap();
    browser.hydrated().await;
    click(c, "#tracker-list button[aria-expanded]").await;
    type_into(c, ".edit-tracker-teams", "Payments").await;
    browser.screenshot("admin-tracker-edit").await;
    click(c, "form[id^='edit-tracker-'] button[type='submit']").await;
    wait_until(c, "#tracker-list", |t| t.contains("Teams: Payments")).await;
    let r = api(
        "/api/v1/actions",
        serde_json::json!({"title": "Retry card captures", "incident": key, "team": "Payments"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let auto: serde_json::Value = r.json().await.unwrap();
    let auto = auto["key"].as_str().unwrap().to_owned();
    let mut linked = false;
    for _ in 0..100 {
        let a: serde_json::Value = http
            .get(server.url(&format!("/api/v1/actions/{auto}")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !a["issue"].is_null() {
            linked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(linked, "the outbox created {auto}'s issue");
    // One click on the incident's action list creates the issue of an action without one.
    let r = api(
        "/api/v1/actions",
        serde_json::json!({"title": "Add a disk-usage runbook", "incident": key}),
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let plain: serde_json::Value = r.json().await.unwrap();
    let plain = plain["key"].as_str().unwrap().to_owned();
    c.goto(&server.url(&format!("/incidents/{key}")))
        .await
        .unwrap();
    browser.hydrated().await;
    let list = wait_until(c, "#incident-actions", |t| t.contains(&plain)).await;
    assert!(list.contains("Create issue"), "{list}");
    browser.screenshot("incident-create-issue").await;
    click(
        c,
        &format!("#incident-actions button[aria-label='Create a tracker issue for {plain}']"),
    )
    .await;
    let list = wait_until(c, "#incident-actions", |t| {
        t.matches("#21").count() >= 3 && !t.contains("Create issue")
    })
    .await;
    assert!(list.contains(&auto) && list.contains(&plain), "{list}");
    let made: Vec<String> = github
        .seen()
        .iter()
        .map(|s| s.body["title"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(made.len(), 3, "{made:?}");
    assert!(
        made.contains(&format!("{auto}: Retry card captures")),
        "{made:?}"
    );
    assert!(
        made.contains(&format!("{plain}: Add a disk-usage runbook")),
        "{made:?}"
    );
    browser.screenshot("incident-action-issues").await;
    assert!(browser.script_errors().await.is_empty());
    browser.close().await;
}
