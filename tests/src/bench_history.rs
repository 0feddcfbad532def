//! A generated history for the benchmarks: two years of incidents (10 timeline events each),
//! 3 actions each, postmortems for sev1 and sev2, known-error links; deterministic, so every
//! run measures the same data.

use std::time::Instant;

use app::domain::{
    ActionKind, ActionStatus, EventKind, IncidentStatus, KnownErrorStatus, PostmortemStatus,
    Priority, RootCauseCategory, Severity, Visibility,
};
use app::ssr::entities::{
    action, incident, incident_service, known_error, known_error_incident, postmortem,
    timeline_event,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};

const SERVICES: [&str; 12] = [
    "checkout", "payments", "search", "auth", "api", "web", "mobile", "db", "queue", "cdn",
    "email", "billing",
];
const TEAMS: [&str; 8] = [
    "payments", "platform", "search", "identity", "web", "mobile", "data", "sre",
];

/// A small deterministic generator (the data set is the same on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Generates the history (see the module comment) into an empty database.
pub async fn generate(db: &DatabaseConnection, n: i64, now: DateTime<Utc>) {
    let backend = app::ssr::db::backend_name(db);
    let now_ms = now.timestamp_millis();
    let span_ms: i64 = 730 * 86_400_000;
    let mut rng = Lcg(42);
    let started = Instant::now();

    // Known errors first: incidents link to them.
    let n_kes = 2_000i64;
    let txn = db.begin().await.unwrap();
    let kes: Vec<known_error::ActiveModel> = (1..=n_kes)
        .map(|k| known_error::ActiveModel {
            id: Set(k),
            key: Set(format!("KE-{k}")),
            seq: Set(k),
            title: Set(format!("problem {k}")),
            symptoms: Set(String::new()),
            root_cause: Set(String::new()),
            workaround: Set(String::new()),
            status: Set(KnownErrorStatus::Open),
            term_count: Set(0),
            created_at: Set(now_ms - span_ms),
            updated_at: Set(now_ms - span_ms),
            version: Set(1),
            ..Default::default()
        })
        .collect();
    for chunk in kes.chunks(1000) {
        known_error::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await
            .unwrap();
    }
    txn.execute_unprepared(&format!(
        "UPDATE key_counters SET last_value = {n_kes} WHERE kind = 'KE'"
    ))
    .await
    .unwrap();
    sea_orm::TransactionSession::commit(txn).await.unwrap();

    let txn = db.begin().await.unwrap();
    let batch = 500;
    let mut first = 0i64;
    let mut n_events = 0u64;
    let mut n_actions = 0i64;
    while first < n {
        let upto = (first + batch).min(n);
        let (mut incs, mut svcs, mut events, mut pms, mut links, mut acts) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for i in first..upto {
            let seq = i + 1;
            // Spread evenly over the last two years, oldest first.
            let detected = now_ms - span_ms + i * (span_ms / n) + rng.below(60_000) as i64;
            let severity = match rng.below(100) {
                0..=2 => Severity::Sev1,
                3..=14 => Severity::Sev2,
                15..=54 => Severity::Sev3,
                _ => Severity::Sev4,
            };
            let age_days = (now_ms - detected) / 86_400_000;
            let open = age_days < 3 && rng.below(2) == 0;
            let resolve_min = 5 + rng.below(match severity {
                Severity::Sev1 => 240,
                Severity::Sev2 => 600,
                _ => 3000,
            }) as i64;
            let resolved = (!open).then_some(detected + resolve_min * 60_000);
            let status = if open {
                IncidentStatus::Investigating
            } else if age_days > 14 {
                IncidentStatus::Closed
            } else {
                IncidentStatus::Resolved
            };
            let rca_days = match severity {
                Severity::Sev1 => Some(5),
                Severity::Sev2 => Some(10),
                Severity::Sev3 => Some(20),
                Severity::Sev4 => None,
            };
            let rca_due = rca_days
                .zip(resolved)
                .map(|(d, r)| r + d * 86_400_000 * 7 / 5);
            incs.push(incident::ActiveModel {
                id: Set(seq),
                key: Set(format!("INC-{seq}")),
                seq: Set(seq),
                title: Set(format!("incident {seq}")),
                severity: Set(severity),
                status: Set(status),
                summary: Set(String::new()),
                customer_impact: Set(String::new()),
                started_at: Set(
                    (rng.below(3) == 0).then(|| detected - rng.below(3_600_000) as i64)
                ),
                detected_at: Set(detected),
                acknowledged_at: Set(Some(detected + rng.below(600_000) as i64)),
                mitigated_at: Set(resolved.map(|r| detected + (r - detected) / 2)),
                resolved_at: Set(resolved),
                closed_at: Set(
                    (status == IncidentStatus::Closed).then(|| detected + 86_400_000)
                ),
                reopen_count: Set(0),
                rca_due_at: Set(rca_due),
                created_at: Set(detected),
                updated_at: Set(detected),
                version: Set(1),
                ..Default::default()
            });
            let s1 = SERVICES[rng.below(12) as usize];
            svcs.push(incident_service::ActiveModel {
                incident_id: Set(seq),
                service: Set(s1.to_owned()),
            });
            if rng.below(3) == 0 {
                let s2 = SERVICES[rng.below(12) as usize];
                if s2 != s1 {
                    svcs.push(incident_service::ActiveModel {
                        incident_id: Set(seq),
                        service: Set(s2.to_owned()),
                    });
                }
            }
            for e in 0..10 {
                let kind = if e % 3 == 0 {
                    EventKind::Update
                } else {
                    EventKind::ALL[(e % 11) as usize]
                };
                let t = detected + e * (resolve_min * 60_000 / 10);
                events.push(timeline_event::ActiveModel {
                    incident_id: Set(seq),
                    occurred_at: Set(t),
                    kind: Set(kind),
                    body: Set("update".into()),
                    visibility: Set(Visibility::Internal),
                    created_at: Set(t),
                    ..Default::default()
                });
                n_events += 1;
            }
            if matches!(severity, Severity::Sev1 | Severity::Sev2)
                && let Some(r) = resolved
            {
                let published = rng.below(10) < 8;
                pms.push(postmortem::ActiveModel {
                    incident_id: Set(app::domain::IncidentId(seq)),
                    status: Set(if published {
                        PostmortemStatus::Published
                    } else {
                        PostmortemStatus::Draft
                    }),
                    body: Set(String::new()),
                    root_cause_category: Set(Some(RootCauseCategory::ALL[rng.below(10) as usize])),
                    root_cause: Set("cause".into()),
                    five_whys: Set("[]".into()),
                    contributing_factors: Set("[]".into()),
                    due_at: Set(rca_due),
                    published_at: Set(published.then(|| r + rng.below(20 * 86_400_000) as i64)),
                    created_at: Set(r),
                    updated_at: Set(r),
                    version: Set(1),
                    ..Default::default()
                });
            }
            if rng.below(10) == 0 {
                links.push(known_error_incident::ActiveModel {
                    known_error_id: Set(1 + rng.below(n_kes as u64) as i64),
                    incident_id: Set(seq),
                    created_at: Set(detected),
                    created_by: Set(None),
                });
            }
            // Three actions per incident; older work is mostly finished.
            for _ in 0..3 {
                n_actions += 1;
                let created = detected + 86_400_000 + rng.below(7 * 86_400_000) as i64;
                let due_day = created / 86_400_000 + 7 + rng.below(60) as i64;
                let due = chrono::DateTime::from_timestamp(due_day * 86_400, 0)
                    .unwrap_or_default()
                    .date_naive();
                let age = (now_ms - created) / 86_400_000;
                let status = match (age, rng.below(100)) {
                    (a, r) if a > 120 && r < 85 => ActionStatus::Verified,
                    (a, r) if a > 120 && r < 92 => ActionStatus::Cancelled,
                    (_, r) if r < 25 => ActionStatus::Open,
                    (_, r) if r < 40 => ActionStatus::InProgress,
                    (_, r) if r < 70 => ActionStatus::Done,
                    (_, r) if r < 95 => ActionStatus::Verified,
                    _ => ActionStatus::Cancelled,
                };
                let completed = matches!(status, ActionStatus::Done | ActionStatus::Verified)
                    .then(|| (due_day - 10 + rng.below(20) as i64) * 86_400_000 + 43_200_000)
                    .map(|c: i64| c.max(created).min(now_ms));
                let day = |ms: i64| {
                    chrono::DateTime::from_timestamp_millis(ms)
                        .unwrap_or_default()
                        .date_naive()
                };
                let vdue = completed.map(|c| day(c) + Duration::days(30));
                let verified = (status == ActionStatus::Verified)
                    .then(|| completed.map(|c| (c + rng.below(40 * 86_400_000) as i64).min(now_ms)))
                    .flatten();
                acts.push(action::ActiveModel {
                    key: Set(format!("ACT-{n_actions}")),
                    seq: Set(n_actions),
                    incident_id: Set(Some(app::domain::IncidentId(seq))),
                    title: Set(format!("action {n_actions}")),
                    description: Set(String::new()),
                    kind: Set(ActionKind::ALL[rng.below(6) as usize]),
                    priority: Set(Priority::ALL[rng.below(4) as usize]),
                    team: Set(Some(TEAMS[rng.below(8) as usize].to_owned())),
                    due_date: Set(Some(due)),
                    status: Set(status),
                    completed_at: Set(completed),
                    completed_on: Set(completed.map(day)),
                    verification_required: Set(true),
                    verification_plan: Set(String::new()),
                    verification_due: Set(vdue),
                    verified_at: Set(verified),
                    verified_on: Set(verified.map(day)),
                    reopen_count: Set(0),
                    created_at: Set(created),
                    created_on: Set(day(created)),
                    updated_at: Set(created),
                    version: Set(1),
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
        for chunk in events.chunks(1000) {
            timeline_event::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await
                .unwrap();
        }
        if !pms.is_empty() {
            postmortem::Entity::insert_many(pms)
                .exec(&txn)
                .await
                .unwrap();
        }
        if !links.is_empty() {
            known_error_incident::Entity::insert_many(links)
                .exec(&txn)
                .await
                .unwrap();
        }
        for chunk in acts.chunks(500) {
            action::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await
                .unwrap();
        }
        first = upto;
    }
    for (kind, last) in [("INC", n), ("ACT", n_actions)] {
        txn.execute_unprepared(&format!(
            "UPDATE key_counters SET last_value = {last} WHERE kind = '{kind}'"
        ))
        .await
        .unwrap();
    }
    sea_orm::TransactionSession::commit(txn).await.unwrap();
    app::ssr::db::optimize(db).await.unwrap();
    if backend == "postgres" {
        // What autovacuum does after a bulk load: the visibility map lets index-only scans
        // skip the table.
        db.execute_unprepared("VACUUM ANALYZE").await.unwrap();
    }
    println!(
        "generated {n} incidents, {n_events} timeline events, {n_actions} actions in {:.1} s ({backend})",
        started.elapsed().as_secs_f64()
    );
}
