//! The metrics' SQL path against the reference implementation (`tests::metrics_ref`) on many
//! random data sets, on SQLite and PostgreSQL. Times cluster around the period's edges in a
//! time zone with a daylight-saving change inside the period, so off-by-one-day and
//! time-zone mistakes show. A failing case is shrunk and printed.

use app::domain::settings::OrgSettings;
use app::domain::{
    ActionKind, ActionStatus, EventKind, IncidentStatus, PostmortemStatus, Priority,
    RootCauseCategory, Severity, Visibility,
};
use app::model::{ActionFilter, IncidentFilter, MetricsQuery};
use app::ssr::entities::{
    action, incident, incident_service, known_error, known_error_incident, postmortem,
    timeline_event,
};
use app::ssr::services::{action as actions, incident as incidents};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait};
use tests::metrics_ref::{Dataset, RefAction, RefEvent, RefIncident, RefPostmortem};

const TZ: &str = "America/New_York";
const SERVICES: [&str; 3] = ["api", "db", "Web"];
const TEAMS: [&str; 3] = ["payments", "Platform", "api"];
const KES: [&str; 3] = ["KE-1", "KE-2", "KE-10"];

fn from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
}
fn to() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default()
}
fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 20, 15, 0, 0).unwrap()
}

fn settings() -> OrgSettings {
    OrgSettings {
        timezone: TZ.into(),
        holidays: vec![NaiveDate::from_ymd_opt(2026, 3, 16).unwrap_or_default()],
        update_gap_target_minutes: 45,
        ..Default::default()
    }
}

/// An instant near one of the period's edges, near "as of", or anywhere around the period.
#[derive(Debug, Clone, Copy)]
enum At {
    Start(i64),
    End(i64),
    AsOf(i64),
    Any(i64),
}

impl At {
    fn ms(self) -> i64 {
        let cal = settings().calendar();
        let start = app::ssr::to_ms(cal.start_of(from()));
        let end = app::ssr::to_ms(cal.start_of(to() + Duration::days(1)));
        let min = 60_000;
        match self {
            At::Start(d) => start + d * min,
            At::End(d) => end + d * min,
            At::AsOf(d) => app::ssr::to_ms(as_of()) + d * min,
            At::Any(d) => start - 10 * 1440 * min + d * min,
        }
    }
}

fn at() -> impl Strategy<Value = At> {
    prop_oneof![
        (-2i64..=2).prop_map(At::Start),
        (-2i64..=2).prop_map(At::End),
        (-2i64..=2).prop_map(At::AsOf),
        (0i64..60 * 1440).prop_map(At::Any),
    ]
}

/// A date near `from`, `to`, "today" (the date of as-of), or anywhere around the period.
fn day() -> impl Strategy<Value = NaiveDate> {
    let today = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap_or_default();
    prop_oneof![
        (-1i64..=1).prop_map(|d| from() + Duration::days(d)),
        (-1i64..=1).prop_map(|d| to() + Duration::days(d)),
        (-1i64..=1).prop_map(move |d| today + Duration::days(d)),
        (-15i64..45).prop_map(|d| from() + Duration::days(d)),
    ]
}

#[derive(Debug, Clone)]
struct GenIncident {
    severity: usize,
    services: Vec<usize>,
    detected: At,
    started: Option<i64>,
    mitigated: Option<i64>,
    resolved: Option<i64>,
    /// (status, published minutes after resolution, category)
    postmortem: Option<(usize, Option<i64>, Option<usize>)>,
    /// (minutes after detection, is an `update`)
    events: Vec<(i64, bool)>,
    known_errors: Vec<usize>,
}

#[derive(Debug, Clone)]
struct GenAction {
    incident: Option<usize>,
    team: Option<usize>,
    priority: usize,
    status: usize,
    due: Option<NaiveDate>,
    created: At,
    /// Minutes from creation to completion (for done, verified and some cancelled).
    completed: Option<i64>,
    verification_required: bool,
    verification_due: Option<NaiveDate>,
    /// Minutes from completion to verification (verified only).
    verified: i64,
}

#[derive(Debug, Clone)]
struct Case {
    incidents: Vec<GenIncident>,
    actions: Vec<GenAction>,
    team: Option<usize>,
    service: Option<usize>,
    severity: Option<usize>,
}

fn incident_strategy() -> impl Strategy<Value = GenIncident> {
    (
        0usize..4,
        proptest::sample::subsequence(vec![0usize, 1, 2], 0..=3),
        at(),
        proptest::option::of(0i64..600),
        proptest::option::of(0i64..3000),
        proptest::option::of(prop_oneof![0i64..600, 0i64..20_000]),
        proptest::option::of((
            0usize..3,
            proptest::option::of(-100i64..20_000),
            proptest::option::of(0usize..10),
        )),
        proptest::collection::vec((-120i64..3000, any::<bool>()), 0..5),
        proptest::sample::subsequence(vec![0usize, 1, 2], 0..=2),
    )
        .prop_map(
            |(
                severity,
                services,
                detected,
                started,
                mitigated,
                resolved,
                postmortem,
                events,
                kes,
            )| {
                GenIncident {
                    severity,
                    services,
                    detected,
                    started,
                    mitigated,
                    resolved,
                    postmortem,
                    events,
                    known_errors: kes,
                }
            },
        )
}

fn action_strategy() -> impl Strategy<Value = GenAction> {
    (
        proptest::option::of(0usize..30),
        proptest::option::of(0usize..3),
        0usize..4,
        0usize..5,
        proptest::option::of(day()),
        at(),
        proptest::option::of(0i64..50_000),
        any::<bool>(),
        proptest::option::of(day()),
        0i64..50_000,
    )
        .prop_map(
            |(incident, team, priority, status, due, created, completed, vreq, vdue, verified)| {
                GenAction {
                    incident,
                    team,
                    priority,
                    status,
                    due,
                    created,
                    completed,
                    verification_required: vreq,
                    verification_due: vdue,
                    verified,
                }
            },
        )
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec(incident_strategy(), 0..20),
        proptest::collection::vec(action_strategy(), 0..30),
        proptest::option::weighted(0.2, 0usize..3),
        proptest::option::weighted(0.2, 0usize..3),
        proptest::option::weighted(0.2, 0usize..4),
    )
        .prop_map(|(incidents, actions, team, service, severity)| Case {
            incidents,
            actions,
            team,
            service,
            severity,
        })
}

const TABLES: [&str; 7] = [
    "actions",
    "known_error_incidents",
    "known_errors",
    "timeline_events",
    "incident_services",
    "postmortems",
    "incidents",
];

/// Writes a case into the (emptied) database and returns the same records for the reference.
async fn load(db: &DatabaseConnection, c: &Case) -> Dataset {
    for t in TABLES {
        db.execute_unprepared(&format!("DELETE FROM {t}"))
            .await
            .unwrap();
    }
    let s = settings();
    let cal = s.calendar();
    let mut d = Dataset::default();
    let mut ke_ids = Vec::new();
    for (i, key) in KES.iter().enumerate() {
        let m = known_error::ActiveModel {
            key: Set((*key).to_owned()),
            seq: Set(i as i64 + 1),
            title: Set(format!("problem {key}")),
            symptoms: Set(String::new()),
            root_cause: Set(String::new()),
            workaround: Set(String::new()),
            status: Set(app::domain::KnownErrorStatus::Open),
            term_count: Set(0),
            created_at: Set(0),
            updated_at: Set(0),
            version: Set(1),
            ..Default::default()
        };
        ke_ids.push(
            known_error::Entity::insert(m)
                .exec(db)
                .await
                .unwrap()
                .last_insert_id,
        );
    }
    for (n, g) in c.incidents.iter().enumerate() {
        let severity = Severity::ALL[g.severity];
        let detected = g.detected.ms();
        let resolved = g.resolved.map(|m| detected + m * 60_000);
        let inc = RefIncident {
            id: 0,
            seq: n as i64 + 1,
            severity,
            services: g.services.iter().map(|i| SERVICES[*i].to_owned()).collect(),
            started_at: g.started.map(|m| detected - m * 60_000),
            detected_at: detected,
            mitigated_at: g.mitigated.map(|m| detected + m * 60_000),
            resolved_at: resolved,
        };
        let rca_due = s
            .rca_deadlines
            .due_at(&cal, severity, resolved.map(from_ms))
            .map(app::ssr::to_ms);
        let m = incident::ActiveModel {
            key: Set(inc.key()),
            seq: Set(inc.seq),
            title: Set(format!("incident {n}")),
            severity: Set(severity),
            status: Set(if resolved.is_some() {
                IncidentStatus::Resolved
            } else {
                IncidentStatus::Investigating
            }),
            summary: Set(String::new()),
            customer_impact: Set(String::new()),
            started_at: Set(inc.started_at),
            detected_at: Set(detected),
            mitigated_at: Set(inc.mitigated_at),
            resolved_at: Set(resolved),
            reopen_count: Set(0),
            rca_due_at: Set(rca_due),
            created_at: Set(detected),
            updated_at: Set(detected),
            version: Set(1),
            ..Default::default()
        };
        let id = incident::Entity::insert(m)
            .exec(db)
            .await
            .unwrap()
            .last_insert_id;
        let inc = RefIncident { id, ..inc };
        for sv in &inc.services {
            incident_service::Entity::insert(incident_service::ActiveModel {
                incident_id: Set(id),
                service: Set(sv.clone()),
            })
            .exec(db)
            .await
            .unwrap();
        }
        if let Some((st, published, cat)) = g.postmortem {
            let status = PostmortemStatus::ALL[st];
            let published_at = (status == PostmortemStatus::Published)
                .then(|| published.map(|p| resolved.unwrap_or(detected) + p * 60_000))
                .flatten();
            let category = cat.map(|c| RootCauseCategory::ALL[c]);
            postmortem::Entity::insert(postmortem::ActiveModel {
                incident_id: Set(app::domain::IncidentId(id)),
                status: Set(status),
                body: Set(String::new()),
                root_cause_category: Set(category),
                root_cause: Set(String::new()),
                five_whys: Set("[]".into()),
                contributing_factors: Set("[]".into()),
                published_at: Set(published_at),
                created_at: Set(detected),
                updated_at: Set(detected),
                version: Set(1),
                ..Default::default()
            })
            .exec(db)
            .await
            .unwrap();
            d.postmortems.push(RefPostmortem {
                incident_id: id,
                status,
                published_at,
                root_cause_category: category.map(|c| c.as_str().to_owned()),
            });
        }
        for (offset, update) in &g.events {
            let kind = if *update {
                EventKind::Update
            } else {
                EventKind::Note
            };
            let t = detected + offset * 60_000;
            timeline_event::Entity::insert(timeline_event::ActiveModel {
                incident_id: Set(id),
                occurred_at: Set(t),
                kind: Set(kind),
                body: Set("status update".into()),
                visibility: Set(Visibility::Internal),
                created_at: Set(t),
                ..Default::default()
            })
            .exec(db)
            .await
            .unwrap();
            d.events.push(RefEvent {
                incident_id: id,
                kind,
                occurred_at: t,
            });
        }
        for k in &g.known_errors {
            known_error_incident::Entity::insert(known_error_incident::ActiveModel {
                known_error_id: Set(ke_ids[*k]),
                incident_id: Set(id),
                created_at: Set(0),
                created_by: Set(None),
            })
            .exec(db)
            .await
            .unwrap();
            d.links.push((KES[*k].to_owned(), id));
        }
        d.incidents.push(inc);
    }
    for (n, g) in c.actions.iter().enumerate() {
        let status = ActionStatus::ALL[g.status];
        let created = g.created.ms();
        // Completion exists for done and verified work, and for some cancelled work.
        let completed = match status {
            ActionStatus::Done | ActionStatus::Verified => {
                Some(created + g.completed.unwrap_or(0) * 60_000)
            }
            ActionStatus::Cancelled => g.completed.map(|m| created + m * 60_000),
            _ => None,
        };
        let verified = (status == ActionStatus::Verified)
            .then(|| completed.map(|c| c + g.verified * 60_000))
            .flatten();
        let a = RefAction {
            incident_id: g.incident.and_then(|i| d.incidents.get(i)).map(|i| i.id),
            team: g.team.map(|t| TEAMS[t].to_owned()),
            priority: Priority::ALL[g.priority],
            status,
            due_date: g.due,
            created_at: created,
            completed_at: completed,
            verification_required: g.verification_required,
            verification_due: g.verification_due,
            verified_at: verified,
        };
        let date = |t: i64| cal.date_of(from_ms(t));
        action::Entity::insert(action::ActiveModel {
            key: Set(format!("ACT-{}", n + 1)),
            seq: Set(n as i64 + 1),
            incident_id: Set(a.incident_id.map(app::domain::IncidentId)),
            title: Set(format!("action {n}")),
            description: Set(String::new()),
            kind: Set(ActionKind::Corrective),
            priority: Set(a.priority),
            team: Set(a.team.clone()),
            due_date: Set(a.due_date),
            status: Set(status),
            completed_at: Set(completed),
            completed_on: Set(completed.map(date)),
            verification_required: Set(a.verification_required),
            verification_plan: Set(String::new()),
            verification_due: Set(a.verification_due),
            verified_at: Set(verified),
            verified_on: Set(verified.map(date)),
            reopen_count: Set(0),
            created_at: Set(created),
            created_on: Set(date(created)),
            updated_at: Set(created),
            version: Set(1),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
        d.actions.push(a);
    }
    d
}

fn from_ms(t: i64) -> DateTime<Utc> {
    app::ssr::from_ms(t)
}

fn query(c: &Case) -> MetricsQuery {
    MetricsQuery {
        from: Some(from()),
        to: Some(to()),
        as_of: Some(as_of()),
        team: c.team.map(|t| TEAMS[t].to_owned()),
        service: c.service.map(|s| SERVICES[s].to_owned()),
        severity: c.severity.map(|s| Severity::ALL[s]),
    }
}

/// `None` when the SQL path agrees with the reference, else what differs.
async fn check(db: &DatabaseConnection, c: &Case) -> Option<String> {
    let data = load(db, c).await;
    let q = query(c);
    let sql =
        app::ssr::services::metrics::compute(db, &app::ssr::auth::Actor::system(), &q, Utc::now())
            .await
            .unwrap();
    let reference = tests::metrics_ref::metrics(&data, &q, &settings(), Utc::now());
    if sql != reference {
        return Some(format!(
            "query {q:?}\nSQL:       {}\nreference: {}",
            serde_json::to_string(&sql).unwrap_or_default(),
            serde_json::to_string(&reference).unwrap_or_default()
        ));
    }
    links_open_what_is_counted(db, &q, &sql, &data).await
}

/// Every page of incidents the filter lists, as of `as_of()`.
async fn incident_count(db: &DatabaseConnection, mut f: IncidentFilter) -> u64 {
    let actor = app::ssr::auth::Actor::system();
    f.limit = Some(200);
    let mut n = 0;
    loop {
        let page = incidents::list_at(db, &actor, &f, as_of()).await.unwrap();
        n += page.items.len() as u64;
        match page.next {
            Some(c) => f.page = Some(c),
            None => return n,
        }
    }
}

/// Every page of actions the filter lists, as of `as_of()`.
async fn action_count(db: &DatabaseConnection, mut f: ActionFilter) -> u64 {
    let actor = app::ssr::auth::Actor::system();
    f.limit = Some(200);
    let mut n = 0;
    loop {
        let page = actions::list(db, &actor, &f, as_of()).await.unwrap();
        n += page.items.len() as u64;
        match page.next {
            Some(c) => f.page = Some(c),
            None => return n,
        }
    }
}

/// The dashboard links a figure to a filtered list: that list holds exactly the records the
/// figure counts. `None` when every list agrees.
async fn links_open_what_is_counted(
    db: &DatabaseConnection,
    q: &MetricsQuery,
    m: &app::model::Metrics,
    data: &Dataset,
) -> Option<String> {
    let scope = IncidentFilter {
        service: q.service.clone(),
        severity: q.severity,
        detected_from: q.from,
        detected_to: q.to,
        ..Default::default()
    };
    let action_scope = ActionFilter {
        team: q.team.clone(),
        service: q.service.clone(),
        severity: q.severity,
        ..Default::default()
    };
    let total = m.incidents.count.get("total").copied().unwrap_or(0);
    let mut checks: Vec<(String, u64, u64)> = Vec::new();
    let recurring = incident_count(
        db,
        IncidentFilter {
            recurring: Some(true),
            ..scope.clone()
        },
    )
    .await;
    let expected = m
        .recurrence_rate
        .map_or(0, |r| (r * total as f64).round() as u64);
    checks.push(("recurring incidents".into(), recurring, expected));
    for row in &m.top_drivers.root_cause_category {
        let n = incident_count(
            db,
            IncidentFilter {
                root_cause_category: row.name.parse().ok(),
                ..scope.clone()
            },
        )
        .await;
        checks.push((format!("root cause {}", row.name), n, row.count));
    }
    if q.service.is_none() {
        for row in &m.top_drivers.service {
            let n = incident_count(
                db,
                IncidentFilter {
                    service: Some(row.name.clone()),
                    ..scope.clone()
                },
            )
            .await;
            checks.push((format!("service {}", row.name), n, row.count));
        }
    }
    let rca = incident_count(
        db,
        IncidentFilter {
            rca_due: Some(true),
            resolved_from: q.from,
            resolved_to: q.to,
            detected_from: None,
            detected_to: None,
            ..scope.clone()
        },
    )
    .await;
    let (r_total, _) = tests::metrics_ref::rca_counts(data, q, &settings(), Utc::now());
    checks.push(("RCAs counted".into(), rca, r_total));
    let overdue = action_count(
        db,
        ActionFilter {
            overdue: Some(true),
            ..action_scope.clone()
        },
    )
    .await;
    checks.push(("overdue actions".into(), overdue, m.actions.overdue));
    let verification = action_count(
        db,
        ActionFilter {
            verification_overdue: Some(true),
            ..action_scope.clone()
        },
    )
    .await;
    checks.push((
        "verification overdue".into(),
        verification,
        m.verification.overdue,
    ));
    let wrong: Vec<String> = checks
        .into_iter()
        .filter(|(_, listed, counted)| listed != counted)
        .map(|(what, listed, counted)| {
            format!("{what}: the list shows {listed}, the metric counts {counted}")
        })
        .collect();
    (!wrong.is_empty()).then(|| format!("query {q:?}\n{}", wrong.join("\n")))
}

async fn run(db: DatabaseConnection, cases: u32) {
    app::ssr::services::settings::update(
        &db,
        &app::ssr::auth::Actor::system(),
        serde_json::to_value(settings())
            .unwrap()
            .as_object()
            .cloned()
            .unwrap_or_default(),
        Utc::now(),
    )
    .await
    .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let strategy = case_strategy();
    let mut nonempty = 0;
    for _ in 0..cases {
        let mut tree = strategy.new_tree(&mut runner).unwrap();
        let case = tree.current();
        nonempty += usize::from(!case.actions.is_empty() && !case.incidents.is_empty());
        let Some(mut failure) = check(&db, &case).await else {
            continue;
        };
        // Shrink: simplify while the case still fails.
        let mut smallest = case;
        for _ in 0..300 {
            if !tree.simplify() {
                break;
            }
            let candidate = tree.current();
            match check(&db, &candidate).await {
                Some(f) => {
                    failure = f;
                    smallest = candidate;
                }
                None => {
                    if !tree.complicate() {
                        break;
                    }
                }
            }
        }
        panic!("the SQL metrics differ from the reference\ncase: {smallest:#?}\n{failure}");
    }
    assert!(
        nonempty as u32 > cases / 2,
        "the generator makes real data sets"
    );
}

#[tokio::test]
async fn sql_metrics_match_the_reference_on_sqlite() {
    run(tests::sqlite_db().await, 200).await;
}

#[tokio::test]
async fn sql_metrics_match_the_reference_on_postgres() {
    let Some(pg) = tests::PgTestDb::create().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL half did not run");
        return;
    };
    run(pg.db.clone(), 100).await;
    drop(pg);
}
