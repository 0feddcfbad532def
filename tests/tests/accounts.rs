//! Accounts, sessions, tokens, authorisation, cross-site protection and the audit trail,
//! through the real router, on SQLite and PostgreSQL.

use app::domain::Role;
use app::ssr::entities::{audit_log, login_failure, session, user};
use axum::http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde_json::json;
use tests::db_test;
use tests::http::{Client, PASSWORD, column, signed_in, user as add_user};

db_test!(
    sign_in_sets_a_safe_cookie_and_a_new_session_each_time,
    |db| {
        add_user(&db, "ann@example.org", Role::Responder).await;
        let c = Client::new(db.clone());
        let r = c
            .post(
                "/api/v1/session",
                json!({"email": "Ann@Example.org ", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["user"]["email"], "ann@example.org");
        let set = r.set_cookie_header();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
            "{set}"
        );
        assert!(!set.contains("Secure"), "plain http origin: no Secure flag");
        let first = r.session_cookie().unwrap();

        // Signing in again while presenting the old cookie: a new id, and the old one ends
        // (no session fixation).
        let r2 = c
            .with_cookie(&first)
            .post(
                "/api/v1/session",
                json!({"email": "ann@example.org", "password": PASSWORD}),
            )
            .await;
        let second = r2.session_cookie().unwrap();
        assert_ne!(first, second);
        assert_eq!(
            c.with_cookie(&first).get("/api/v1/session").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            c.with_cookie(&second).get("/api/v1/session").await.body["email"],
            "ann@example.org"
        );
        // The database holds hashes of session ids, never the ids themselves.
        let ids: Vec<String> = session::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert!(!ids.contains(&second));
    }
);

db_test!(logout_really_ends_the_session, |db| {
    let c = signed_in(&db, "ann@example.org", Role::Member).await;
    assert_eq!(c.get("/api/v1/session").await.status, StatusCode::OK);
    let r = c.delete("/api/v1/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.set_cookie_header().contains("Max-Age=0"));
    assert_eq!(
        c.get("/api/v1/session").await.status,
        StatusCode::UNAUTHORIZED,
        "the old cookie is dead server-side"
    );
    assert_eq!(session::Entity::find().count(&db).await.unwrap(), 0);
});

db_test!(sessions_expire_when_idle_and_after_twelve_hours, |db| {
    add_user(&db, "ann@example.org", Role::Member).await;
    let base = Client::new(db.clone());
    let idle = base.login("ann@example.org", PASSWORD).await;
    let now = chrono::Utc::now().timestamp_millis();
    // 31 minutes without activity (idle limit: 30).
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(now - 31 * 60_000),
        )
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        idle.get("/api/v1/session").await.status,
        StatusCode::UNAUTHORIZED
    );

    let old = base.login("ann@example.org", PASSWORD).await;
    // Active a minute ago, but signed in more than 12 hours ago.
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(now - 60_000),
        )
        .col_expr(
            session::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(now - 1),
        )
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        old.get("/api/v1/session").await.status,
        StatusCode::UNAUTHORIZED
    );

    // 29 minutes idle is still fine, and the idle limit is a setting.
    let fresh = base.login("ann@example.org", PASSWORD).await;
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(now - 29 * 60_000),
        )
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(fresh.get("/api/v1/session").await.status, StatusCode::OK);
    // Changed by an admin: this process's sessions follow at once.
    let admin = tests::http::admin(&db).await;
    let r = admin
        .patch("/api/v1/settings", json!({"session_idle_minutes": 10}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    session::Entity::update_many()
        .col_expr(
            session::Column::LastSeenAt,
            sea_orm::sea_query::Expr::value(now - 11 * 60_000),
        )
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        fresh.get("/api/v1/session").await.status,
        StatusCode::UNAUTHORIZED
    );
});

db_test!(unknown_email_and_wrong_password_get_the_same_answer, |db| {
    add_user(&db, "ann@example.org", Role::Member).await;
    let c = Client::new(db.clone());
    let wrong = c
        .post(
            "/api/v1/session",
            json!({"email": "ann@example.org", "password": "nope-nope"}),
        )
        .await;
    let unknown = c
        .post(
            "/api/v1/session",
            json!({"email": "who@example.org", "password": "nope-nope"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert!(wrong.session_cookie().is_none());
    assert_eq!(login_failure::Entity::find().count(&db).await.unwrap(), 2);
});

db_test!(
    failed_sign_ins_are_limited_per_account_and_per_address,
    |db| {
        add_user(&db, "ann@example.org", Role::Member).await;
        add_user(&db, "bo@example.org", Role::Member).await;
        let c = Client::new(db.clone());
        // Two real failures, then 98 more recorded in the last hour: the limit (100) is reached.
        for _ in 0..2 {
            assert_eq!(
                c.post(
                    "/api/v1/session",
                    json!({"email": "ann@example.org", "password": "bad-guess"})
                )
                .await
                .status,
                StatusCode::UNAUTHORIZED
            );
        }
        let now = chrono::Utc::now().timestamp_millis();
        for i in 0..98 {
            login_failure::ActiveModel {
                email: Set("ann@example.org".into()),
                address: Set(format!("10.0.0.{}", i % 200)),
                at: Set(now - 1000),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap();
        }
        let limited = c
            .post(
                "/api/v1/session",
                json!({"email": "ann@example.org", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            limited.status,
            StatusCode::TOO_MANY_REQUESTS,
            "even the right password waits: {}",
            limited.body
        );
        // Another account from another address is unaffected.
        login_failure::Entity::delete_many()
            .filter(login_failure::Column::Address.eq("unknown"))
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(
            c.post(
                "/api/v1/session",
                json!({"email": "bo@example.org", "password": PASSWORD})
            )
            .await
            .status,
            StatusCode::OK
        );
        // Per address: 100 failures from one address (any accounts) block that address.
        for i in 0..100 {
            login_failure::ActiveModel {
                email: Set(format!("x{i}@example.org")),
                address: Set("unknown".into()),
                at: Set(now - 1000),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap();
        }
        assert_eq!(
            c.post(
                "/api/v1/session",
                json!({"email": "bo@example.org", "password": PASSWORD})
            )
            .await
            .status,
            StatusCode::TOO_MANY_REQUESTS
        );
        // Failures older than an hour no longer count.
        login_failure::Entity::update_many()
            .col_expr(
                login_failure::Column::At,
                sea_orm::sea_query::Expr::value(now - 3_700_000),
            )
            .exec(&db)
            .await
            .unwrap();
        assert_eq!(
            c.post(
                "/api/v1/session",
                json!({"email": "ann@example.org", "password": PASSWORD})
            )
            .await
            .status,
            StatusCode::OK
        );
    }
);

db_test!(cross_site_writes_are_refused_and_change_nothing, |db| {
    let admin = signed_in(&db, "root@example.org", Role::Admin).await;
    let users_before = user::Entity::find().count(&db).await.unwrap();
    let new_user = json!({"email": "eve@example.org", "name": "Eve", "role": "admin", "password": "password123"});
    let evil = Client {
        origin: Some("https://evil.example".into()),
        ..admin.clone()
    };
    assert_eq!(
        evil.post("/api/v1/users", new_user.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let no_origin = Client {
        origin: None,
        ..admin.clone()
    };
    assert_eq!(
        no_origin
            .post("/api/v1/users", new_user.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Server functions too.
    assert_eq!(
        evil.post("/rpc/list_incidents", json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), users_before);
    // A cross-site sign-in attempt (login CSRF) is refused as well.
    let r = Client {
        origin: Some("https://evil.example".into()),
        ..admin.anonymous()
    }
    .post(
        "/api/v1/session",
        json!({"email": "root@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Bearer-token writes are exempt: a script is not a browser riding a cookie.
    let token = admin
        .post("/api/v1/tokens", json!({"name": "script"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let script = Client {
        origin: Some("https://elsewhere.example".into()),
        ..admin.with_token(&token)
    };
    assert_eq!(
        script.post("/api/v1/users", new_user).await.status,
        StatusCode::CREATED
    );
});

db_test!(every_role_against_every_account_write, |db| {
    for (email, role) in [
        ("admin@x.org", Role::Admin),
        ("resp@x.org", Role::Responder),
        ("mem@x.org", Role::Member),
        ("view@x.org", Role::Viewer),
    ] {
        add_user(&db, email, role).await;
    }
    let base = Client::new(db.clone());
    // (role, may administer, may manage own tokens)
    let cases = [
        ("admin@x.org", true, true),
        ("resp@x.org", false, true),
        ("mem@x.org", false, true),
        // Every user manages their own tokens (SPEC "Accounts, continued"), viewers too.
        ("view@x.org", false, true),
    ];
    for (i, (email, admin, own_tokens)) in cases.into_iter().enumerate() {
        let c = base.login(email, PASSWORD).await;
        let expect =
            |allowed: bool, ok: StatusCode| if allowed { ok } else { StatusCode::FORBIDDEN };
        let r = c
            .post(
                "/api/v1/users",
                json!({"email": format!("new{i}@x.org"), "name": "N", "role": "viewer"}),
            )
            .await;
        assert_eq!(
            r.status,
            expect(admin, StatusCode::CREATED),
            "{email} creates a user: {}",
            r.body
        );
        let r = c
            .patch(
                "/api/v1/users/view@x.org",
                json!({"name": format!("Viewer {i}")}),
            )
            .await;
        assert_eq!(
            r.status,
            expect(admin, StatusCode::OK),
            "{email} edits a user: {}",
            r.body
        );
        let r = c.post("/api/v1/tokens", json!({"name": "mine"})).await;
        assert_eq!(
            r.status,
            expect(own_tokens, StatusCode::CREATED),
            "{email} creates own token: {}",
            r.body
        );
        if own_tokens {
            let id = r.body["id"].as_i64().unwrap();
            assert_eq!(
                c.delete(&format!("/api/v1/tokens/{id}")).await.status,
                StatusCode::OK,
                "{email} revokes own token"
            );
        }
        let r = c
            .post(
                "/api/v1/tokens",
                json!({"name": "theirs", "owner": "view@x.org"}),
            )
            .await;
        assert_eq!(
            r.status,
            // view@x.org's own token is no one else's: every user may make their own.
            expect(admin || email == "view@x.org", StatusCode::CREATED),
            "{email} creates a token for someone else: {}",
            r.body
        );
        // Everyone may read.
        assert_eq!(c.get("/api/v1/users").await.status, StatusCode::OK);
    }
    // Nobody anonymous.
    assert_eq!(
        base.anonymous().get("/api/v1/users").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        base.anonymous()
            .post("/api/v1/tokens", json!({"name": "x"}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
});

db_test!(
    api_tokens_are_shown_once_stored_hashed_and_revocable,
    |db| {
        let c = signed_in(&db, "ann@example.org", Role::Responder).await;
        let r = c.post("/api/v1/tokens", json!({"name": "ci"})).await;
        assert_eq!(r.status, StatusCode::CREATED);
        let secret = r.body["token"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("hs_"));
        let id = r.body["id"].as_i64().unwrap();
        let listed = c.get("/api/v1/tokens").await.body;
        assert!(
            !listed.to_string().contains(&secret),
            "the list never shows the secret"
        );
        let stored = app::ssr::entities::api_token::Entity::find_by_id(id)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(stored.token_hash, secret);
        let api = c.with_token(&secret);
        let me = api.get("/api/v1/session").await;
        assert_eq!(me.body["email"], "ann@example.org");
        assert_eq!(
            me.body["role"], "responder",
            "the token acts with its user's role"
        );
        assert_eq!(
            c.delete(&format!("/api/v1/tokens/{id}")).await.status,
            StatusCode::OK
        );
        let r = api.get("/api/v1/session").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body["error"]["code"], "unauthorized");
        assert_eq!(
            c.with_token("hs_made_up").get("/api/v1/users").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
);

db_test!(bad_input_is_a_clear_4xx_and_changes_nothing, |db| {
    let c = signed_in(&db, "root@example.org", Role::Admin).await;
    let before = user::Entity::find().count(&db).await.unwrap();
    let audit_before = audit_log::Entity::find().count(&db).await.unwrap();
    let r = c
        .post(
            "/api/v1/users",
            json!({"email": "not-an-email", "name": "X", "role": "viewer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["fields"][0]["field"], "email");
    let r = c
        .post(
            "/api/v1/users",
            json!({"email": "x@example.org", "name": "X", "role": "boss"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("role"),
        "{}",
        r.body
    );
    let r = c
        .post(
            "/api/v1/users",
            json!({"email": "x@example.org", "role": "viewer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"]["fields"][0]["field"], "name");
    let r = c
        .post(
            "/api/v1/users",
            json!({"email": "x@example.org", "name": "X", "role": "viewer", "password": "short"}),
        )
        .await;
    assert_eq!(r.body["error"]["fields"][0]["field"], "password");
    let r = c
        .post(
            "/api/v1/users",
            json!({"email": "root@example.org", "name": "Again", "role": "viewer"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = c
        .patch("/api/v1/users/root@example.org", json!({"role": "viewer"}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the last admin stays admin"
    );
    let r = c
        .patch(
            "/api/v1/users/root@example.org",
            json!({"name": "R", "version": 99}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a stale version is refused");
    let r = c
        .patch("/api/v1/users/nobody@example.org", json!({"name": "R"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Not JSON at all.
    let raw = c
        .send(axum::http::Method::POST, "/api/v1/users", None)
        .await;
    assert!(
        raw.status == StatusCode::BAD_REQUEST || raw.status == StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        raw.status
    );
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), before);
    assert_eq!(
        audit_log::Entity::find().count(&db).await.unwrap(),
        audit_before,
        "refused writes leave no audit rows"
    );
});

db_test!(every_write_is_audited_and_tampering_is_detected, |db| {
    let c = signed_in(&db, "root@example.org", Role::Admin).await;
    c.post("/api/v1/users", json!({"email": "bo@example.org", "name": "Bo", "role": "member", "password": "password123"})).await;
    c.patch(
        "/api/v1/users/bo@example.org",
        json!({"role": "responder", "name": "Bo B."}),
    )
    .await;
    let tok = c.post("/api/v1/tokens", json!({"name": "ci"})).await.body["id"]
        .as_i64()
        .unwrap();
    c.delete(&format!("/api/v1/tokens/{tok}")).await;

    let history = c.get("/api/v1/history/user/bo@example.org").await.body;
    let rows = history.as_array().unwrap();
    let find = |action: &str, field: &str| {
        rows.iter()
            .find(|r| r["action"] == action && r["field"] == field)
            .cloned()
    };
    let role = find("update", "role").expect("role change recorded");
    assert_eq!(
        (role["old"].as_str(), role["new"].as_str()),
        (Some("member"), Some("responder"))
    );
    assert_eq!(role["actor"], "root@example.org");
    assert!(find("update", "name").is_some());
    assert!(find("create", "email").is_some());
    let pw = find("create", "password").expect("password setting recorded");
    assert_eq!(
        pw["new"], "(set)",
        "the log never holds a password or its hash"
    );
    let token_rows = c
        .get(&format!("/api/v1/history/api_token/{tok}"))
        .await
        .body;
    let actions = column(&token_rows, "action");
    assert!(
        actions.contains(&"create") && actions.contains(&"revoke"),
        "{actions:?}"
    );
    let logins = c.get("/api/v1/history/user/root@example.org").await.body;
    assert!(
        logins
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "login")
    );

    // Intact chain.
    assert!(
        matches!(app::ssr::audit::verify(&db).await.unwrap(), app::ssr::audit::Verdict::Intact { rows } if rows > 8)
    );
    // The database refuses to change the log.
    let backend = db.get_database_backend();
    let target = audit_log::Entity::find()
        .filter(audit_log::Column::RecordKey.eq("bo@example.org"))
        .filter(audit_log::Column::Field.eq("role"))
        .filter(audit_log::Column::Action.eq("update"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let update = sea_orm::Statement::from_string(
        backend,
        format!(
            "UPDATE audit_log SET new_value = 'admin' WHERE id = {}",
            target.id
        ),
    );
    assert!(
        db.execute_raw(update.clone()).await.is_err(),
        "append-only: UPDATE refused"
    );
    assert!(
        db.execute_raw(sea_orm::Statement::from_string(
            backend,
            "DELETE FROM audit_log"
        ))
        .await
        .is_err(),
        "append-only: DELETE refused"
    );
    // Someone with the database's owner rights removes the guard and edits a row: detected.
    match backend {
        sea_orm::DbBackend::Sqlite => {
            db.execute_unprepared("DROP TRIGGER audit_log_no_update")
                .await
                .unwrap();
        }
        _ => {
            db.execute_unprepared("DROP TRIGGER audit_log_no_change ON audit_log")
                .await
                .unwrap();
        }
    }
    db.execute_raw(update).await.unwrap();
    match app::ssr::audit::verify(&db).await.unwrap() {
        app::ssr::audit::Verdict::Broken { id, .. } => assert_eq!(id, target.id),
        other => panic!("tampering not detected: {other:?}"),
    }
});

db_test!(the_first_admin_is_bootstrapped_once, |db| {
    let now = chrono::Utc::now();
    assert!(
        app::ssr::services::users::bootstrap_admin(&db, "boss@example.org", "bootstrap-pass", now)
            .await
            .unwrap()
    );
    assert!(
        !app::ssr::services::users::bootstrap_admin(
            &db,
            "other@example.org",
            "bootstrap-pass",
            now
        )
        .await
        .unwrap()
    );
    let all = user::Entity::find().all(&db).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].role, Role::Admin);
    Client::new(db.clone())
        .login("boss@example.org", "bootstrap-pass")
        .await;
});

db_test!(
    deactivating_a_user_or_changing_their_password_ends_their_sessions,
    |db| {
        add_user(&db, "root@example.org", Role::Admin).await;
        add_user(&db, "bo@example.org", Role::Member).await;
        let base = Client::new(db.clone());
        let admin = base.login("root@example.org", PASSWORD).await;
        let bo = base.login("bo@example.org", PASSWORD).await;
        admin
            .patch(
                "/api/v1/users/bo@example.org",
                json!({"password": "a-new-password"}),
            )
            .await;
        assert_eq!(
            bo.get("/api/v1/session").await.status,
            StatusCode::UNAUTHORIZED
        );
        let bo = base.login("bo@example.org", "a-new-password").await;
        admin
            .patch("/api/v1/users/bo@example.org", json!({"active": false}))
            .await;
        assert_eq!(
            bo.get("/api/v1/session").await.status,
            StatusCode::UNAUTHORIZED
        );
        let r = base
            .post(
                "/api/v1/session",
                json!({"email": "bo@example.org", "password": "a-new-password"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "a deactivated user cannot sign in"
        );
    }
);

db_test!(
    cookies_are_secure_when_the_site_is_served_over_https,
    |db| {
        add_user(&db, "ann@example.org", Role::Member).await;
        let mut state = tests::http::state(db.clone());
        state.config = std::sync::Arc::new(app::ssr::RuntimeConfig::new(
            "https://hindsight.example.org",
        ));
        let c = Client {
            app: hindsight::web::router(state),
            cookie: None,
            token: None,
            origin: Some("https://hindsight.example.org".into()),
        };
        let r = c
            .post(
                "/api/v1/session",
                json!({"email": "ann@example.org", "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.set_cookie_header().contains("; Secure"),
            "{}",
            r.set_cookie_header()
        );
    }
);
