//! The live-update stream (`GET /api/v1/stream`, Server-Sent Events) and presence
//! (`GET /api/v1/presence`), on SQLite and PostgreSQL, over a real socket: which events reach
//! which stream and how fast, that they never carry a record's content, topics and
//! credentials, resuming with `Last-Event-ID`, the heartbeat, who has a page open, and two
//! server processes on one PostgreSQL database.

use std::time::{Duration, Instant};

use app::domain::Role;
use app::ssr::live;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, all_signed_in, assert_refused, declare, post_ok};
use tests::sse::{self, Server, SseEvent, Stream, WAIT};

/// What the contract promises: a change reaches every open stream within 2 s.
const PROMPT: Duration = Duration::from_secs(2);

/// A short heartbeat, so closed streams are noticed (and presence refreshed) quickly.
const HEARTBEAT: Duration = Duration::from_millis(200);

async fn serve(db: &sea_orm::DatabaseConnection) -> Server {
    Server::start(sse::state(db.clone(), HEARTBEAT)).await
}

/// The `data` of an event, as the contract has it: these four fields and nothing else.
fn data(record: &str, key: &str, version: Option<i64>, by: &str) -> Value {
    json!({"record": record, "key": key, "version": version, "by": by})
}

/// Checks that `e` is `kind` with exactly `want` as its data, and that it arrived within the
/// contract's 2 s of `since`.
fn assert_event(e: &SseEvent, kind: &str, want: &Value, since: Instant) {
    assert_eq!(e.event, kind, "{e:?}");
    assert_eq!(&e.data, want, "{e:?}");
    assert!(e.id() > 0, "{e:?}");
    let took = since.elapsed();
    assert!(took < PROMPT, "{kind} took {took:?}");
}

/// Waits for the stream's own `presence.changed` (its reader joined the page): from then on
/// the stream is subscribed and its presence recorded.
async fn joined(s: &mut Stream, record: &str, key: &str, by: &str) -> SseEvent {
    let e = s.event().await;
    assert_eq!(e.event, "presence.changed", "{e:?}");
    assert_eq!(e.data, data(record, key, None, by), "{e:?}");
    e
}

async fn patch_ok(c: &Client, path: &str, body: Value) -> Value {
    let r = c.patch(path, body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    r.body
}

async fn timeline(c: &Client, key: &str, body: &str) -> Value {
    post_ok(
        c,
        &format!("/api/v1/incidents/{key}/timeline"),
        json!({"kind": "update", "body": body}),
    )
    .await
}

db_test!(an_incident_change_reaches_another_readers_stream, |db| {
    let [ic, sre] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("sre@example.org", Role::Responder),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let ic = srv.client(&ic);
    let inc = declare(&ic, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    assert_eq!(inc["version"], 1);

    let mut s = srv.stream(&sre, "incident:INC-1").await;
    assert_eq!(s.headers["content-type"], "text/event-stream");
    assert!(
        s.headers.get("content-encoding").is_none(),
        "a compressed stream is buffered: {:?}",
        s.headers
    );
    joined(&mut s, "incident", "INC-1", "sre@example.org").await;

    let t = Instant::now();
    let after = patch_ok(
        &ic,
        "/api/v1/incidents/INC-1",
        json!({"title": "Checkout down", "summary": "Card payments fail", "version": 1}),
    )
    .await;
    assert_eq!(after["version"], 2);
    let e = s.event().await;
    assert_event(
        &e,
        "incident.updated",
        &data("incident", "INC-1", Some(2), "ic@example.org"),
        t,
    );
    for content in ["Checkout", "Card payments", "sev2"] {
        assert!(!e.raw.contains(content), "content in the event: {}", e.raw);
    }

    let t = Instant::now();
    timeline(&ic, "INC-1", "Rolled back the deploy").await;
    let e2 = s.event().await;
    assert_event(
        &e2,
        "timeline.added",
        &data("incident", "INC-1", None, "ic@example.org"),
        t,
    );
    assert!(!e2.raw.contains("Rolled back"), "{}", e2.raw);
    assert!(e2.id() > e.id(), "ids grow: {e:?} then {e2:?}");

    // The postmortem of the incident belongs to its topic too.
    let t = Instant::now();
    let r = ic
        .put(
            "/api/v1/incidents/INC-1/postmortem",
            json!({"root_cause": "A flag turned off the cache."}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let e3 = s.event().await;
    assert_event(
        &e3,
        "postmortem.saved",
        &data(
            "postmortem",
            "INC-1",
            r.body["version"].as_i64(),
            "ic@example.org",
        ),
        t,
    );
    assert!(!e3.raw.contains("flag"), "{}", e3.raw);

    // A mitigation entry also changes the incident (its mitigation time and version): the
    // stream hears of both, so a page holding version 2 knows it is stale.
    let t = Instant::now();
    post_ok(
        &ic,
        "/api/v1/incidents/INC-1/timeline",
        json!({"kind": "mitigation", "body": "Traffic moved to eu-2"}),
    )
    .await;
    let now = ic.get("/api/v1/incidents/INC-1").await.body;
    assert_eq!(now["version"], 3, "{now}");
    let mut got = [s.event().await, s.event().await];
    got.sort_by(|a, b| a.event.cmp(&b.event));
    assert_event(
        &got[0],
        "incident.updated",
        &data("incident", "INC-1", Some(3), "ic@example.org"),
        t,
    );
    assert_event(
        &got[1],
        "timeline.added",
        &data("incident", "INC-1", None, "ic@example.org"),
        t,
    );
});

db_test!(each_topic_gets_only_its_events, |db| {
    let [ic, owner, other] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("owner@example.org", Role::Member),
            ("other@example.org", Role::Member),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let ic = srv.client(&ic);
    declare(&ic, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    declare(&ic, json!({"title": "Search down", "severity": "sev3"})).await;

    let mut two = srv.stream(&other, "incident:INC-2").await;
    joined(&mut two, "incident", "INC-2", "other@example.org").await;
    let mut all = srv.stream(&other, "incidents").await;
    let mut mine = srv.stream(&owner, "actions:mine").await;
    let mut not_mine = srv.stream(&other, "actions:mine").await;
    let mut actions = srv.stream(&other, "actions").await;

    patch_ok(&ic, "/api/v1/incidents/INC-1", json!({"summary": "one"})).await;
    patch_ok(&ic, "/api/v1/incidents/INC-2", json!({"summary": "two"})).await;
    // INC-2's stream skips INC-1's change: the first thing it gets is INC-2's.
    let e = two.change().await;
    assert_eq!(e.event, "incident.updated");
    assert_eq!(e.data, data("incident", "INC-2", Some(2), "ic@example.org"));
    // `incidents` gets both, in order.
    let keys = [all.event().await, all.event().await].map(|e| (e.event, e.data["key"].clone()));
    assert_eq!(
        keys,
        [
            ("incident.updated".to_owned(), json!("INC-1")),
            ("incident.updated".to_owned(), json!("INC-2"))
        ]
    );

    // Actions: `actions:mine` gets the owner's only; `actions` gets all; `incidents` none.
    let a1 = post_ok(
        &ic,
        "/api/v1/actions",
        json!({"title": "Add a canary stage", "owner": "owner@example.org", "incident": "INC-1"}),
    )
    .await;
    assert_eq!(a1["key"], "ACT-1");
    post_ok(
        &ic,
        "/api/v1/actions",
        json!({"title": "Alert on queue depth", "owner": "other@example.org"}),
    )
    .await;
    let e = mine.event().await;
    assert_eq!(e.event, "action.updated");
    assert_eq!(e.data, data("action", "ACT-1", Some(1), "ic@example.org"));
    let e = not_mine.event().await;
    assert_eq!(e.data, data("action", "ACT-2", Some(1), "ic@example.org"));
    let e = actions.event().await;
    assert_eq!(e.data["key"], "ACT-1");
    let e = actions.event().await;
    assert_eq!(e.data["key"], "ACT-2");
    // Handing ACT-1 to `other`: both hear of it (the owner lost it, the other got it).
    patch_ok(
        &ic,
        "/api/v1/actions/ACT-1",
        json!({"owner": "other@example.org"}),
    )
    .await;
    let e = mine.event().await;
    assert_eq!(e.data, data("action", "ACT-1", Some(2), "ic@example.org"));
    let e = not_mine.event().await;
    assert_eq!(e.data, data("action", "ACT-1", Some(2), "ic@example.org"));
    // A later change of ACT-1 no longer reaches its former owner: their next event is ACT-3.
    patch_ok(&ic, "/api/v1/actions/ACT-1", json!({"title": "Canary"})).await;
    post_ok(
        &ic,
        "/api/v1/actions",
        json!({"title": "Runbook", "owner": "owner@example.org"}),
    )
    .await;
    let e = mine.event().await;
    assert_eq!(e.data, data("action", "ACT-3", Some(1), "ic@example.org"));
    let e = not_mine.event().await;
    assert_eq!(e.data, data("action", "ACT-1", Some(3), "ic@example.org"));
    // `incidents` and INC-2's stream got none of the actions: their next is INC-2's timeline.
    timeline(&ic, "INC-2", "restarted the indexer").await;
    let e = all.event().await;
    assert_eq!(e.event, "timeline.added", "{e:?}");
    assert_eq!(e.data["key"], "INC-2");
    let e = two.change().await;
    assert_eq!(e.event, "timeline.added", "{e:?}");
});

db_test!(bad_topics_are_refused_and_so_is_a_stranger, |db| {
    let [ic] = all_signed_in(&db, [("ic@example.org", Role::Responder)]).await;
    let srv = serve(&db).await;
    let base = srv.base();
    for topics in [
        "",
        ",",
        "incident",
        "incident:",
        "incident:INC 1",
        "postmortems",
        "actions:yours",
        "incidents,foo",
    ] {
        let (status, body) = sse::open(&base, &ic, topics, None).await.expect_refused();
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{topics:?}: {body}"
        );
        assert_eq!(
            body["error"]["fields"][0]["field"], "topics",
            "{topics:?}: {body}"
        );
    }
    let too_many: Vec<String> = (1..=21).map(|i| format!("incident:INC-{i}")).collect();
    let (status, body) = sse::open(&base, &ic, &too_many.join(","), None)
        .await
        .expect_refused();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "topics", "{body}");
    // Without `topics` at all.
    let r = ic.get("/api/v1/stream").await;
    assert_refused(&r, &json!("no topics"), "topics");

    // No session or token, a bad session, a bad token: 401, and not a stream.
    for who in [
        ic.anonymous(),
        ic.with_cookie("not-a-session"),
        ic.with_token("hs_not_a_token"),
    ] {
        let (status, body) = sse::open(&base, &who, "incidents", None)
            .await
            .expect_refused();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    }
    let r = ic
        .anonymous()
        .get("/api/v1/presence?topic=incident:INC-1")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = ic.get("/api/v1/presence?topic=nothing").await;
    assert_refused(&r, &json!("nothing"), "topic");
});

db_test!(a_stream_resumes_after_its_last_event_id, |db| {
    let [ic, sre] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("sre@example.org", Role::Responder),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let ic = srv.client(&ic);
    declare(&ic, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    declare(&ic, json!({"title": "Search down", "severity": "sev3"})).await;

    let mut s = srv.stream(&sre, "incidents").await;
    patch_ok(&ic, "/api/v1/incidents/INC-1", json!({"summary": "a"})).await;
    let seen = s.event().await;
    assert_eq!(seen.data["version"], 2);
    drop(s);

    // Missed while away: two changes of the topic, one of another topic.
    patch_ok(&ic, "/api/v1/incidents/INC-1", json!({"summary": "b"})).await;
    post_ok(
        &ic,
        "/api/v1/actions",
        json!({"title": "not for this topic"}),
    )
    .await;
    timeline(&ic, "INC-2", "indexer restarted").await;

    let mut s = sse::open(&srv.base(), &sre, "incidents", Some(seen.id()))
        .await
        .expect_ok();
    let first = s.event().await;
    let second = s.event().await;
    assert_eq!(
        (first.event.as_str(), &first.data),
        (
            "incident.updated",
            &data("incident", "INC-1", Some(3), "ic@example.org")
        )
    );
    assert_eq!(
        (second.event.as_str(), &second.data),
        (
            "timeline.added",
            &data("incident", "INC-2", None, "ic@example.org")
        )
    );
    assert!(seen.id() < first.id() && first.id() < second.id());
    // Nothing twice: the next event is the next change, not a repeat of the backlog.
    patch_ok(&ic, "/api/v1/incidents/INC-2", json!({"summary": "c"})).await;
    let next = s.event().await;
    assert_eq!(
        next.data,
        data("incident", "INC-2", Some(2), "ic@example.org")
    );
    assert!(next.id() > second.id());

    // A resume from an id newer than everything sends no backlog.
    let mut s = sse::open(&srv.base(), &sre, "incidents", Some(next.id() + 1000))
        .await
        .expect_ok();
    patch_ok(&ic, "/api/v1/incidents/INC-1", json!({"summary": "d"})).await;
    assert_eq!(s.event().await.data["version"], 4);
});

db_test!(a_new_stream_gets_only_what_happens_after_it_opens, |db| {
    let [ic, sre] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("sre@example.org", Role::Responder),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let ic = srv.client(&ic);
    declare(&ic, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    declare(&ic, json!({"title": "Search down", "severity": "sev3"})).await;
    // A first stream starts the hub, sees one change and closes; the server notices at its
    // next heartbeat.
    let mut s = srv.stream(&sre, "incidents").await;
    patch_ok(&ic, "/api/v1/incidents/INC-1", json!({"summary": "a"})).await;
    assert_eq!(s.event().await.data["version"], 2);
    drop(s);
    tokio::time::sleep(HEARTBEAT * 4).await;
    // A change while no stream is open, then a new stream without `Last-Event-ID`.
    patch_ok(&ic, "/api/v1/incidents/INC-1", json!({"summary": "b"})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut s = srv.stream(&sre, "incidents").await;
    patch_ok(&ic, "/api/v1/incidents/INC-2", json!({"summary": "c"})).await;
    let e = s.event().await;
    assert_eq!(
        e.data,
        data("incident", "INC-2", Some(2), "ic@example.org"),
        "a change from before the stream opened was sent as new"
    );
});

db_test!(idle_streams_get_a_comment_line_every_heartbeat, |db| {
    let [sre] = all_signed_in(&db, [("sre@example.org", Role::Responder)]).await;
    let srv = serve(&db).await;
    let mut s = srv.stream(&sre, "incidents").await;
    // First the greeting (with the reconnect delay), then bare comment lines while idle.
    let hello = s.comment_within(WAIT).await.expect("a first comment line");
    assert_eq!(hello, "hello");
    let t = Instant::now();
    for _ in 0..3 {
        let c = s
            .comment_within(WAIT)
            .await
            .expect("a heartbeat within 5 s");
        assert_eq!(c, "");
    }
    let took = t.elapsed();
    assert!(
        took >= HEARTBEAT * 2 && took < HEARTBEAT * 3 + Duration::from_secs(1),
        "three heartbeats of {HEARTBEAT:?} took {took:?}"
    );

    // The default is a comment line every 20 s.
    assert_eq!(
        tests::http::state(db.clone()).config.stream_heartbeat,
        Duration::from_secs(20)
    );
});

db_test!(a_viewer_reads_the_stream_with_a_session_or_a_token, |db| {
    let [ic, viewer] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("ro@example.org", Role::Viewer),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let ic = srv.client(&ic);
    declare(&ic, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    let token = post_ok(&viewer, "/api/v1/me/tokens", json!({"name": "wallboard"})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut by_session = srv.stream(&viewer, "incident:INC-1,incidents").await;
    let mut by_token = srv.stream(&viewer.with_token(&token), "incidents").await;
    // A viewer with the incident page open counts as present.
    joined(&mut by_session, "incident", "INC-1", "ro@example.org").await;
    let t = Instant::now();
    patch_ok(
        &ic,
        "/api/v1/incidents/INC-1",
        json!({"customer_impact": "EU card payments failed"}),
    )
    .await;
    // An internal timeline entry: the event says that one came, not what it says.
    post_ok(
        &ic,
        "/api/v1/incidents/INC-1/timeline",
        json!({"kind": "update", "body": "secret vendor ticket", "visibility": "internal"}),
    )
    .await;
    for s in [&mut by_session, &mut by_token] {
        // Once each, though the session's stream has two topics that take them.
        let e = s.change().await;
        assert_event(
            &e,
            "incident.updated",
            &data("incident", "INC-1", Some(2), "ic@example.org"),
            t,
        );
        assert!(!e.raw.contains("EU card"), "{}", e.raw);
        let e = s.change().await;
        assert_event(
            &e,
            "timeline.added",
            &data("incident", "INC-1", None, "ic@example.org"),
            t,
        );
        assert!(!e.raw.contains("secret"), "{}", e.raw);
    }
    let r = viewer.get("/api/v1/presence?topic=incident:INC-1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!([{"email": "ro@example.org", "name": "ro"}]));
});

db_test!(presence_lists_who_has_the_postmortem_open, |db| {
    let [ann, bob] = all_signed_in(
        &db,
        [
            ("ann@example.org", Role::Responder),
            ("bob@example.org", Role::Responder),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let bob = srv.client(&bob);
    declare(&bob, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    let names = |r: &tests::http::Reply| -> Vec<(String, String)> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_owned(),
                    p["email"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let who = |names: &[&str]| -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| (n.to_string(), format!("{n}@example.org")))
            .collect()
    };
    const PM: &str = "/api/v1/presence?topic=postmortem:INC-1";
    assert_eq!(names(&bob.get(PM).await), who(&[]));

    // Bob has the postmortem open; then Ann opens it: Bob's stream hears of it.
    let mut b = srv.stream(&bob, "postmortem:INC-1").await;
    joined(&mut b, "postmortem", "INC-1", "bob@example.org").await;
    assert_eq!(names(&bob.get(PM).await), who(&["bob"]));
    let t = Instant::now();
    let a = srv.stream(&ann, "postmortem:INC-1").await;
    let e = b.event().await;
    assert_event(
        &e,
        "presence.changed",
        &data("postmortem", "INC-1", None, "ann@example.org"),
        t,
    );
    assert_eq!(names(&bob.get(PM).await), who(&["ann", "bob"]));
    // A stream of the incident list keeps no presence.
    let _list = srv.stream(&ann, "incidents").await;

    // While open, a stream keeps its presence fresh (every heartbeat here, at most 20 s).
    let rows = || async {
        app::ssr::entities::presence::Entity::find()
            .order_by_asc(app::ssr::entities::presence::Column::Id)
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.topic, p.seen_at))
            .collect::<Vec<_>>()
    };
    let before = rows().await;
    tokio::time::sleep(HEARTBEAT * 3).await;
    let after = rows().await;
    assert_eq!(after.len(), 2, "one row per stream on the page: {after:?}");
    for ((topic, was), (_, now)) in before.iter().zip(&after) {
        assert_eq!(topic, "postmortem:INC-1");
        assert!(
            now > was,
            "presence was not refreshed: {before:?} {after:?}"
        );
    }
    // The incident page is another page.
    assert_eq!(
        names(&bob.get("/api/v1/presence?topic=incident:INC-1").await),
        who(&[])
    );

    // Ann closes the page: she is gone, and Bob's stream hears of it.
    let t = Instant::now();
    drop(a);
    let e = b.event().await;
    assert_event(
        &e,
        "presence.changed",
        &data("postmortem", "INC-1", None, "ann@example.org"),
        t,
    );
    assert_eq!(names(&bob.get(PM).await), who(&["bob"]));

    // A process that crashed left a row it no longer refreshes: after a minute it no longer
    // counts, and the prune removes it and says so.
    let ann_user = app::ssr::entities::user::Entity::find()
        .filter(app::ssr::entities::user::Column::Email.eq("ann@example.org"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let ann_actor = app::ssr::auth::Actor::from_user(&ann_user, app::ssr::auth::Via::System);
    let topic = app::domain::live::Topic::Postmortem("INC-1".into());
    let long_ago = chrono::Utc::now() - chrono::Duration::milliseconds(live::PRESENCE_TTL_MS + 1);
    live::join(
        &db,
        &ann_actor,
        "crashed-0",
        std::slice::from_ref(&topic),
        long_ago,
    )
    .await
    .unwrap();
    let e = b.event().await;
    assert_eq!(e.data["by"], "ann@example.org", "{e:?}");
    assert_eq!(names(&bob.get(PM).await), who(&["bob"]));
    let pruned = live::prune(&db, chrono::Utc::now()).await.unwrap();
    assert_eq!(pruned.presence, 1, "{pruned:?}");
    let e = b.event().await;
    assert_eq!(
        e.data,
        data("postmortem", "INC-1", None, "ann@example.org"),
        "{e:?}"
    );
    // Bob's own row is fresh: a prune leaves it.
    assert_eq!(
        live::prune(&db, chrono::Utc::now()).await.unwrap().presence,
        0
    );
    assert_eq!(names(&bob.get(PM).await), who(&["bob"]));
});

db_test!(a_comment_reaches_the_mentioned_users_notifications, |db| {
    let [ic, sre, dev] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("sre@example.org", Role::Responder),
            ("dev@example.org", Role::Member),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let ic = srv.client(&ic);
    declare(&ic, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    let mut mentioned = srv.stream(&sre, "notifications").await;
    let mut not_mentioned = srv.stream(&dev, "notifications").await;
    let mut page = srv.stream(&dev, "incident:INC-1").await;
    joined(&mut page, "incident", "INC-1", "dev@example.org").await;
    let t = Instant::now();
    post_ok(
        &ic,
        "/api/v1/incidents/INC-1/comments",
        json!({"body": "@sre@example.org can you look at the pool?"}),
    )
    .await;
    let e = page
        .event_within(PROMPT)
        .await
        .expect("a comment.added event on the incident's stream");
    let want = data("incident", "INC-1", None, "ic@example.org");
    assert_event(&e, "comment.added", &want, t);
    assert!(!e.raw.contains("pool"), "{}", e.raw);
    assert_event(&mentioned.event().await, "comment.added", &want, t);
    // The next comment mentions dev: dev's notifications get it as their first.
    post_ok(
        &ic,
        "/api/v1/incidents/INC-1/comments",
        json!({"body": "@dev@example.org too"}),
    )
    .await;
    assert_eq!(not_mentioned.event().await.data, want);
});

// ---------------------------------------------------------------------------------------
// Two processes on one PostgreSQL database.

/// Set in the environment of the second process this test binary starts of itself.
const SECOND: &str = "HINDSIGHT_LIVE_TEST_SECOND_PROCESS";

/// The second process: `hindsight serve` as the binary runs it, with its settings from the
/// environment the first process gave it. Only runs when started by
/// `two_processes_on_one_postgres_share_live_updates`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the second server process of two_processes_on_one_postgres_share_live_updates"]
async fn second_process() {
    if std::env::var_os(SECOND).is_none() {
        return;
    }
    use clap::Parser;
    let cli = hindsight::cli::Cli::try_parse_from(["hindsight", "serve"]).unwrap();
    hindsight::init_tracing(&cli.settings);
    hindsight::serve(std::sync::Arc::new(cli.settings))
        .await
        .unwrap();
}

/// A child process, killed when this goes away.
struct Child(std::process::Child);

impl Child {
    /// Asks the process to stop, as a service manager does (SIGTERM).
    fn terminate(&self) {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Its exit status, once it exits within `within` (else the test fails).
    async fn exit_within(&mut self, within: Duration) -> std::process::ExitStatus {
        let t = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(
                t.elapsed() < within,
                "the process did not exit within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts [`second_process`] on `database_url`, serving on a free port; returns it and its
/// base URL once it answers `/healthz`.
async fn start_second_process(database_url: &str) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["second_process", "--exact", "--ignored", "--nocapture"])
        .env(SECOND, "1")
        .env("DATABASE_URL", database_url)
        .env("HINDSIGHT_ADDR", &addr)
        .env("HINDSIGHT_PUBLIC_URL", tests::http::ORIGIN)
        .env(
            "HINDSIGHT_STREAM_HEARTBEAT_MS",
            HEARTBEAT.as_millis().to_string(),
        )
        .env("HINDSIGHT_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Child(child);
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let t = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return (child, base);
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("the second process ended: {status}");
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the second process did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_share_live_updates() {
    let Some(pg) = tests::PgTestDb::create().await else {
        eprintln!(
            "skipped: TEST_DATABASE_URL is not set, so the two-process PostgreSQL test did not run"
        );
        return;
    };
    let db = pg.db.clone();
    let [ic, sre] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("sre@example.org", Role::Responder),
        ],
    )
    .await;
    let one = serve(&db).await;
    let ic = one.client(&ic);
    declare(&ic, json!({"title": "Checkout slow", "severity": "sev2"})).await;
    let (mut second, two) = start_second_process(&pg.url()).await;

    // A stream on process two; changes written through process one.
    let mut on_two = sse::open(&two, &sre, "incident:INC-1", None)
        .await
        .expect_ok();
    joined(&mut on_two, "incident", "INC-1", "sre@example.org").await;
    // A stream on process one; changes written through process two (over HTTP).
    let mut on_one = one.stream(&ic, "incidents").await;
    let http = reqwest::Client::new();
    let mut slowest = Duration::ZERO;
    for round in 1..=4 {
        let t = Instant::now();
        let after = patch_ok(
            &ic,
            "/api/v1/incidents/INC-1",
            json!({"summary": format!("round {round}")}),
        )
        .await;
        let e = on_two.change().await;
        slowest = slowest.max(t.elapsed());
        assert_event(
            &e,
            "incident.updated",
            &data(
                "incident",
                "INC-1",
                after["version"].as_i64(),
                "ic@example.org",
            ),
            t,
        );
        // Process one's own stream hears of its own change too.
        assert_eq!(on_one.event().await.data, e.data);

        let t = Instant::now();
        let r = http
            .post(format!("{two}/api/v1/incidents/INC-1/timeline"))
            .header(
                "cookie",
                format!("hindsight_session={}", sre.cookie.as_deref().unwrap()),
            )
            .header("origin", tests::http::ORIGIN)
            .json(&json!({"kind": "update", "body": format!("note {round}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let e = on_one.event().await;
        slowest = slowest.max(t.elapsed());
        assert_event(
            &e,
            "timeline.added",
            &data("incident", "INC-1", None, "sre@example.org"),
            t,
        );
        assert_eq!(on_two.change().await.data, e.data);
    }
    // NOTIFY, not the hub's 2 s safety poll, carried these.
    assert!(
        slowest < Duration::from_secs(1),
        "the slowest change took {slowest:?} between the processes"
    );
    eprintln!("slowest change between the two processes: {slowest:?}");

    // Presence kept by process two is seen through process one.
    let r = ic.get("/api/v1/presence?topic=incident:INC-1").await;
    assert_eq!(r.body, json!([{"email": "sre@example.org", "name": "sre"}]));
    // The stream on process two closes: process two removes its presence.
    drop(on_two);
    let t = Instant::now();
    loop {
        let r = ic.get("/api/v1/presence?topic=incident:INC-1").await;
        if r.body == json!([]) {
            break;
        }
        assert!(
            t.elapsed() < WAIT,
            "still present after the stream closed: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Process two is told to stop (SIGTERM) while a page has a stream open on it: the stream
    // ends (the browser reconnects, to process one), its presence goes, and the process
    // exits cleanly rather than waiting for the page to be closed.
    let mut open = sse::open(&two, &sre, "postmortem:INC-1", None)
        .await
        .expect_ok();
    joined(&mut open, "postmortem", "INC-1", "sre@example.org").await;
    let t = Instant::now();
    second.terminate();
    assert!(
        open.ended_within(WAIT).await,
        "the stream outlived its server's shutdown"
    );
    let status = second.exit_within(WAIT).await;
    assert!(status.success(), "{status}");
    eprintln!(
        "the second process stopped in {:?} with a stream open",
        t.elapsed()
    );
    let r = ic.get("/api/v1/presence?topic=postmortem:INC-1").await;
    assert_eq!(r.body, json!([]));
    drop(pg);
}

db_test!(a_new_alert_on_an_open_incident_reaches_its_stream, |db| {
    let [admin, dev] = all_signed_in(
        &db,
        [
            ("admin@example.org", Role::Admin),
            ("dev@example.org", Role::Member),
        ],
    )
    .await;
    let srv = serve(&db).await;
    let a = srv.client(&admin);
    let h = post_ok(
        &a,
        "/api/v1/hooks",
        json!({"name": "am", "source": "alertmanager", "default_severity": "sev3"}),
    )
    .await;
    let path = format!("/api/v1/hooks/{}/receive", h["id"]);
    let auth = [(
        "authorization",
        format!("Bearer {}", h["secret"].as_str().unwrap()),
    )];
    let delivery = |fp: &str| {
        json!({"receiver": "r", "status": "firing", "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}",
               "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {"alertname": "DiskFull"},
               "commonAnnotations": {}, "externalURL": "http://am", "truncatedAlerts": 0,
               "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "fp": fp},
                           "annotations": {}, "startsAt": "2026-12-03T08:00:00Z",
                           "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "", "fingerprint": fp}]})
        .to_string()
        .into_bytes()
    };
    // The first alert opens INC-1; a reader opens its page.
    let r = tests::http::raw_post(&a.anonymous(), &path, &auth, &delivery("a1")).await;
    assert_eq!(r.body["incident"], "INC-1", "{}", r.body);
    let mut page = srv.stream(&dev, "incident:INC-1").await;
    joined(&mut page, "incident", "INC-1", "dev@example.org").await;
    // A second alert of the group joins it, and the page hears of it at once.
    let t = Instant::now();
    let r = tests::http::raw_post(&a.anonymous(), &path, &auth, &delivery("a2")).await;
    assert_eq!(r.body["alerts_new"], 1, "{}", r.body);
    let e = page.event_within(PROMPT).await.expect("alert.received");
    assert_eq!(e.event, "alert.received", "{e:?}");
    assert_eq!(e.data["record"], "incident", "{e:?}");
    assert_eq!(e.data["key"], "INC-1", "{e:?}");
    assert!(t.elapsed() < PROMPT);
    // A repeated delivery is no news.
    tests::http::raw_post(&a.anonymous(), &path, &auth, &delivery("a2")).await;
    if let Some(e) = page.event_within(Duration::from_millis(700)).await {
        assert_ne!(e.event, "alert.received", "a repeat is not an alert: {e:?}");
    }
});
