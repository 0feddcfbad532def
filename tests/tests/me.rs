//! One's own account (`/api/v1/me`): name, password and own API tokens, for every role, through
//! the real router, on SQLite and PostgreSQL.

use app::domain::Role;
use app::ssr::entities::{audit_log, login_failure};
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use tests::db_test;
use tests::http::{Client, PASSWORD, all_signed_in, assert_refused, column, signed_in};

/// Every value of every audit row, as one text to search for secrets.
async fn audit_text(db: &sea_orm::DatabaseConnection) -> String {
    audit_log::Entity::find()
        .all(db)
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{:?}", r))
        .collect::<Vec<_>>()
        .join("\n")
}

db_test!(everyone_sees_and_renames_only_themselves, |db| {
    let [viewer, admin] = all_signed_in(
        &db,
        [
            ("vi@example.org", Role::Viewer),
            ("admin@example.org", Role::Admin),
        ],
    )
    .await;
    let r = viewer.get("/api/v1/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["email"], "vi@example.org");
    assert_eq!(r.body["role"], "viewer");
    assert_eq!(r.body["has_password"], true);
    assert!(
        r.body.get("password_hash").is_none() && !r.text.contains("argon2"),
        "{}",
        r.text
    );
    let version = r.body["version"].as_i64().unwrap();
    assert_eq!(
        viewer.anonymous().get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );

    // A viewer changes nothing else, but their own name, yes.
    let body = json!({"name": "  Vi Viewer ", "current_password": PASSWORD});
    let r = viewer.patch("/api/v1/me", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["name"], "Vi Viewer");
    assert_eq!(r.body["version"].as_i64().unwrap(), version + 1);
    assert_eq!(
        admin.get("/api/v1/users/vi@example.org").await.body["name"],
        "Vi Viewer"
    );
    assert_eq!(
        admin.get("/api/v1/me").await.body["name"],
        "admin",
        "the admin's account is untouched"
    );

    // No way to reach another account or widen one's own.
    for (body, field) in [
        (
            json!({"email": "admin@example.org", "name": "X", "current_password": PASSWORD}),
            "email",
        ),
        (
            json!({"role": "admin", "current_password": PASSWORD}),
            "role",
        ),
        (
            json!({"active": false, "current_password": PASSWORD}),
            "active",
        ),
    ] {
        let r = viewer.patch("/api/v1/me", body.clone()).await;
        assert_unknown_field(&r, &body, field);
    }
    assert_eq!(viewer.get("/api/v1/me").await.body["role"], "viewer");

    // The name's rules, as for admins.
    for name in [json!(""), json!("   "), json!("x".repeat(101))] {
        let body = json!({"name": name, "current_password": PASSWORD});
        let r = viewer.patch("/api/v1/me", body.clone()).await;
        assert_refused(&r, &body, "name");
    }

    // The current password is required for a name change too, and checked.
    let body = json!({"name": "Nobody"});
    assert_refused(
        &viewer.patch("/api/v1/me", body.clone()).await,
        &body,
        "current_password",
    );
    let body = json!({"name": "Nobody", "current_password": "not my password"});
    assert_refused(
        &viewer.patch("/api/v1/me", body.clone()).await,
        &body,
        "current_password",
    );
    assert_eq!(viewer.get("/api/v1/me").await.body["name"], "Vi Viewer");

    // A stale version is a conflict.
    let body = json!({"name": "Late", "current_password": PASSWORD, "version": version});
    assert_eq!(
        viewer.patch("/api/v1/me", body).await.status,
        StatusCode::CONFLICT
    );

    // The change is in the user's history, by the user.
    let history = admin.get("/api/v1/history/user/vi@example.org").await.body;
    let row = history
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "update" && r["field"] == "name")
        .cloned()
        .expect("the rename is audited");
    assert_eq!(row["actor"], "vi@example.org");
    assert_eq!(row["new"], "Vi Viewer");
});

db_test!(
    a_new_password_needs_the_current_one_and_ends_the_other_sessions,
    |db| {
        let here = signed_in(&db, "mo@example.org", Role::Member).await;
        let elsewhere = Client::new(db.clone())
            .login("mo@example.org", PASSWORD)
            .await;
        let token = here
            .post("/api/v1/me/tokens", json!({"name": "script"}))
            .await
            .body["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let new_password = "a new and long password";

        let body = json!({"password": new_password, "current_password": "wrong password"});
        assert_refused(
            &here.patch("/api/v1/me", body.clone()).await,
            &body,
            "current_password",
        );
        let body = json!({"password": new_password});
        assert_refused(
            &here.patch("/api/v1/me", body.clone()).await,
            &body,
            "current_password",
        );
        // The rules of admin-set passwords.
        let body = json!({"password": "short", "current_password": PASSWORD});
        assert_refused(
            &here.patch("/api/v1/me", body.clone()).await,
            &body,
            "password",
        );
        assert_eq!(
            elsewhere.get("/api/v1/me").await.status,
            StatusCode::OK,
            "refused changes end nothing"
        );

        let r = here
            .patch(
                "/api/v1/me",
                json!({"password": new_password, "current_password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            here.get("/api/v1/me").await.status,
            StatusCode::OK,
            "the session that made the change stays"
        );
        assert_eq!(
            elsewhere.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED,
            "every other session ends"
        );
        assert_eq!(
            here.with_token(&token).get("/api/v1/me").await.status,
            StatusCode::OK,
            "tokens are credentials of their own and stay"
        );
        let anon = here.anonymous();
        let old = anon
            .post(
                "/api/v1/session",
                json!({"email": "mo@example.org", "password": PASSWORD}),
            )
            .await;
        assert_eq!(old.status, StatusCode::UNAUTHORIZED);
        anon.login("mo@example.org", new_password).await;

        // Audited, without the secret: neither password nor its hash is anywhere in the log.
        let history = here.get("/api/v1/history/user/mo@example.org").await.body;
        let pw = history
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["field"] == "password" && r["action"] == "update")
            .cloned()
            .expect("the password change is audited");
        assert_eq!(pw["new"], "(changed)");
        assert_eq!(pw["actor"], "mo@example.org");
        let log = audit_text(&db).await;
        for secret in [PASSWORD, new_password, "wrong password", "argon2", &token] {
            assert!(!log.contains(secret), "{secret} in the audit log");
        }
    }
);

db_test!(wrong_current_passwords_count_as_failed_sign_ins, |db| {
    let c = signed_in(&db, "mo@example.org", Role::Member).await;
    let body = json!({"name": "X", "current_password": "guess"});
    assert_refused(
        &c.patch("/api/v1/me", body.clone()).await,
        &body,
        "current_password",
    );
    // An hour's worth of failures: the account page refuses like the sign-in page.
    let now = app::ssr::to_ms(chrono::Utc::now());
    for _ in 0..app::ssr::auth::LOGIN_FAILURES_PER_HOUR {
        login_failure::ActiveModel {
            email: Set("mo@example.org".into()),
            address: Set("198.51.100.7".into()),
            at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
    }
    let r = c
        .patch(
            "/api/v1/me",
            json!({"name": "X", "current_password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(c.get("/api/v1/me").await.body["name"], "mo");
});

db_test!(
    own_tokens_are_shown_once_act_as_their_owner_and_stay_private,
    |db| {
        let [viewer, admin] = all_signed_in(
            &db,
            [
                ("vi@example.org", Role::Viewer),
                ("admin@example.org", Role::Admin),
            ],
        )
        .await;
        assert!(
            viewer
                .get("/api/v1/me/tokens")
                .await
                .body
                .as_array()
                .unwrap()
                .is_empty()
        );
        // A viewer may make a token (their calendar feed needs one).
        let r = viewer
            .post("/api/v1/me/tokens", json!({"name": "calendar"}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let secret = r.body["token"].as_str().unwrap().to_owned();
        let id = r.body["id"].as_i64().unwrap();
        assert!(secret.starts_with("hs_"), "{secret}");
        assert_eq!(r.body["owner"], "vi@example.org");
        let listed = viewer.get("/api/v1/me/tokens").await;
        assert_eq!(column(&listed.body, "name"), ["calendar"]);
        assert!(
            !listed.text.contains(&secret) && listed.body[0].get("token").is_none(),
            "the secret is shown once: {}",
            listed.text
        );
        // No one else's token through `/me`, and no token for someone else.
        let body = json!({"name": "theirs", "owner": "admin@example.org"});
        assert_unknown_field(
            &viewer.post("/api/v1/me/tokens", body.clone()).await,
            &body,
            "owner",
        );
        let body = json!({"name": ""});
        assert_refused(
            &viewer.post("/api/v1/me/tokens", body.clone()).await,
            &body,
            "name",
        );

        // The token acts as its owner, with the owner's role.
        let bearer = viewer.with_token(&secret);
        let me = bearer.get("/api/v1/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["email"], "vi@example.org");
        assert_eq!(
            bearer
                .patch("/api/v1/users/admin@example.org", json!({"name": "x"}))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "a token never widens its owner's role"
        );
        let feed = bearer
            .anonymous()
            .get(&format!(
                "/api/v1/calendar/vi@example.org.ics?token={secret}"
            ))
            .await;
        assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
        assert!(feed.text.contains("BEGIN:VCALENDAR"));

        // The admin's own list holds only the admin's tokens; the general list keeps them all.
        let admin_token = admin
            .post("/api/v1/me/tokens", json!({"name": "admin's"}))
            .await
            .body;
        let admin_id = admin_token["id"].as_i64().unwrap();
        assert_eq!(
            column(&admin.get("/api/v1/me/tokens").await.body, "name"),
            ["admin's"]
        );
        assert_eq!(
            admin
                .get("/api/v1/tokens")
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            2
        );

        // Someone else's token id is "not found" through `/me`, for admins too.
        let r = viewer
            .delete(&format!("/api/v1/me/tokens/{admin_id}"))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        let r = admin.delete(&format!("/api/v1/me/tokens/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(
            viewer.delete("/api/v1/me/tokens/999999").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(bearer.get("/api/v1/me").await.status, StatusCode::OK);
        let admin_bearer = admin.with_token(admin_token["token"].as_str().unwrap());
        assert_eq!(admin_bearer.get("/api/v1/me").await.status, StatusCode::OK);

        // Revoking one's own token ends it.
        let r = viewer.delete(&format!("/api/v1/me/tokens/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["revoked_at"].is_string());
        assert_eq!(
            bearer.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        let history = admin
            .get(&format!("/api/v1/history/api_token/{id}"))
            .await
            .body;
        let actions = column(&history, "action");
        assert!(
            actions.contains(&"create") && actions.contains(&"revoke"),
            "{actions:?}"
        );
        let log = audit_text(&db).await;
        assert!(
            !log.contains(&secret),
            "the secret is never in the audit log"
        );
    }
);

db_test!(the_account_page_is_documented_and_server_rendered, |db| {
    let c = signed_in(&db, "vi@example.org", Role::Viewer).await;
    let doc = c.get("/api/v1/openapi.json").await.body;
    for (path, methods) in [
        ("/api/v1/me", &["get", "patch"][..]),
        ("/api/v1/me/tokens", &["get", "post"]),
        ("/api/v1/me/tokens/{id}", &["delete"]),
    ] {
        for m in methods {
            assert!(
                doc["paths"][path][m].is_object(),
                "{m} {path} is documented"
            );
        }
    }
    c.post("/api/v1/me/tokens", json!({"name": "calendar"}))
        .await;
    let page = c.get("/me").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text;
    for id in [
        "id=\"name-form\"",
        "id=\"password-form\"",
        "id=\"pw-repeat\"",
        "id=\"create-my-token\"",
        "id=\"my-tokens\"",
        "id=\"nav-me\"",
    ] {
        assert!(html.contains(id), "{id} on /me");
    }
    assert!(html.contains("vi@example.org"));
    let tokens = html
        .split_once("id=\"my-tokens\"")
        .map_or("", |(_, rest)| rest.split("</table>").next().unwrap_or(""));
    assert!(
        tokens.contains(">calendar<"),
        "the token is listed: {tokens}"
    );
    // The calendar-feed address with the site's own origin.
    assert!(
        html.contains(&format!(
            "{}/api/v1/calendar/vi@example.org.ics?token=",
            tests::http::ORIGIN
        )),
        "{html}"
    );
    assert!(!html.contains("argon2"));
});

/// A 422 for a field the request may not carry. The refusal names it (today as
/// `field.field`, the JSON rejection's path; issue 21 tidies that wording).
fn assert_unknown_field(r: &tests::http::Reply, body: &serde_json::Value, name: &str) {
    assert_eq!(
        r.status,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "{body}: {}",
        r.body
    );
    let f = tests::http::field(r);
    assert!(
        f == name || f.starts_with(&format!("{name}.")),
        "{body}: {}",
        r.body
    );
}
