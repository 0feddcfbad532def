//! The incident list service: filters and keyset pagination, on SQLite and PostgreSQL.

use app::domain::{IncidentStatus, Severity};
use app::model::IncidentFilter;
use app::ssr::services::incident as incidents;
use chrono::{Duration, TimeZone, Utc};
use tests::{db_test, seed};

async fn fixture(db: &sea_orm::DatabaseConnection) {
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap();
    seed::incident(
        db,
        1,
        "Checkout API returns 502",
        Severity::Sev1,
        IncidentStatus::Resolved,
        &["checkout", "api"],
        t0,
    )
    .await;
    seed::incident(
        db,
        2,
        "Search is slow",
        Severity::Sev3,
        IncidentStatus::Investigating,
        &["search"],
        t0 + Duration::hours(1),
    )
    .await;
    seed::incident(
        db,
        3,
        "Login failures for SSO users",
        Severity::Sev2,
        IncidentStatus::Monitoring,
        &["auth", "api"],
        t0 + Duration::hours(2),
    )
    .await;
    seed::incident(
        db,
        4,
        "Payments webhook backlog",
        Severity::Sev2,
        IncidentStatus::Closed,
        &["payments"],
        t0 + Duration::hours(3),
    )
    .await;
}

fn keys(p: &app::model::Page<app::model::IncidentSummary>) -> Vec<&str> {
    p.items.iter().map(|i| i.key.as_str()).collect()
}

db_test!(lists_newest_first_with_services_and_durations, |db| {
    fixture(&db).await;
    let page = incidents::list(
        &db,
        &app::ssr::auth::Actor::system(),
        &IncidentFilter::default(),
    )
    .await
    .unwrap();
    assert_eq!(keys(&page), ["INC-4", "INC-3", "INC-2", "INC-1"]);
    assert_eq!(page.next, None);
    let inc1 = page.items.iter().find(|i| i.key == "INC-1").unwrap();
    assert_eq!(inc1.services, ["api", "checkout"]);
    assert_eq!(inc1.durations.time_to_resolve, Some(90.0));
    let inc2 = page.items.iter().find(|i| i.key == "INC-2").unwrap();
    assert_eq!(inc2.durations.time_to_resolve, None);
});

db_test!(filters_by_status_severity_service_and_text, |db| {
    fixture(&db).await;
    let f = |f: IncidentFilter| {
        let db = db.clone();
        async move {
            incidents::list(&db, &app::ssr::auth::Actor::system(), &f)
                .await
                .unwrap()
        }
    };
    let by_status = f(IncidentFilter {
        status: Some(IncidentStatus::Investigating),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&by_status), ["INC-2"]);
    let by_sev = f(IncidentFilter {
        severity: Some(Severity::Sev2),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&by_sev), ["INC-4", "INC-3"]);
    let by_service = f(IncidentFilter {
        service: Some("api".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&by_service), ["INC-3", "INC-1"]);
    let by_text = f(IncidentFilter {
        q: Some("CHECKOUT".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&by_text), ["INC-1"]);
    let combined = f(IncidentFilter {
        severity: Some(Severity::Sev2),
        service: Some("api".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(keys(&combined), ["INC-3"]);
    let none = f(IncidentFilter {
        service: Some("nothing-here".into()),
        ..Default::default()
    })
    .await;
    assert!(none.items.is_empty());
});

db_test!(keyset_pages_cover_everything_once, |db| {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for seq in 1..=23 {
        seed::incident(
            &db,
            seq,
            &format!("Incident {seq}"),
            Severity::Sev3,
            IncidentStatus::Resolved,
            &[],
            t0 + Duration::minutes(seq),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut filter = IncidentFilter {
        limit: Some(10),
        ..Default::default()
    };
    let mut pages = 0;
    loop {
        let page = incidents::list(&db, &app::ssr::auth::Actor::system(), &filter)
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|i| i.key.clone()));
        match page.next {
            Some(next) => filter.page = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (1..=23).rev().map(|n| format!("INC-{n}")).collect();
    assert_eq!(seen, expected);
});

db_test!(a_bad_cursor_is_a_422_naming_page, |db| {
    let err = incidents::list(
        &db,
        &app::ssr::auth::Actor::system(),
        &IncidentFilter {
            page: Some("abc".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.fields()[0].field, "page");
});

db_test!(
    detection_dates_are_inclusive_days_in_the_organisations_zone,
    |db| {
        app::ssr::services::settings::update(
            &db,
            &app::ssr::auth::Actor::system(),
            serde_json::json!({"timezone": "Europe/Berlin"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            Utc::now(),
        )
        .await
        .unwrap();
        // 23:30 UTC on 31 March is 1 April 01:30 in Berlin (summer time).
        for (n, at) in [
            (1, Utc.with_ymd_and_hms(2026, 3, 31, 21, 30, 0).unwrap()),
            (2, Utc.with_ymd_and_hms(2026, 3, 31, 23, 30, 0).unwrap()),
            (3, Utc.with_ymd_and_hms(2026, 4, 30, 21, 59, 0).unwrap()),
            (4, Utc.with_ymd_and_hms(2026, 4, 30, 22, 0, 0).unwrap()),
        ] {
            seed::incident(
                &db,
                n,
                "Outage",
                Severity::Sev2,
                IncidentStatus::Resolved,
                &[],
                at,
            )
            .await;
        }
        let keys = |f: IncidentFilter| {
            let db = db.clone();
            async move {
                incidents::list(&db, &app::ssr::auth::Actor::system(), &f)
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|i| i.key)
                    .collect::<Vec<_>>()
            }
        };
        let april = |from: Option<&str>, to: Option<&str>| IncidentFilter {
            detected_from: from.map(|d| d.parse().unwrap()),
            detected_to: to.map(|d| d.parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(
            keys(april(Some("2026-04-01"), Some("2026-04-30"))).await,
            ["INC-3", "INC-2"]
        );
        assert_eq!(keys(april(None, Some("2026-03-31"))).await, ["INC-1"]);
        assert_eq!(keys(april(Some("2026-05-01"), None)).await, ["INC-4"]);
    }
);
