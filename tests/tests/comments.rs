//! Comments, mentions and notifications through the REST API, on SQLite and PostgreSQL: who
//! may comment on each of the four record kinds, edits by the author on their version, removal
//! that keeps the thread, one level of replies, `@e-mail` mentions and review requests as
//! notifications, resolving review threads (the postmortem's `open_threads`), the limits of a
//! comment, the audit of every change, and comments through export and import.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::Role;
use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, Reply, all_signed_in, assert_refused, created, declare_key, signed_in};

/// The four kinds of record people comment on: path segment, key, `record_type` on the wire.
const RECORDS: [(&str, &str, &str); 4] = [
    ("incidents", "INC-1", "incident"),
    ("postmortems", "INC-1", "postmortem"),
    ("actions", "ACT-1", "action"),
    ("known-errors", "KE-1", "known_error"),
];

/// INC-1 with its postmortem, ACT-1 (of INC-1) and KE-1, written by the responder `ic`.
async fn records(ic: &Client) {
    declare_key(ic, json!({"title": "Checkout down", "severity": "sev2"})).await;
    let r = ic
        .put("/api/v1/incidents/INC-1/postmortem", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    created(
        ic,
        "/api/v1/actions",
        json!({"title": "Add a canary stage", "incident": "INC-1"}),
    )
    .await;
    created(
        ic,
        "/api/v1/known-errors",
        json!({"title": "Connection pool exhausted"}),
    )
    .await;
}

fn comments_of(segment: &str, key: &str) -> String {
    format!("/api/v1/{segment}/{key}/comments")
}

fn comment_path(id: &Value) -> String {
    format!("/api/v1/comments/{id}")
}

/// Posts `body` as a comment (checking the `201`) and returns it.
async fn post(c: &Client, segment: &str, key: &str, body: Value) -> Value {
    created(c, &comments_of(segment, key), body).await
}

/// Posts a comment with text `text` on INC-1 and returns it.
async fn say(c: &Client, text: &str) -> Value {
    post(c, "incidents", "INC-1", json!({"body": text})).await
}

/// The threads on a record (checking the `200`).
async fn threads(c: &Client, segment: &str, key: &str) -> Vec<Value> {
    let r = c.get(&comments_of(segment, key)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// The caller's notifications page (checking the `200`).
async fn notifications(c: &Client) -> Value {
    let r = c.get("/api/v1/notifications").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// The caller's notifications, newest first.
async fn items(c: &Client) -> Vec<Value> {
    notifications(c).await["items"].as_array().unwrap().clone()
}

/// A comment's history, newest first (checking the `200`).
async fn history(c: &Client, id: &Value) -> Vec<Value> {
    let r = c.get(&format!("/api/v1/history/comment/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// The rows of `table`.
async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    db.query_one_raw(Statement::from_string(
        db.get_database_backend(),
        format!("SELECT COUNT(*) AS n FROM {table}"),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get::<i64>("", "n")
    .unwrap()
}

/// What a write may change: comments, notifications and the audit log, counted.
async fn written(db: &DatabaseConnection) -> [i64; 3] {
    [
        count(db, "comments").await,
        count(db, "notifications").await,
        count(db, "audit_log").await,
    ]
}

fn ids(list: &[Value]) -> Vec<i64> {
    list.iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

fn reply_ids(thread: &Value) -> Vec<i64> {
    ids(thread["replies"].as_array().unwrap())
}

async fn open_threads(c: &Client) -> i64 {
    let r = c.get("/api/v1/incidents/INC-1/postmortem").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["open_threads"].as_i64().unwrap()
}

async fn patch(c: &Client, id: &Value, body: Value) -> Reply {
    c.patch(&comment_path(id), body).await
}

// ----- who may comment, and where -----

db_test!(members_responders_and_admins_comment_viewers_read, |db| {
    let [admin, ic, dev, ro] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("ro@example.org", Role::Viewer),
        ],
    )
    .await;
    records(&ic).await;
    for (segment, key, wire) in RECORDS {
        let path = comments_of(segment, key);
        let before = written(&db).await;
        let r = ro
            .post(&path, json!({"body": format!("viewer on {segment}")}))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{segment}: {}", r.body);
        assert_eq!(
            written(&db).await,
            before,
            "a refused comment writes nothing"
        );
        let r = ic
            .anonymous()
            .post(&path, json!({"body": "anonymous"}))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{segment}: {}", r.body);

        for (who, c) in [("dev", &dev), ("ic", &ic), ("admin", &admin)] {
            let body = format!("{who} on {segment}");
            let m = post(c, segment, key, json!({"body": body})).await;
            assert_eq!(m["record_type"], wire, "{m}");
            assert_eq!(m["record"], key, "{m}");
            assert_eq!(m["author"], format!("{who}@example.org"), "{m}");
            assert_eq!(m["author_name"], who, "{m}");
            assert_eq!(m["body"], body);
            assert_eq!(m["parent"], Value::Null);
            assert_eq!(m["quote"], Value::Null);
            assert_eq!(m["resolved"], false);
            assert_eq!(m["deleted"], false);
            assert_eq!(m["version"], 1);
            assert_eq!(m["edited_at"], Value::Null);
            assert!(m["created_at"].is_string(), "{m}");
        }
        // The viewer reads them all, oldest first; each record has only its own.
        let list = threads(&ro, segment, key).await;
        let bodies: Vec<&str> = list
            .iter()
            .map(|t| t["comment"]["body"].as_str().unwrap())
            .collect();
        assert_eq!(
            bodies,
            [
                format!("dev on {segment}"),
                format!("ic on {segment}"),
                format!("admin on {segment}")
            ],
            "{segment}"
        );
        assert!(list.iter().all(|t| t["replies"] == json!([])));
    }

    // A key in lower case names the same record.
    let m = post(&dev, "incidents", "inc-1", json!({"body": "lower case"})).await;
    assert_eq!(m["record"], "INC-1");
    assert_eq!(threads(&dev, "incidents", "INC-1").await.len(), 4);
    // The postmortem's comments are not the incident's, though they share the key.
    let pm = threads(&dev, "postmortems", "INC-1").await;
    assert_eq!(pm.len(), 3);
    assert!(pm.iter().all(|t| {
        t["comment"]["record_type"] == "postmortem"
            && t["comment"]["body"]
                .as_str()
                .unwrap()
                .ends_with("postmortems")
    }));

    // Records that do not exist: 404 to read and to write, and nothing written.
    declare_key(
        &ic,
        json!({"title": "No postmortem yet", "severity": "sev4"}),
    )
    .await;
    let before = written(&db).await;
    for (segment, key) in [
        ("incidents", "INC-99"),
        ("postmortems", "INC-99"),
        ("postmortems", "INC-2"),
        ("actions", "ACT-9"),
        ("known-errors", "KE-9"),
    ] {
        let path = comments_of(segment, key);
        let r = dev.post(&path, json!({"body": "hello?"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
        let r = dev.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    assert_eq!(written(&db).await, before);
});

// ----- edits -----

db_test!(only_the_author_edits_the_text_on_its_version, |db| {
    let [admin, ic, dev, other, ro] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("other@example.org", Role::Member),
            ("ro@example.org", Role::Viewer),
        ],
    )
    .await;
    records(&ic).await;
    let m = say(&dev, "the pool is too small").await;
    let id = m["id"].clone();

    for (who, c) in [
        ("another member", &other),
        ("a responder", &ic),
        ("an admin", &admin),
        ("a viewer", &ro),
    ] {
        let r = patch(
            c,
            &id,
            json!({"body": "rewritten by someone else", "version": 1}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    let t = threads(&dev, "incidents", "INC-1").await;
    assert_eq!(t[0]["comment"]["body"], "the pool is too small");
    assert_eq!(t[0]["comment"]["version"], 1);
    assert_eq!(t[0]["comment"]["edited_at"], Value::Null);

    let r = patch(
        &dev,
        &id,
        json!({"body": "the pool is far too small", "version": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["body"], "the pool is far too small");
    assert_eq!(r.body["version"], 2);
    assert!(r.body["edited_at"].is_string(), "{}", r.body);
    assert_eq!(r.body["created_at"], m["created_at"]);

    // A stale version is a 409 and changes nothing.
    let before = written(&db).await;
    let r = patch(&dev, &id, json!({"body": "an older draft", "version": 1})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(written(&db).await, before);
    let t = threads(&dev, "incidents", "INC-1").await;
    assert_eq!(t[0]["comment"]["body"], "the pool is far too small");
    assert_eq!(t[0]["comment"]["version"], 2);

    // The same text again is no change: no new version, no history.
    let r = patch(
        &dev,
        &id,
        json!({"body": "the pool is far too small", "version": 2}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(written(&db).await, before);

    // The earlier text stays in the comment's history.
    let h = history(&ro, &id).await;
    assert_eq!(h[0]["action"], "update", "{h:?}");
    assert_eq!(h[0]["actor"], "dev@example.org");
    assert_eq!(h[0]["field"], "body");
    assert_eq!(h[0]["old"], "the pool is too small");
    assert_eq!(h[0]["new"], "the pool is far too small");

    let r = patch(&dev, &json!(999_999), json!({"body": "x", "version": 1})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
});

// ----- removal -----

db_test!(the_author_or_an_admin_removes_and_the_thread_stays, |db| {
    let [admin, ic, dev, other, ro] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("other@example.org", Role::Member),
            ("ro@example.org", Role::Viewer),
        ],
    )
    .await;
    records(&ic).await;
    let top = post(
        &dev,
        "postmortems",
        "INC-1",
        json!({"body": "is this the root cause?", "quote": "the pool was too small"}),
    )
    .await;
    let id = top["id"].clone();
    let reply = post(
        &ic,
        "postmortems",
        "INC-1",
        json!({"body": "yes, see the graphs", "parent": id}),
    )
    .await;

    let before = written(&db).await;
    for (who, c) in [
        ("another member", &other),
        ("a responder", &ic),
        ("a viewer", &ro),
    ] {
        let r = c.delete(&comment_path(&id)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    let r = dev.delete(&comment_path(&reply["id"])).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "another's reply: {}",
        r.body
    );
    assert_eq!(written(&db).await, before);

    let r = dev.delete(&comment_path(&id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["deleted"], true);
    assert_eq!(r.body["body"], "");
    assert_eq!(r.body["quote"], Value::Null);
    assert_eq!(r.body["version"], 2);

    // Still in the thread, as removed, and its reply with it.
    let t = threads(&ro, "postmortems", "INC-1").await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0]["comment"]["id"], id);
    assert_eq!(t[0]["comment"]["deleted"], true);
    assert_eq!(t[0]["comment"]["body"], "");
    assert_eq!(t[0]["comment"]["quote"], Value::Null);
    assert_eq!(t[0]["comment"]["author"], "dev@example.org");
    assert_eq!(reply_ids(&t[0]), [reply["id"].as_i64().unwrap()]);
    assert_eq!(t[0]["replies"][0]["body"], "yes, see the graphs");
    assert_eq!(t[0]["replies"][0]["deleted"], false);

    // A removed comment is not edited (nor resolved), and removing it again changes nothing.
    let before = written(&db).await;
    let r = patch(&dev, &id, json!({"body": "back again", "version": 2})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = patch(&ic, &id, json!({"resolved": true, "version": 2})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = dev.delete(&comment_path(&id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(written(&db).await, before);
    let t = threads(&ro, "postmortems", "INC-1").await;
    assert_eq!(t[0]["comment"]["body"], "");

    // An admin removes anyone's.
    let r = admin.delete(&comment_path(&reply["id"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["deleted"], true);
    let t = threads(&ro, "postmortems", "INC-1").await;
    assert_eq!(t[0]["replies"][0]["deleted"], true);
    assert_eq!(t[0]["replies"][0]["body"], "");

    let r = admin.delete("/api/v1/comments/999999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
});

// ----- threads -----

db_test!(replies_are_one_level_deep_on_the_same_record, |db| {
    let [admin, ic, dev] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    let first = say(&dev, "first thread").await;
    let r1 = post(
        &ic,
        "incidents",
        "INC-1",
        json!({"body": "first reply", "parent": first["id"]}),
    )
    .await;
    assert_eq!(r1["parent"], first["id"]);
    let second = say(&admin, "second thread").await;
    let r2 = post(
        &admin,
        "incidents",
        "INC-1",
        json!({"body": "second reply to the first", "parent": first["id"]}),
    )
    .await;
    let r3 = post(
        &dev,
        "incidents",
        "INC-1",
        json!({"body": "reply to the second", "parent": second["id"]}),
    )
    .await;
    let on_pm = post(
        &dev,
        "postmortems",
        "INC-1",
        json!({"body": "on the postmortem"}),
    )
    .await;
    let on_action = post(&dev, "actions", "ACT-1", json!({"body": "on the action"})).await;

    let before = written(&db).await;
    for (why, parent) in [
        ("a reply to a reply", r1["id"].clone()),
        ("a thread on the postmortem", on_pm["id"].clone()),
        ("a thread on an action", on_action["id"].clone()),
        ("no comment", json!(999_999)),
    ] {
        let body = json!({"body": "deeper", "parent": parent});
        let r = dev
            .post(&comments_of("incidents", "INC-1"), body.clone())
            .await;
        assert_refused(&r, &body, "parent");
        assert!(r.body["error"]["message"].is_string(), "{why}: {}", r.body);
    }
    assert_eq!(written(&db).await, before, "refused replies write nothing");

    // Top-level comments oldest first, each with its replies oldest first.
    let t = threads(&dev, "incidents", "INC-1").await;
    assert_eq!(
        ids(&t.iter().map(|t| t["comment"].clone()).collect::<Vec<_>>()),
        [
            first["id"].as_i64().unwrap(),
            second["id"].as_i64().unwrap()
        ]
    );
    assert_eq!(
        reply_ids(&t[0]),
        [r1["id"].as_i64().unwrap(), r2["id"].as_i64().unwrap()]
    );
    assert_eq!(reply_ids(&t[1]), [r3["id"].as_i64().unwrap()]);
    assert_eq!(t[0]["replies"][1]["body"], "second reply to the first");
    // Replies are not threads of their own on any record.
    assert_eq!(threads(&dev, "postmortems", "INC-1").await.len(), 1);
    assert_eq!(threads(&dev, "actions", "ACT-1").await.len(), 1);
});

// ----- mentions -----

db_test!(a_mention_notifies_the_user_who_marks_it_read, |db| {
    let [ic, dev, known, other] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("known@example.org", Role::Viewer),
            ("other@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    assert_eq!(notifications(&known).await["unread"], 0);
    let m = say(
        &dev,
        "@known@example.org can you look at the pool? cc @KNOWN@Example.org.",
    )
    .await;

    let page = notifications(&known).await;
    assert_eq!(page["unread"], 1, "{page}");
    let list = page["items"].as_array().unwrap();
    assert_eq!(
        list.len(),
        1,
        "one notification however often named: {page}"
    );
    let n = &list[0];
    assert_eq!(n["kind"], "mention");
    assert_eq!(n["comment"], m["id"]);
    assert_eq!(n["record_type"], "incident");
    assert_eq!(n["record"], "INC-1");
    assert_eq!(n["link"], format!("/incidents/INC-1#comment-{}", m["id"]));
    assert_eq!(n["actor"], "dev@example.org");
    assert_eq!(
        n["excerpt"],
        "@known@example.org can you look at the pool? cc @KNOWN@Example.org."
    );
    assert_eq!(n["read_at"], Value::Null);
    let nid = n["id"].clone();
    // Nobody else was notified.
    for c in [&ic, &dev, &other] {
        assert_eq!(items(c).await, Vec::<Value>::new());
    }

    // Someone else marking it read changes nothing.
    let r = other
        .post("/api/v1/notifications/read", json!({"ids": [nid]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["marked"], 0);
    assert_eq!(r.body["unread"], 0);
    assert_eq!(notifications(&known).await["unread"], 1);

    let r = known
        .post("/api/v1/notifications/read", json!({"ids": [nid]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["marked"], 1);
    assert_eq!(r.body["unread"], 0);
    let page = notifications(&known).await;
    assert_eq!(page["unread"], 0);
    assert!(page["items"][0]["read_at"].is_string(), "{page}");
    // Again: already read.
    let r = known
        .post("/api/v1/notifications/read", json!({"ids": [nid]}))
        .await;
    assert_eq!(r.body["marked"], 0);

    // A mention on another record links to that record's page, newest first.
    let on_ke = post(
        &dev,
        "known-errors",
        "KE-1",
        json!({"body": "@known@example.org is this the same pool?"}),
    )
    .await;
    let list = items(&known).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["record_type"], "known_error");
    assert_eq!(
        list[0]["link"],
        format!("/known-errors/KE-1#comment-{}", on_ke["id"])
    );
    assert_eq!(list[1]["id"], nid);
    // "Mark all read" (no ids): every unread one of the caller's, nobody else's.
    say(
        &ic,
        "@dev@example.org and @known@example.org: the pool again",
    )
    .await;
    assert_eq!(notifications(&known).await["unread"], 2);
    let r = known
        .post("/api/v1/notifications/read", json!({"ids": []}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["marked"], 2);
    assert_eq!(r.body["unread"], 0);
    assert_eq!(notifications(&dev).await["unread"], 1, "dev's stays unread");
    assert_eq!(
        known.anonymous().get("/api/v1/notifications").await.status,
        StatusCode::UNAUTHORIZED
    );
});

db_test!(unknown_and_inactive_addresses_are_plain_text, |db| {
    let [admin, ic, dev, known, _gone] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("known@example.org", Role::Member),
            ("gone@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    let r = admin
        .patch("/api/v1/users/gone@example.org", json!({"active": false}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let text = "ask @nobody@example.org or @gone@example.org, or mail known@example.org";
    let before = count(&db, "notifications").await;
    let m = say(&dev, text).await;
    assert_eq!(m["body"], text, "the body is kept verbatim");
    assert_eq!(count(&db, "notifications").await, before, "no one notified");
    assert_eq!(items(&known).await, Vec::<Value>::new());
    let t = threads(&dev, "incidents", "INC-1").await;
    assert_eq!(t[0]["comment"]["body"], text);
});

db_test!(mentioning_yourself_notifies_no_one, |db| {
    let [ic, dev] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    let m = say(&dev, "@dev@example.org remember to check the pool").await;
    assert_eq!(items(&dev).await, Vec::<Value>::new());
    assert_eq!(notifications(&dev).await["unread"], 0);
    // Nor does editing one's own mention in.
    let r = patch(
        &dev,
        &m["id"],
        json!({"body": "@dev@example.org and @Dev@example.org", "version": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&db, "notifications").await, 0);
});

db_test!(a_mention_in_code_notifies_no_one, |db| {
    let [ic, dev, known] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("known@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    for text in [
        "run `grep @known@example.org users.csv`",
        "a span with a backtick inside: ``echo ` @known@example.org``",
        "```\nmail @known@example.org\n```",
        "~~~sh\nnotify @known@example.org\n~~~",
        "an indented block:\n\n    @known@example.org\n",
    ] {
        let m = say(&dev, text).await;
        assert_eq!(m["body"], text);
        assert_eq!(items(&known).await, Vec::<Value>::new(), "{text}");
    }
    // Outside code the same address notifies, also after a stray backtick.
    say(&dev, "a stray ` backtick, then @known@example.org").await;
    assert_eq!(items(&known).await.len(), 1);
});

db_test!(an_edit_notifies_whom_it_adds_once, |db| {
    let [ic, dev, ann, bob] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("ann@example.org", Role::Member),
            ("bob@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    let m = say(&dev, "@ann@example.org please look").await;
    let id = m["id"].clone();
    assert_eq!(items(&ann).await.len(), 1);
    assert_eq!(items(&bob).await.len(), 0);

    let r = patch(
        &dev,
        &id,
        json!({"body": "@ann@example.org please look, and @bob@example.org", "version": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(items(&ann).await.len(), 1, "ann was notified already");
    let b = items(&bob).await;
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["comment"], id);
    assert_eq!(b[0]["actor"], "dev@example.org");

    // Saving the same text again, dropping bob and naming him again: still once each.
    let r = patch(
        &dev,
        &id,
        json!({"body": "@ann@example.org please look, and @bob@example.org", "version": 2}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = patch(
        &dev,
        &id,
        json!({"body": "@ann@example.org only", "version": 2}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = patch(
        &dev,
        &id,
        json!({"body": "@ann@example.org and @bob@example.org again", "version": 3}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(items(&ann).await.len(), 1);
    assert_eq!(items(&bob).await.len(), 1);
    // Resolving the thread notifies no one either.
    let r = patch(&ic, &id, json!({"resolved": true, "version": 4})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&db, "notifications").await, 2);
    // A reply that names bob is a comment of its own: it notifies him.
    post(
        &ic,
        "incidents",
        "INC-1",
        json!({"body": "@bob@example.org see above", "parent": id}),
    )
    .await;
    assert_eq!(items(&bob).await.len(), 2);
});

// ----- review requests -----

db_test!(requesting_review_notifies_each_reviewer, |db| {
    let [ic, rev1, rev2, rev3] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("rev1@example.org", Role::Member),
            ("rev2@example.org", Role::Responder),
            ("rev3@example.org", Role::Viewer),
        ],
    )
    .await;
    records(&ic).await;
    let path = "/api/v1/incidents/INC-1/postmortem";
    let r = ic
        .put(
            path,
            json!({"reviewers": ["rev1@example.org", "rev2@example.org", "ic@example.org"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&db, "notifications").await, 0, "a draft asks no one");

    let r = ic
        .post(&format!("{path}/transition"), json!({"to": "in_review"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for c in [&rev1, &rev2] {
        let page = notifications(c).await;
        assert_eq!(page["unread"], 1, "{page}");
        let n = &page["items"][0];
        assert_eq!(n["kind"], "review_request");
        assert_eq!(n["record_type"], "postmortem");
        assert_eq!(n["record"], "INC-1");
        assert_eq!(n["link"], "/incidents/INC-1/postmortem");
        assert_eq!(n["actor"], "ic@example.org");
        assert_eq!(n["comment"], Value::Null);
    }
    assert_eq!(
        items(&ic).await,
        Vec::<Value>::new(),
        "the one asking is not asked"
    );
    assert_eq!(items(&rev3).await.len(), 0);

    // Joining a review in progress asks the new reviewer only.
    let r = ic
        .put(
            path,
            json!({"reviewers": ["rev1@example.org", "rev2@example.org", "rev3@example.org"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(items(&rev3).await.len(), 1);
    assert_eq!(items(&rev1).await.len(), 1);

    // Changes requested, then review requested again: a new request for each.
    for to in ["draft", "in_review"] {
        let r = ic
            .post(&format!("{path}/transition"), json!({"to": to}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{to}: {}", r.body);
    }
    for c in [&rev1, &rev2, &rev3] {
        assert_eq!(notifications(c).await["unread"], 2);
    }
    assert_eq!(count(&db, "notifications").await, 6);
});

// ----- resolving review threads -----

db_test!(review_threads_are_resolved_and_counted_open, |db| {
    let [admin, ic, dev, other] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("other@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    assert_eq!(open_threads(&dev).await, 0);
    let t1 = post(
        &dev,
        "postmortems",
        "INC-1",
        json!({"body": "why was the pool this small?", "quote": "pool size 10"}),
    )
    .await;
    assert_eq!(t1["quote"], "pool size 10");
    let reply = post(
        &ic,
        "postmortems",
        "INC-1",
        json!({"body": "a default nobody changed", "parent": t1["id"]}),
    )
    .await;
    let t2 = post(
        &other,
        "postmortems",
        "INC-1",
        json!({"body": "add the graph"}),
    )
    .await;
    let t3 = post(
        &admin,
        "postmortems",
        "INC-1",
        json!({"body": "name the owner"}),
    )
    .await;
    // Comments elsewhere are no review threads of the postmortem.
    say(&dev, "on the incident").await;
    assert_eq!(open_threads(&dev).await, 3, "replies are not threads");

    // Another member may not resolve someone else's thread.
    let r = patch(&other, &t1["id"], json!({"resolved": true, "version": 1})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(open_threads(&dev).await, 3);

    // The thread's author does.
    let r = patch(&dev, &t1["id"], json!({"resolved": true, "version": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["resolved"], true);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["edited_at"], Value::Null, "resolving is no edit");
    assert_eq!(r.body["body"], "why was the pool this small?");
    assert_eq!(open_threads(&dev).await, 2);

    // A reply is not resolved by itself.
    let body = json!({"resolved": true, "version": 1});
    let r = patch(&ic, &reply["id"], body.clone()).await;
    assert_refused(&r, &body, "resolved");
    let t = threads(&dev, "postmortems", "INC-1").await;
    assert_eq!(t[0]["replies"][0]["resolved"], false);
    assert_eq!(t[0]["replies"][0]["version"], 1);

    // A responder and an admin resolve anyone's; a stale version is a 409.
    let r = patch(&ic, &t2["id"], json!({"resolved": true, "version": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(open_threads(&dev).await, 1);
    let r = patch(&admin, &t1["id"], json!({"resolved": false, "version": 1})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = patch(&admin, &t1["id"], json!({"resolved": false, "version": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["resolved"], false, "reopened");
    assert_eq!(open_threads(&dev).await, 2);
    let r = patch(&admin, &t3["id"], json!({"resolved": true, "version": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(open_threads(&dev).await, 1);

    // A removed thread is no longer open.
    let r = dev.delete(&comment_path(&t1["id"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(open_threads(&dev).await, 0);
    let t = threads(&dev, "postmortems", "INC-1").await;
    let resolved: Vec<bool> = t
        .iter()
        .map(|t| t["comment"]["resolved"].as_bool().unwrap())
        .collect();
    assert_eq!(resolved, [false, true, true]);
});

// ----- bad input -----

db_test!(bodies_and_quotes_within_their_limits, |db| {
    let [ic, dev] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    let path = comments_of("postmortems", "INC-1");
    let before = written(&db).await;
    for (body, field) in [
        (json!({"body": ""}), "body"),
        (json!({"body": " \n\t "}), "body"),
        (json!({"body": "x".repeat(20_001)}), "body"),
        (json!({"body": "é".repeat(20_001)}), "body"),
        (json!({"body": "fine", "quote": "q".repeat(2_001)}), "quote"),
        (json!({"body": "a\u{0}b"}), "body"),
        (json!({"quote": "no body"}), "body"),
    ] {
        let r = dev.post(&path, body.clone()).await;
        assert_refused(&r, &body, field);
    }
    assert_eq!(written(&db).await, before, "nothing written");
    assert_eq!(threads(&dev, "postmortems", "INC-1").await.len(), 0);

    // The limits themselves are allowed (characters, not bytes).
    let m = post(
        &dev,
        "postmortems",
        "INC-1",
        json!({"body": "é".repeat(20_000), "quote": "q".repeat(2_000)}),
    )
    .await;
    assert_eq!(m["body"].as_str().unwrap().chars().count(), 20_000);
    assert_eq!(m["quote"].as_str().unwrap().len(), 2_000);

    // Edits are held to the same limits.
    let before = written(&db).await;
    for body in [
        json!({"body": "", "version": 1}),
        json!({"body": "x".repeat(20_001), "version": 1}),
    ] {
        let r = patch(&dev, &m["id"], body.clone()).await;
        assert_refused(&r, &body, "body");
    }
    assert_eq!(written(&db).await, before);
    let t = threads(&dev, "postmortems", "INC-1").await;
    assert_eq!(t[0]["comment"]["version"], 1);
    assert_eq!(
        t[0]["comment"]["body"].as_str().unwrap().chars().count(),
        20_000
    );
});

// ----- audit -----

/// One row of a history: action, actor, field, old value, new value.
type Change<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

db_test!(every_change_is_in_the_comments_history, |db| {
    let [admin, ic, dev, ro] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
            ("ro@example.org", Role::Viewer),
        ],
    )
    .await;
    records(&ic).await;
    let m = post(
        &dev,
        "postmortems",
        "INC-1",
        json!({"body": "first words", "quote": "the quoted passage"}),
    )
    .await;
    let id = m["id"].clone();
    let h = history(&ro, &id).await;
    assert!(h.iter().all(|e| e["action"] == "create"), "{h:?}");
    let created: Vec<(&str, Option<&str>)> = h
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["new"].as_str()))
        .collect();
    for want in [
        ("record", Some("postmortem INC-1")),
        ("body", Some("first words")),
        ("quote", Some("the quoted passage")),
    ] {
        assert!(created.contains(&want), "{want:?} in {h:?}");
    }
    assert!(h.iter().all(|e| e["actor"] == "dev@example.org"));

    let r = patch(&dev, &id, json!({"body": "second words", "version": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = patch(&ic, &id, json!({"resolved": true, "version": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin.delete(&comment_path(&id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Newest first: each change names only what it changed.
    let h = history(&ro, &id).await;
    let rows: Vec<Change<'_>> = h
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
                e["field"].as_str().unwrap(),
                e["old"].as_str(),
                e["new"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows[..3],
        [
            (
                "delete",
                "admin@example.org",
                "body",
                Some("second words"),
                None
            ),
            (
                "resolve",
                "ic@example.org",
                "resolved",
                Some("false"),
                Some("true")
            ),
            (
                "update",
                "dev@example.org",
                "body",
                Some("first words"),
                Some("second words")
            ),
        ],
        "{h:?}"
    );
    assert!(rows[3..].iter().all(|r| r.0 == "create"), "{h:?}");

    // A reopened thread says so.
    let other = say(&dev, "on the incident").await;
    let r = patch(&ic, &other["id"], json!({"resolved": true, "version": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = patch(&ic, &other["id"], json!({"resolved": false, "version": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let h = history(&ro, &other["id"]).await;
    assert_eq!(h[0]["action"], "reopen", "{h:?}");
    assert_eq!(h[0]["field"], "resolved");
    assert_eq!(h[0]["old"], "true");
    assert_eq!(h[0]["new"], "false");
    assert_eq!(h[1]["action"], "resolve");
    assert_eq!(
        h.len(),
        4,
        "two changes and the creation (record, body): {h:?}"
    );
});

// ----- export and import -----

/// A second empty database of the same kind as `db`.
async fn fresh_like(db: &DatabaseConnection) -> (DatabaseConnection, Option<tests::PgTestDb>) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pg = tests::PgTestDb::create().await.unwrap();
            (pg.db.clone(), Some(pg))
        }
        _ => (tests::sqlite_db().await, None),
    }
}

/// Writes a reply, a resolved thread with a quote, a removed comment (with a reply kept), an
/// edited comment and comments on every record kind; returns the admin's export.
async fn commented(db: &DatabaseConnection) -> Value {
    let [admin, ic, dev] = all_signed_in(
        db,
        [
            ("admin@example.org", Role::Admin),
            ("ic@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
        ],
    )
    .await;
    records(&ic).await;
    let t1 = post(
        &dev,
        "postmortems",
        "INC-1",
        json!({"body": "is this **really** the cause?", "quote": "pool size 10"}),
    )
    .await;
    post(
        &ic,
        "postmortems",
        "INC-1",
        json!({"body": "yes — see the graphs 決済", "parent": t1["id"]}),
    )
    .await;
    let r = patch(&ic, &t1["id"], json!({"resolved": true, "version": 1})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    post(&dev, "postmortems", "INC-1", json!({"body": "still open"})).await;
    let gone = say(&dev, "posted by mistake").await;
    post(
        &admin,
        "incidents",
        "INC-1",
        json!({"body": "kept after the removal", "parent": gone["id"]}),
    )
    .await;
    let r = dev.delete(&comment_path(&gone["id"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let e = post(&dev, "actions", "ACT-1", json!({"body": "first draft"})).await;
    let r = patch(
        &dev,
        &e["id"],
        json!({"body": "@ic@example.org done?", "version": 1}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    post(
        &ic,
        "known-errors",
        "KE-1",
        json!({"body": "workaround works"}),
    )
    .await;
    let r = admin.get("/api/v1/export").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

db_test!(comments_survive_export_and_import, |db| {
    let first = commented(&db).await;
    let c = first["comments"].as_array().unwrap().clone();
    assert_eq!(c.len(), 7, "{c:?}");
    let pick = |i: usize, f: &str| c[i][f].clone();
    assert_eq!(pick(0, "id"), 1);
    assert_eq!(pick(0, "record_type"), "postmortem");
    assert_eq!(pick(0, "record"), "INC-1");
    assert_eq!(pick(0, "author"), "dev@example.org");
    assert_eq!(pick(0, "body"), "is this **really** the cause?");
    assert_eq!(pick(0, "quote"), "pool size 10");
    assert_eq!(pick(0, "resolved"), true);
    assert_eq!(pick(1, "parent"), 1);
    assert_eq!(pick(1, "author"), "ic@example.org");
    assert_eq!(pick(1, "body"), "yes — see the graphs 決済");
    assert!(c[2].get("resolved").is_none_or(|r| r == false));
    assert_eq!(pick(3, "record_type"), "incident");
    assert_eq!(pick(3, "body"), "");
    assert!(pick(3, "deleted_at").is_string(), "{}", c[3]);
    assert_eq!(pick(4, "parent"), 4);
    assert_eq!(pick(4, "body"), "kept after the removal");
    assert_eq!(pick(5, "record_type"), "action");
    assert_eq!(pick(5, "record"), "ACT-1");
    assert_eq!(pick(5, "body"), "@ic@example.org done?");
    assert!(pick(5, "edited_at").is_string(), "{}", c[5]);
    assert_eq!(pick(6, "record_type"), "known_error");
    assert_eq!(pick(6, "record"), "KE-1");

    let (other, _pg) = fresh_like(&db).await;
    let admin2 = signed_in(&other, "admin@example.org", Role::Admin).await;
    let r = admin2.post("/api/v1/import", first.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["comments"], 7, "{}", r.body);
    // The same comments come out again.
    let r = admin2.get("/api/v1/export").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["comments"], first["comments"]);
    // And read the same: threads, replies, removal, resolution, open review threads.
    let admin1 = Client::new(db.clone())
        .login("admin@example.org", tests::http::PASSWORD)
        .await;
    let shape = |threads: Vec<Value>| -> Vec<Value> {
        threads
            .into_iter()
            .map(|t| {
                let strip = |c: &Value| {
                    json!([
                        c["record_type"],
                        c["record"],
                        c["author"],
                        c["body"],
                        c["quote"],
                        c["resolved"],
                        c["deleted"],
                        c["created_at"],
                        c["edited_at"],
                        c["parent"].is_null()
                    ])
                };
                json!([
                    strip(&t["comment"]),
                    t["replies"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(strip)
                        .collect::<Vec<_>>()
                ])
            })
            .collect()
    };
    for (segment, key, _) in RECORDS {
        let a = shape(threads(&admin1, segment, key).await);
        let b = shape(threads(&admin2, segment, key).await);
        assert!(!a.is_empty(), "{segment}");
        assert_eq!(a, b, "{segment}");
    }
    assert_eq!(open_threads(&admin2).await, 1);
    // The imported comments are in their history as imported.
    let t = threads(&admin2, "postmortems", "INC-1").await;
    assert_eq!(
        history(&admin2, &t[0]["comment"]["id"]).await[0]["action"],
        "import"
    );
    // Importing notifies no one.
    assert_eq!(count(&other, "notifications").await, 0);
});

db_test!(an_import_with_bad_comments_is_refused_whole, |db| {
    let first = commented(&db).await;
    let (other, _pg) = fresh_like(&db).await;
    let admin2 = signed_in(&other, "admin@example.org", Role::Admin).await;

    let spoil = |i: usize, field: &str, value: Value| {
        let mut doc = first.clone();
        doc["comments"][i][field] = value;
        doc
    };
    let cases = [
        (
            spoil(1, "author", json!("ghost@example.org")),
            "comments[2]",
            "author",
            "ghost@example.org",
        ),
        (
            spoil(5, "record", json!("ACT-99")),
            "comments[6]",
            "record",
            "ACT-99",
        ),
        (
            spoil(6, "record_type", json!("postmortem")),
            "comments[7]",
            "record",
            "KE-1",
        ),
        (
            spoil(4, "parent", json!(2)),
            "comments[5]",
            "parent",
            "one level",
        ),
        (spoil(2, "body", json!("")), "comments[3]", "body", "empty"),
        (
            spoil(0, "quote", json!("q".repeat(2_001))),
            "comments[1]",
            "quote",
            "2000",
        ),
    ];
    let before = count(&other, "audit_log").await;
    for (doc, record, field, says) in cases {
        let r = admin2.post("/api/v1/import", doc).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        let fields = r.body["error"]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 1, "{}", r.body);
        assert_eq!(fields[0]["record"], record, "{}", r.body);
        assert_eq!(fields[0]["field"], field, "{}", r.body);
        assert!(
            fields[0]["message"].as_str().unwrap().contains(says),
            "{}",
            r.body
        );
    }
    // Every bad comment at once.
    let mut doc = spoil(1, "author", json!("ghost@example.org"));
    doc["comments"][5]["record"] = json!("ACT-99");
    let r = admin2.post("/api/v1/import", doc).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let named: Vec<(&str, &str)> = r.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["record"].as_str().unwrap(), f["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        named,
        [("comments[2]", "author"), ("comments[6]", "record")]
    );

    // Nothing was imported.
    for table in [
        "comments",
        "incidents",
        "actions",
        "known_errors",
        "postmortems",
    ] {
        assert_eq!(count(&other, table).await, 0, "{table}");
    }
    assert_eq!(count(&other, "users").await, 1);
    assert_eq!(count(&other, "audit_log").await, before);
    let r = admin2.get("/api/v1/incidents").await;
    assert_eq!(r.body["items"], json!([]));
    // The unspoilt document still imports, also with its comments listed in another order:
    // they are written by their numbers, so the export is the same again.
    let mut doc = first.clone();
    doc["comments"].as_array_mut().unwrap().reverse();
    let r = admin2.post("/api/v1/import", doc).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["comments"], 7);
    let again = admin2.get("/api/v1/export").await.body;
    assert_eq!(again["comments"], first["comments"]);
});

db_test!(mentions_are_suggested_by_e_mail_prefix_or_name, |db| {
    use app::ssr::auth::Actor;
    use app::ssr::services::comment;
    for (email, name, role) in [
        ("sam@example.org", "Sam Lee", app::domain::Role::Member),
        (
            "sandra@example.org",
            "Sandra Okafor",
            app::domain::Role::Responder,
        ),
        ("bo@example.org", "Bo Samuels", app::domain::Role::Viewer),
        ("x_y@example.org", "Underscore", app::domain::Role::Viewer),
    ] {
        app::ssr::services::users::create(
            &db,
            &Actor::system(),
            app::model::NewUser {
                email: email.into(),
                name: name.into(),
                role,
                password: Some(tests::http::PASSWORD.into()),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    let emails = |v: Vec<app::model::MentionCandidate>| -> Vec<String> {
        v.into_iter().map(|c| c.email).collect()
    };
    let sys = Actor::system();
    // E-mail prefix, or a name containing it, in e-mail order.
    assert_eq!(
        emails(comment::suggest(&db, &sys, "sa").await.unwrap()),
        ["bo@example.org", "sam@example.org", "sandra@example.org"]
    );
    assert_eq!(
        emails(comment::suggest(&db, &sys, " SAND ").await.unwrap()),
        ["sandra@example.org"]
    );
    // LIKE's wildcards match themselves.
    assert_eq!(
        emails(comment::suggest(&db, &sys, "x_").await.unwrap()),
        ["x_y@example.org"]
    );
    assert!(comment::suggest(&db, &sys, "%").await.unwrap().is_empty());
    // Inactive people are not suggested.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    app::ssr::entities::user::Entity::update_many()
        .col_expr(app::ssr::entities::user::Column::Active, Expr::value(false))
        .filter(app::ssr::entities::user::Column::Email.eq("sam@example.org"))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(
        emails(comment::suggest(&db, &sys, "sa").await.unwrap()),
        ["bo@example.org", "sandra@example.org"]
    );
});
