//! Sixteen writers at once through the service layer, on SQLite and PostgreSQL: the key
//! counters hand out 1..=N without gaps or duplicates, and the audit chain stays one unbroken
//! chain (its head row serialises the writers).

use app::ssr::audit::{self, Verdict};
use app::ssr::auth::Actor;
use app::ssr::entities::{action, incident, key_counter, known_error};
use app::ssr::services::{action as actions, incident as incidents, known_error as known_errors};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::json;
use tests::db_test;

const WRITERS: usize = 16;
const ROUNDS: usize = 3;

/// One writer: `ROUNDS` times an incident, an action on it and a known error linked to it.
async fn writer(db: DatabaseConnection, w: usize) -> Vec<(String, String, String)> {
    let system = Actor::system();
    let mut made = Vec::new();
    for r in 0..ROUNDS {
        let now = chrono::Utc::now();
        let inc = incidents::create(
            &db,
            &system,
            serde_json::from_value(json!({
                "title": format!("writer {w} round {r}"), "severity": "sev3"
            }))
            .unwrap(),
            now,
        )
        .await
        .unwrap();
        let act = actions::create(
            &db,
            &system,
            serde_json::from_value(json!({
                "title": format!("fix {w}/{r}"), "incident": inc.key
            }))
            .unwrap(),
            now,
        )
        .await
        .unwrap();
        let ke = known_errors::create(
            &db,
            &system,
            serde_json::from_value(json!({
                "title": format!("known {w}/{r}"), "incidents": [inc.key]
            }))
            .unwrap(),
            now,
        )
        .await
        .unwrap();
        made.push((inc.key, act.key, ke.key));
    }
    made
}

/// The keys `prefix-1` … `prefix-n`, in order.
fn keys(prefix: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}-{i}")).collect()
}

db_test!(sixteen_writers_get_gapless_keys_and_one_audit_chain, |db| {
    let started = std::time::Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        set.spawn(writer(db.clone(), w));
    }
    let made: Vec<_> = set.join_all().await.into_iter().flatten().collect();
    let n = WRITERS * ROUNDS;
    assert_eq!(made.len(), n);

    // Every key 1..=N once, in the tables and in what the writers were told.
    let inc: Vec<(i64, String)> = incident::Entity::find()
        .order_by_asc(incident::Column::Seq)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.seq, m.key))
        .collect();
    let act: Vec<(i64, String)> = action::Entity::find()
        .order_by_asc(action::Column::Seq)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.seq, m.key))
        .collect();
    let ke: Vec<(i64, String)> = known_error::Entity::find()
        .order_by_asc(known_error::Column::Seq)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.seq, m.key))
        .collect();
    for (rows, prefix) in [(&inc, "INC"), (&act, "ACT"), (&ke, "KE")] {
        let seqs: Vec<i64> = rows.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, (1..=n as i64).collect::<Vec<_>>(), "{prefix} seqs");
        let got: Vec<String> = rows.iter().map(|(_, k)| k.clone()).collect();
        assert_eq!(got, keys(prefix, n), "{prefix} keys");
    }
    let mut told: Vec<&String> = made.iter().map(|(i, _, _)| i).collect();
    told.sort_by_key(|k| k[4..].parse::<u32>().unwrap());
    told.dedup();
    assert_eq!(told.len(), n, "no key handed to two writers");
    for c in key_counter::Entity::find().all(&db).await.unwrap() {
        assert_eq!(c.last_value, n as i64, "counter {}", c.kind);
    }

    // One unbroken chain over everything the writers did.
    match audit::verify(&db).await.unwrap() {
        Verdict::Intact { rows } => assert!(rows >= 3 * n as u64, "{rows} audit rows"),
        broken => panic!("the audit chain broke under concurrent writers: {broken:?}"),
    }
    eprintln!(
        "{WRITERS} writers, {} records, in {:?}",
        3 * n,
        started.elapsed()
    );
});
