//! The schema: every entity matches its table (a full row written and read back unchanged)
//! on SQLite and PostgreSQL, migrations go down and up again, and key constraints hold.

use app::domain::enums::*;
use app::domain::{IncidentId, KnownErrorId, UserId};
use app::ssr::entities::*;
use chrono::NaiveDate;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, PaginatorTrait};
use tests::db_test;

const T: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Inserts `m` as a whole row and checks it reads back identical.
macro_rules! round_trip {
    ($db:expr, $module:ident, $model:expr) => {{
        let m: $module::Model = $model;
        let inserted = $module::ActiveModel::from(m.clone())
            .insert(&$db)
            .await
            .unwrap_or_else(|e| panic!("insert {}: {e}", stringify!($module)));
        assert_eq!(inserted, m, "{} reads back as written", stringify!($module));
        let all = $module::Entity::find().all(&$db).await.unwrap();
        assert!(all.contains(&m), "{} is found", stringify!($module));
        m
    }};
}

db_test!(every_table_round_trips_a_full_row, |db| {
    let u1 = round_trip!(
        db,
        user,
        user::Model {
            id: 1,
            email: "ann@example.org".into(),
            name: "Ann".into(),
            role: Role::Responder,
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$x$y".into()),
            active: true,
            created_at: T,
            updated_at: T,
            version: 1,
        }
    );
    let u2 = round_trip!(
        db,
        user,
        user::Model {
            id: 2,
            email: "bo@example.org".into(),
            name: "Bo".into(),
            role: Role::Viewer,
            password_hash: None,
            active: false,
            created_at: T,
            updated_at: T + 1,
            version: 3,
        }
    );
    round_trip!(
        db,
        api_token,
        api_token::Model {
            id: 1,
            user_id: u1.id,
            name: "ci".into(),
            token_hash: "h1".into(),
            prefix: "hs_ab".into(),
            created_at: T,
            last_used_at: Some(T + 5),
            expires_at: None,
            revoked_at: Some(T + 9),
        }
    );
    round_trip!(
        db,
        session,
        session::Model {
            id: "sess-hash".into(),
            user_id: u1.id,
            created_at: T,
            last_seen_at: T + 1,
            expires_at: T + 43_200_000,
            address: Some("127.0.0.1".into()),
            user_agent: None,
        }
    );
    round_trip!(
        db,
        login_failure,
        login_failure::Model {
            id: 1,
            email: "x@example.org".into(),
            address: "10.0.0.1".into(),
            at: T
        }
    );
    round_trip!(
        db,
        setting,
        setting::Model {
            key: "timezone".into(),
            value: "\"Europe/Berlin\"".into(),
            updated_at: T,
            updated_by: Some(u1.id),
            version: 2
        }
    );
    round_trip!(
        db,
        audit_log,
        audit_log::Model {
            id: 1,
            at: T,
            actor_id: Some(u1.id),
            actor: "ann@example.org".into(),
            record_type: "incident".into(),
            record_key: "INC-1".into(),
            action: "update".into(),
            field: Some("title".into()),
            old_value: Some("a".into()),
            new_value: None,
            prev_hash: "0".into(),
            hash: "abc".into(),
        }
    );
    let inc = round_trip!(
        db,
        incident,
        incident::Model {
            id: 1,
            key: "INC-1".into(),
            seq: 1,
            title: "Checkout down".into(),
            severity: Severity::Sev1,
            status: IncidentStatus::Monitoring,
            summary: "**bold**".into(),
            customer_impact: "all EU".into(),
            commander_id: Some(UserId(u1.id)),
            started_at: Some(T - 60_000),
            detected_at: T,
            acknowledged_at: Some(T + 1),
            mitigated_at: Some(T + 2),
            resolved_at: Some(T + 3),
            closed_at: None,
            reopen_count: 2,
            rca_due_at: Some(T + 86_400_000),
            created_by: Some(u1.id),
            created_at: T,
            updated_at: T,
            version: 7,
        }
    );
    round_trip!(
        db,
        incident_service,
        incident_service::Model {
            incident_id: inc.id,
            service: "checkout".into()
        }
    );
    round_trip!(
        db,
        incident_tag,
        incident_tag::Model {
            incident_id: inc.id,
            tag: "eu".into()
        }
    );
    round_trip!(
        db,
        incident_role,
        incident_role::Model {
            incident_id: inc.id,
            role: "scribe".into(),
            user_id: u2.id
        }
    );
    round_trip!(
        db,
        timeline_event,
        timeline_event::Model {
            id: 1,
            incident_id: inc.id,
            occurred_at: T + 2,
            kind: EventKind::Mitigation,
            body: "rolled back".into(),
            visibility: Visibility::Customer,
            author_id: Some(u1.id),
            created_at: T + 3,
            version: 2,
            edited_at: Some(T + 4),
        }
    );
    let pm = round_trip!(
        db,
        postmortem,
        postmortem::Model {
            id: 1,
            incident_id: IncidentId(inc.id),
            status: PostmortemStatus::InReview,
            body: "## Summary".into(),
            root_cause_category: Some(RootCauseCategory::ConfigChange),
            root_cause: "bad flag".into(),
            five_whys: "[\"why\"]".into(),
            contributing_factors: "[]".into(),
            due_at: Some(T + 5),
            published_at: None,
            created_at: T,
            updated_at: T,
            version: 1,
        }
    );
    round_trip!(
        db,
        postmortem_reviewer,
        postmortem_reviewer::Model {
            postmortem_id: pm.id,
            user_id: u2.id,
            approved_at: Some(T)
        }
    );
    let ke = round_trip!(
        db,
        known_error,
        known_error::Model {
            id: 1,
            key: "KE-1".into(),
            seq: 1,
            title: "Pool exhaustion".into(),
            symptoms: "timeouts".into(),
            root_cause: "leak".into(),
            workaround: "restart".into(),
            status: KnownErrorStatus::FixScheduled,
            fix_version: Some("2.4.1".into()),
            term_count: 7,
            created_by: Some(u1.id),
            created_at: T,
            updated_at: T,
            version: 1,
        }
    );
    round_trip!(
        db,
        known_error_service,
        known_error_service::Model {
            known_error_id: ke.id,
            service: "api".into()
        }
    );
    round_trip!(
        db,
        known_error_incident,
        known_error_incident::Model {
            known_error_id: ke.id,
            incident_id: inc.id,
            created_at: T,
            created_by: None
        }
    );
    let act = round_trip!(
        db,
        action,
        action::Model {
            id: 1,
            key: "ACT-1".into(),
            seq: 1,
            incident_id: Some(IncidentId(inc.id)),
            known_error_id: Some(KnownErrorId(ke.id)),
            title: "Add alert".into(),
            description: "desc".into(),
            kind: ActionKind::Preventive,
            priority: Priority::Critical,
            owner_id: Some(UserId(u1.id)),
            team: Some("payments".into()),
            due_date: Some(d("2026-02-01")),
            status: ActionStatus::Verified,
            completed_at: Some(T + 10),
            completed_on: Some(d("2026-01-01")),
            verification_required: true,
            verification_plan: "watch".into(),
            verification_due: Some(d("2026-01-31")),
            verified_at: Some(T + 20),
            verified_on: Some(d("2026-01-01")),
            verified_by: Some(UserId(u2.id)),
            verification_result: Some(VerificationResult::Effective),
            verification_evidence: Some("graphs".into()),
            cancelled_reason: None,
            external_url: Some("https://tracker/1".into()),
            tracker_id: Some(1),
            external_key: Some("OPS-7".into()),
            external_state: Some("In Progress".into()),
            synced_at: Some(T),
            external_done: Some(false),
            reopen_count: 1,
            created_by: Some(u1.id),
            created_at: T,
            created_on: d("2026-01-01"),
            updated_at: T,
            version: 4,
        }
    );
    round_trip!(
        db,
        action_verification,
        action_verification::Model {
            id: 1,
            action_id: act.id,
            verified_by: u2.id,
            verified_at: T + 20,
            result: VerificationResult::NotEffective,
            evidence: "still failing".into(),
            created_at: T + 20,
        }
    );
    round_trip!(
        db,
        reminder_sent,
        reminder_sent::Model {
            id: 1,
            action_id: act.id,
            kind: "overdue".into(),
            marker: "2026-02-01".into(),
            sent_at: T
        }
    );
    round_trip!(
        db,
        comment,
        comment::Model {
            id: 1,
            record_type: app::domain::CommentOn::Action,
            record_key: "ACT-1".into(),
            parent_id: None,
            author_id: u2.id,
            body: "hi".into(),
            quote: None,
            resolved: false,
            deleted_at: None,
            created_at: T,
            edited_at: None,
            version: 1
        }
    );
    round_trip!(
        db,
        hook,
        hook::Model {
            id: 1,
            name: "prod-am".into(),
            source: app::domain::HookSource::Alertmanager,
            secret_hash: "ab".repeat(32),
            signing_secret: None,
            severity_map: Some("{\"page\":\"sev1\"}".into()),
            default_severity: Severity::Sev3,
            service_label: Some("app".into()),
            auto_open: true,
            created_by: Some(u1.id),
            created_at: T,
            last_received_at: Some(T + 5),
        }
    );
    round_trip!(
        db,
        alert,
        alert::Model {
            id: 1,
            hook_id: Some(1),
            source: app::domain::HookSource::Alertmanager,
            incident_id: Some(inc.id),
            fingerprint: "fp".into(),
            starts_at: T,
            group_key: "{}:{alertname=\"X\"}".into(),
            status: app::domain::AlertStatus::Firing,
            summary: Some("disk full".into()),
            labels: "{\"alertname\":\"X\"}".into(),
            annotations: "{}".into(),
            url: Some("http://prometheus/graph".into()),
            first_seen_at: T,
            last_seen_at: T + 1,
            resolved_at: None,
        }
    );
    round_trip!(
        db,
        channel,
        channel::Model {
            id: 1,
            name: "ops".into(),
            kind: app::domain::ChannelKind::Webhook,
            url: "https://hooks.example/x".into(),
            secret: Some("s".into()),
            events: "[\"incident.declared\"]".into(),
            filter: None,
            enabled: true,
            managed: None,
            created_by: Some(u1.id),
            created_at: T,
        }
    );
    round_trip!(
        db,
        tracker,
        tracker::Model {
            id: 1,
            name: "Jira".into(),
            kind: app::domain::TrackerKind::Jira,
            base_url: "https://acme.atlassian.net".into(),
            project: "OPS".into(),
            credentials: "v1:00".into(),
            webhook_secret: "v1:11".into(),
            done_states: Some("[\"Done\"]".into()),
            teams: Some("[\"payments\"]".into()),
            auth: Some("basic".into()),
            next_poll_at: T,
            polled_at: Some(T),
            poll_error: Some("GitHub is rate-limiting Hindsight".into()),
            created_by: Some(u1.id),
            created_at: T,
            updated_at: T,
            version: 1,
        }
    );
    round_trip!(
        db,
        delivery,
        delivery::Model {
            id: 1,
            channel_id: Some(1),
            tracker_id: None,
            event: "incident.declared".into(),
            record_type: "incident".into(),
            record_key: "INC-1".into(),
            body: "{}".into(),
            status: app::domain::DeliveryStatus::Pending,
            attempts: 2,
            next_attempt_at: T + 30,
            claimed_until: None,
            last_status: Some(503),
            last_error: Some("the receiver answered 503".into()),
            created_at: T,
            delivered_at: None,
        }
    );

    // The key counters start at zero for each kind.
    let counters = key_counter::Entity::find().all(&db).await.unwrap();
    let mut kinds: Vec<_> = counters
        .iter()
        .map(|c| (c.kind.as_str(), c.last_value))
        .collect();
    kinds.sort();
    assert_eq!(kinds, [("ACT", 0), ("INC", 0), ("KE", 0)]);
});

db_test!(unique_keys_and_foreign_keys_are_enforced, |db| {
    let u = user::Model {
        id: 1,
        email: "a@x.org".into(),
        name: "A".into(),
        role: Role::Admin,
        password_hash: None,
        active: true,
        created_at: T,
        updated_at: T,
        version: 1,
    };
    user::ActiveModel::from(u.clone())
        .insert(&db)
        .await
        .unwrap();
    let dup = user::Model { id: 2, ..u.clone() };
    assert!(
        user::ActiveModel::from(dup).insert(&db).await.is_err(),
        "duplicate e-mail refused"
    );
    let orphan = timeline_event::Model {
        id: 1,
        incident_id: 999,
        occurred_at: T,
        kind: EventKind::Note,
        body: String::new(),
        visibility: Visibility::Internal,
        author_id: None,
        created_at: T,
        version: 1,
        edited_at: None,
    };
    assert!(
        timeline_event::ActiveModel::from(orphan)
            .insert(&db)
            .await
            .is_err(),
        "event of a missing incident refused"
    );
    // The refused writes changed nothing.
    assert_eq!(user::Entity::find().count(&db).await.unwrap(), 1);
    assert_eq!(timeline_event::Entity::find().count(&db).await.unwrap(), 0);
    let _ = u.into_active_model();
});

db_test!(migrations_go_down_and_up_again, |db| {
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    Migrator::down(&db, None).await.unwrap();
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len()
    );
    assert!(
        incident::Entity::find().all(&db).await.is_err(),
        "tables are gone after down"
    );
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(incident::Entity::find().count(&db).await.unwrap(), 0);
});
