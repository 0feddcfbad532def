//! Benchmark: the incident list, its filters, deep keyset pages, full-text search and the
//! incident view over a generated data set (default 100 000 incidents, 3 timeline events
//! each), and the postmortem list and document (a postmortem for every resolved or closed
//! incident), known-error suggestions and search over 2 000 known errors, and the action list
//! and its filters over 300 000 actions. Prints p50 / p99 per query.
//!
//! `cargo run -p tests --release --bin bench-incidents [-- N] [DATABASE_URL]`
//! Without a URL it uses a fresh SQLite file under the system's temporary folder.

use std::time::Instant;

use tests::bench::pct;

use app::domain::{
    ActionKind, ActionStatus, EventKind, IncidentStatus, PostmortemStatus, Priority,
    RootCauseCategory, Severity, Visibility,
};
use app::model::{ActionFilter, IncidentFilter, PostmortemFilter};
use app::ssr::auth::Actor;
use app::ssr::entities::{action, incident, incident_service, postmortem, timeline_event};
use app::ssr::services::{
    action as actions, incident as incidents, known_error as known_errors,
    postmortem as postmortems,
};
use sea_orm::{ConnectionTrait, EntityTrait, Set, TransactionTrait};

const SERVICES: [&str; 12] = [
    "checkout", "payments", "search", "auth", "api", "web", "mobile", "db", "queue", "cdn",
    "email", "billing",
];
const WORDS: [&str; 12] = [
    "timeout",
    "latency",
    "outage",
    "error",
    "rollback",
    "deploy",
    "certificate",
    "dns",
    "memory",
    "disk",
    "queue",
    "saturation",
];

async fn time<F, Fut, T>(name: &str, runs: usize, mut f: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut ms = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        let _ = f(i).await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{name:<44} p50 {:>8.2} ms   p99 {:>8.2} ms",
        pct(ms.clone(), 0.5),
        pct(ms, 0.99)
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let (url, _file) = tests::bench::database(args.next(), "incidents");
    let db = app::ssr::db::connect_and_migrate(&url)
        .await
        .expect("database");
    let t0 = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .unwrap()
        .timestamp_millis();

    let started = Instant::now();
    let txn = db.begin().await.unwrap();
    let batch = 500;
    let mut id = 0i64;
    while id < n {
        let upto = (id + batch).min(n);
        let mut incs = Vec::new();
        let mut svcs = Vec::new();
        let mut events = Vec::new();
        let mut pms = Vec::new();
        for i in id..upto {
            let seq = i + 1;
            let detected = t0 + i * 600_000;
            let status = IncidentStatus::ALL[(i % 5) as usize];
            let resolved = matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
                .then_some(detected + 3_600_000);
            incs.push(incident::ActiveModel {
                id: Set(seq),
                key: Set(format!("INC-{seq}")),
                seq: Set(seq),
                title: Set(format!(
                    "{} on {} #{seq}",
                    WORDS[(i % 12) as usize],
                    SERVICES[(i % 12) as usize]
                )),
                severity: Set(Severity::ALL[(i % 4) as usize]),
                status: Set(status),
                summary: Set(format!(
                    "{} then {}",
                    WORDS[((i / 12) % 12) as usize],
                    WORDS[((i / 144) % 12) as usize]
                )),
                customer_impact: Set(String::new()),
                detected_at: Set(detected),
                resolved_at: Set(resolved),
                closed_at: Set((status == IncidentStatus::Closed).then_some(detected + 7_200_000)),
                reopen_count: Set(0),
                created_at: Set(detected),
                updated_at: Set(detected),
                version: Set(1),
                ..Default::default()
            });
            if let Some(r) = resolved {
                // Every resolved or closed incident has a postmortem: closed ones published,
                // the others spread over draft and review.
                let pm_status = if status == IncidentStatus::Closed {
                    PostmortemStatus::Published
                } else {
                    PostmortemStatus::ALL[(i % 2) as usize]
                };
                pms.push(postmortem::ActiveModel {
                    incident_id: Set(app::domain::IncidentId(seq)),
                    status: Set(pm_status),
                    body: Set(app::domain::postmortem::default_template()),
                    root_cause_category: Set(Some(RootCauseCategory::ALL[(i % 10) as usize])),
                    root_cause: Set(format!(
                        "{} in {}",
                        WORDS[(i % 12) as usize],
                        SERVICES[(i % 12) as usize]
                    )),
                    five_whys: Set("[]".into()),
                    contributing_factors: Set("[]".into()),
                    due_at: Set(Some(r + 7 * 86_400_000)),
                    published_at: Set(
                        (pm_status == PostmortemStatus::Published).then_some(r + 86_400_000)
                    ),
                    created_at: Set(r),
                    updated_at: Set(r),
                    version: Set(1),
                    ..Default::default()
                });
            }
            svcs.push(incident_service::ActiveModel {
                incident_id: Set(seq),
                service: Set(SERVICES[(i % 12) as usize].to_owned()),
            });
            for k in 0..3 {
                events.push(timeline_event::ActiveModel {
                    incident_id: Set(seq),
                    occurred_at: Set(detected + k * 60_000),
                    kind: Set(EventKind::Update),
                    body: Set(format!(
                        "update {k}: investigating {}",
                        WORDS[((i + k) % 12) as usize]
                    )),
                    visibility: Set(Visibility::Internal),
                    created_at: Set(detected),
                    ..Default::default()
                });
            }
        }
        incident::Entity::insert_many(incs)
            .exec(&txn)
            .await
            .unwrap();
        incident_service::Entity::insert_many(svcs)
            .exec(&txn)
            .await
            .unwrap();
        if !pms.is_empty() {
            postmortem::Entity::insert_many(pms)
                .exec(&txn)
                .await
                .unwrap();
        }
        for chunk in events.chunks(500) {
            timeline_event::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await
                .unwrap();
        }
        id = upto;
    }
    txn.execute_unprepared(&format!(
        "UPDATE key_counters SET last_value = {n} WHERE kind = 'INC'"
    ))
    .await
    .unwrap();
    sea_orm::TransactionSession::commit(txn).await.unwrap();
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await.unwrap();
    }
    println!(
        "generated {n} incidents and {} timeline events in {:.1} s ({})",
        n * 3,
        started.elapsed().as_secs_f64(),
        app::ssr::db::backend_name(&db)
    );

    let actor = Actor::system();
    let runs = 200;
    let f = |filter: IncidentFilter| {
        let db = db.clone();
        let actor = actor.clone();
        async move { incidents::list(&db, &actor, &filter).await.unwrap() }
    };
    time("list: first page (50)", runs, |_| {
        f(IncidentFilter::default())
    })
    .await;
    time("list: status = investigating", runs, |_| {
        f(IncidentFilter {
            status: Some(IncidentStatus::Investigating),
            ..Default::default()
        })
    })
    .await;
    time("list: severity = sev1", runs, |_| {
        f(IncidentFilter {
            severity: Some(Severity::Sev1),
            ..Default::default()
        })
    })
    .await;
    time("list: service = payments", runs, |_| {
        f(IncidentFilter {
            service: Some("payments".into()),
            ..Default::default()
        })
    })
    .await;
    time("list: status + severity + service", runs, |_| {
        f(IncidentFilter {
            status: Some(IncidentStatus::Resolved),
            severity: Some(Severity::Sev2),
            service: Some("api".into()),
            ..Default::default()
        })
    })
    .await;
    time("list: deep page (cursor at the middle)", runs, |i| {
        f(IncidentFilter {
            page: Some(((n / 2) - i as i64).to_string()),
            ..Default::default()
        })
    })
    .await;
    time("search: one word (title/summary/timeline)", runs, |_| {
        f(IncidentFilter {
            q: Some("certificate".into()),
            ..Default::default()
        })
    })
    .await;
    time("search: two words", runs, |_| {
        f(IncidentFilter {
            q: Some("rollback dns".into()),
            ..Default::default()
        })
    })
    .await;
    time("incident view (header data)", runs, |i| {
        let db = db.clone();
        let actor = actor.clone();
        async move {
            incidents::get(&db, &actor, &format!("INC-{}", 1 + (i as i64 * 7919) % n))
                .await
                .unwrap()
        }
    })
    .await;
    time("incident timeline", runs, |i| {
        let db = db.clone();
        let actor = actor.clone();
        async move {
            incidents::timeline(&db, &actor, &format!("INC-{}", 1 + (i as i64 * 7919) % n))
                .await
                .unwrap()
        }
    })
    .await;

    // A known-error database of 2 000 problems over the same vocabulary, through the service
    // (so the suggestion index is built as in use).
    let kes = 2_000;
    let t = Instant::now();
    for i in 0..kes {
        known_errors::create(
            &db,
            &actor,
            app::model::NewKnownError {
                title: format!(
                    "{} {} in {} #{i}",
                    WORDS[i % 12],
                    WORDS[(i / 12) % 12],
                    SERVICES[i % 12]
                ),
                symptoms: format!(
                    "{} and {} seen by {} clients",
                    WORDS[(i / 7) % 12],
                    WORDS[(i / 3) % 12],
                    SERVICES[(i / 12) % 12]
                ),
                root_cause: format!("{} after {}", WORDS[(i / 5) % 12], WORDS[(i / 11) % 12]),
                services: vec![SERVICES[i % 12].to_owned()],
                ..Default::default()
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    println!(
        "generated {kes} known errors in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    time("known errors: suggestions for an incident", runs, |i| {
        let db = db.clone();
        let actor = actor.clone();
        async move {
            known_errors::suggest(
                &db,
                &actor,
                &format!("INC-{}", 1 + (i as i64 * 7919) % n),
                5,
            )
            .await
            .unwrap()
        }
    })
    .await;
    time("known errors: list, search one word", runs, |_| {
        let db = db.clone();
        let actor = actor.clone();
        async move {
            known_errors::list(
                &db,
                &actor,
                &app::model::KnownErrorFilter {
                    q: Some("certificate".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    })
    .await;

    // 300 000 actions (3 per incident) over 12 teams and 40 owners, then the action list.
    let t = Instant::now();
    let owners: Vec<i64> = {
        let mut ids = Vec::new();
        for i in 0..40 {
            let u = app::ssr::services::users::create(
                &db,
                &actor,
                app::model::NewUser {
                    email: format!("owner{i}@example.org"),
                    name: format!("Owner {i}"),
                    // One responder among them, for "my actions" with its verification queue.
                    role: if i == 0 {
                        app::domain::Role::Responder
                    } else {
                        app::domain::Role::Member
                    },
                    password: None,
                },
                chrono::Utc::now(),
            )
            .await
            .unwrap();
            let _ = u;
            ids.push(
                app::ssr::services::users::find(&db, &format!("owner{i}@example.org"))
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
            );
        }
        ids
    };
    let n_actions = n * 3;
    let today = chrono::Utc::now().date_naive();
    let txn = db.begin().await.unwrap();
    let mut seq = 0i64;
    while seq < n_actions {
        let upto = (seq + 1000).min(n_actions);
        let rows: Vec<action::ActiveModel> = (seq..upto)
            .map(|i| {
                let status = ActionStatus::ALL[(i % 5) as usize];
                action::ActiveModel {
                    key: Set(format!("ACT-{}", i + 1)),
                    seq: Set(i + 1),
                    incident_id: Set(Some(app::domain::IncidentId(1 + i / 3))),
                    title: Set(format!("{} fix #{i}", WORDS[(i % 12) as usize])),
                    description: Set(String::new()),
                    kind: Set(ActionKind::ALL[(i % 6) as usize]),
                    priority: Set(Priority::ALL[(i % 4) as usize]),
                    owner_id: Set(Some(app::domain::UserId(owners[(i % 40) as usize]))),
                    team: Set(Some(SERVICES[(i % 12) as usize].to_owned())),
                    due_date: Set(Some(today + chrono::Duration::days(i % 120 - 60))),
                    status: Set(status),
                    verification_required: Set(true),
                    verification_plan: Set(String::new()),
                    // Completed work has its verification deadline, as a transition sets it.
                    verification_due: Set(matches!(
                        status,
                        ActionStatus::Done | ActionStatus::Verified
                    )
                    .then(|| today + chrono::Duration::days(i % 60 - 30))),
                    reopen_count: Set(0),
                    created_at: Set(t0 + i * 200_000),
                    created_on: Set(today),
                    updated_at: Set(t0 + i * 200_000),
                    version: Set(1),
                    ..Default::default()
                }
            })
            .collect();
        action::Entity::insert_many(rows).exec(&txn).await.unwrap();
        seq = upto;
    }
    txn.execute_unprepared(&format!(
        "UPDATE key_counters SET last_value = {n_actions} WHERE kind = 'ACT'"
    ))
    .await
    .unwrap();
    sea_orm::TransactionSession::commit(txn).await.unwrap();
    // Planner statistics, as a database in service has them.
    app::ssr::db::optimize(&db).await.unwrap();
    println!(
        "generated {n_actions} actions in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let af = |filter: ActionFilter| {
        let db = db.clone();
        let actor = actor.clone();
        async move {
            actions::list(&db, &actor, &filter, chrono::Utc::now())
                .await
                .unwrap()
        }
    };
    time("actions: first page", runs, |_| af(ActionFilter::default())).await;
    time("actions: overdue", runs, |_| {
        af(ActionFilter {
            overdue: Some(true),
            ..Default::default()
        })
    })
    .await;
    time("actions: owner + status", runs, |i| {
        af(ActionFilter {
            owner: Some(format!("owner{}@example.org", i % 40)),
            status: Some(ActionStatus::InProgress),
            ..Default::default()
        })
    })
    .await;
    time("actions: team + overdue + priority", runs, |i| {
        af(ActionFilter {
            team: Some(SERVICES[i % 12].to_owned()),
            overdue: Some(true),
            priority: Some(Priority::Critical),
            ..Default::default()
        })
    })
    .await;
    time("actions: kind + priority", runs, |_| {
        af(ActionFilter {
            kind: Some(ActionKind::Process),
            priority: Some(Priority::Low),
            ..Default::default()
        })
    })
    .await;
    let me = {
        let u = app::ssr::services::users::find(&db, "owner0@example.org")
            .await
            .unwrap()
            .unwrap();
        app::ssr::auth::Actor::from_user(&u, app::ssr::auth::Via::Token(0))
    };
    time(
        "actions: my actions (responder, with the verification queue)",
        runs,
        |_| {
            let db = db.clone();
            let me = me.clone();
            async move { actions::inbox(&db, &me, chrono::Utc::now()).await.unwrap() }
        },
    )
    .await;
    time("actions: one action with history", runs, |i| {
        let db = db.clone();
        let actor = actor.clone();
        async move {
            actions::get(
                &db,
                &actor,
                &format!("ACT-{}", 1 + (i as i64 * 7919) % n_actions),
                chrono::Utc::now(),
            )
            .await
            .unwrap()
        }
    })
    .await;

    let now = chrono::Utc::now();
    let pf = |filter: PostmortemFilter| {
        let db = db.clone();
        let actor = actor.clone();
        async move { postmortems::list(&db, &actor, &filter, now).await.unwrap() }
    };
    time("postmortems: first page", runs, |_| {
        pf(PostmortemFilter::default())
    })
    .await;
    time("postmortems: in review", runs, |_| {
        pf(PostmortemFilter {
            status: Some(PostmortemStatus::InReview),
            ..Default::default()
        })
    })
    .await;
    time("postmortems: overdue", runs, |_| {
        pf(PostmortemFilter {
            overdue: Some(true),
            ..Default::default()
        })
    })
    .await;
    time("postmortems: severity = sev1, published", runs, |_| {
        pf(PostmortemFilter {
            severity: Some(Severity::Sev1),
            status: Some(PostmortemStatus::Published),
            ..Default::default()
        })
    })
    .await;
    time("postmortem document (get + context + render)", runs, |i| {
        let db = db.clone();
        let actor = actor.clone();
        // Resolved and closed incidents are those with i % 5 in {3, 4}: seq = 5k + 4 or 5k + 5.
        let key = format!("INC-{}", 5 * ((i as i64 * 7919) % (n / 5)) + 4);
        async move {
            let pm = postmortems::get(&db, &actor, &key).await.unwrap();
            let ctx = postmortems::context(&db, &actor, &key).await.unwrap();
            app::document::html(&pm, &ctx)
        }
    })
    .await;
}
