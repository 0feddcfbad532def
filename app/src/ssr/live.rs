//! Live updates, server side: [`publish`] writes a change's event in the transaction of the
//! change (so an event exists exactly when the change committed), and one [`Hub`] per process
//! reads new events and fans them out to the open streams.
//!
//! Delivery: every event is a `live_event` row whose id is the Server-Sent Events id. On
//! PostgreSQL, [`publish`] also runs `pg_notify('hindsight_live', id)`, which PostgreSQL
//! delivers at commit to every process's [`Hub`] (a `PgListener` that reconnects when
//! dropped); on SQLite an in-process wake-up and a short poll do it. The hub reads
//! `id > last seen` in one query and broadcasts each row; a stream filters by its topics
//! ([`crate::domain::live::Topic`]) and resumes from `Last-Event-ID` with [`since`].
//!
//! For the services: build a [`LiveEvent`] with one of its constructors and call
//! `live::publish(&txn, ev).await?` before `txn.commit()`. Comments call
//! [`LiveEvent::comment_added`] with the mentioned users as `audience` (the `notifications`
//! topic); alerts [`LiveEvent::alert_received`].
//!
//! Presence (who has a page open): a stream on `postmortem:KEY` or `incident:KEY` [`join`]s
//! a `presence` row per topic, refreshes it while open ([`refresh`]), and [`leave`]s on
//! disconnect; rows older than [`PRESENCE_TTL_MS`] (a crashed process) no longer count and
//! are removed by [`prune`]. Each join and leave is a `presence.changed` event.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession, TransactionTrait,
};
use tokio::sync::{Notify, OnceCell, broadcast, watch};

use crate::domain::RecordType;
use crate::domain::UserId;
use crate::domain::authz::Op;
use crate::domain::live::{Facts, LiveData, LiveKind, Present, Topic};
use crate::error::AppResult;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{live_event, presence, user};
use crate::ssr::services::common::Sql;
use crate::ssr::to_ms;

/// The PostgreSQL `NOTIFY` channel.
pub const CHANNEL: &str = "hindsight_live";
/// Events are kept this long for streams that resume (`Last-Event-ID`).
pub const KEEP_MS: i64 = 60 * 60 * 1000;
/// A presence row not refreshed for this long is gone (its process crashed).
pub const PRESENCE_TTL_MS: i64 = 60_000;
/// How often an open stream refreshes its presence rows.
pub const PRESENCE_REFRESH: Duration = Duration::from_secs(20);
/// The most rows one read of the hub or one resume returns.
const BATCH: u64 = 500;

/// A change to announce. Never the record's content: only what the stream filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub kind: LiveKind,
    pub record: RecordType,
    pub key: String,
    /// The incident the record belongs to (an incident's own key for incident events).
    pub incident: Option<String>,
    /// For actions: the owners now and before the change (`actions:mine`).
    pub owners: Vec<UserId>,
    /// The users the event is addressed to: mentions, review requests (`notifications`).
    pub audience: Vec<UserId>,
    pub version: Option<i64>,
    pub by: Option<String>,
}

impl LiveEvent {
    fn new(kind: LiveKind, record: RecordType, key: &str, actor: &Actor) -> Self {
        Self {
            kind,
            record,
            key: key.to_owned(),
            incident: None,
            owners: Vec::new(),
            audience: Vec::new(),
            version: None,
            by: actor.user.as_ref().map(|u| u.email.clone()),
        }
    }

    /// An incident was declared or changed; `version` is its version now.
    pub fn incident_updated(key: &str, version: i64, actor: &Actor) -> Self {
        Self {
            incident: Some(key.to_owned()),
            version: Some(version),
            ..Self::new(LiveKind::IncidentUpdated, RecordType::Incident, key, actor)
        }
    }

    /// A timeline entry was added to incident `key`.
    pub fn timeline_added(key: &str, actor: &Actor) -> Self {
        Self {
            incident: Some(key.to_owned()),
            ..Self::new(LiveKind::TimelineAdded, RecordType::Incident, key, actor)
        }
    }

    /// The postmortem of incident `key` was saved or moved; `version` is its version now.
    pub fn postmortem_saved(key: &str, version: i64, actor: &Actor) -> Self {
        Self {
            incident: Some(key.to_owned()),
            version: Some(version),
            ..Self::new(
                LiveKind::PostmortemSaved,
                RecordType::Postmortem,
                key,
                actor,
            )
        }
    }

    /// An action was created, changed or moved. `owners`: its owner now and before.
    pub fn action_updated(
        key: &str,
        version: i64,
        incident: Option<String>,
        owners: impl IntoIterator<Item = Option<UserId>>,
        actor: &Actor,
    ) -> Self {
        let mut owners: Vec<UserId> = owners.into_iter().flatten().collect();
        owners.sort();
        owners.dedup();
        Self {
            incident,
            owners,
            version: Some(version),
            ..Self::new(LiveKind::ActionUpdated, RecordType::Action, key, actor)
        }
    }

    /// A comment on `record` `key` (for a postmortem the incident's key), mentioning
    /// `mentioned`; `incident`: the incident it belongs to, if any.
    pub fn comment_added(
        record: RecordType,
        key: &str,
        incident: Option<String>,
        mentioned: Vec<UserId>,
        actor: &Actor,
    ) -> Self {
        Self {
            incident,
            audience: mentioned,
            ..Self::new(LiveKind::CommentAdded, record, key, actor)
        }
    }

    /// An alert arrived for incident `key`.
    pub fn alert_received(key: &str, actor: &Actor) -> Self {
        Self {
            incident: Some(key.to_owned()),
            ..Self::new(LiveKind::AlertReceived, RecordType::Incident, key, actor)
        }
    }
}

/// `,3,7,` for a list of users (`None` when empty).
fn id_list(ids: &[UserId]) -> Option<String> {
    (!ids.is_empty()).then(|| {
        let inner: Vec<String> = ids.iter().map(|i| i.0.to_string()).collect();
        format!(",{},", inner.join(","))
    })
}

fn parse_ids(s: Option<&str>) -> Vec<UserId> {
    s.unwrap_or("")
        .split(',')
        .filter_map(|p| p.parse().ok())
        .map(UserId)
        .collect()
}

/// Process-wide: bumped by every [`publish`], so this process's hubs look at once.
static WAKE: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::channel(0).0);

/// Records `ev` as part of the transaction `db` runs (call it before the commit): the event
/// exists, and is delivered, only if the change commits.
pub async fn publish(db: &impl ConnectionTrait, ev: LiveEvent) -> AppResult<()> {
    let row = live_event::ActiveModel {
        event: Set(ev.kind.as_str().to_owned()),
        record_type: Set(ev.record.as_str().to_owned()),
        record_key: Set(ev.key),
        incident_key: Set(ev.incident),
        owners: Set(id_list(&ev.owners)),
        audience: Set(id_list(&ev.audience)),
        version: Set(ev.version),
        by_email: Set(ev.by),
        created_at: Set(to_ms(Utc::now())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // Delivered to every listening process when (and only if) the transaction commits.
        let mut p = Sql::new();
        let sql = format!(
            "SELECT pg_notify({}, {})",
            p.bind(CHANNEL),
            p.bind(row.id.to_string())
        );
        db.execute_raw(p.statement(DbBackend::Postgres, sql))
            .await?;
    }
    WAKE.send_modify(|n| *n = n.wrapping_add(1));
    Ok(())
}

/// An event as stored, ready to filter and send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub kind: LiveKind,
    pub record: String,
    pub key: String,
    pub incident: Option<String>,
    pub owners: Vec<UserId>,
    pub audience: Vec<UserId>,
    pub version: Option<i64>,
    pub by: Option<String>,
}

impl Stored {
    fn from_row(m: live_event::Model) -> Option<Self> {
        Some(Self {
            id: m.id,
            kind: LiveKind::parse(&m.event)?,
            owners: parse_ids(m.owners.as_deref()),
            audience: parse_ids(m.audience.as_deref()),
            record: m.record_type,
            key: m.record_key,
            incident: m.incident_key,
            version: m.version,
            by: m.by_email,
        })
    }

    pub fn facts(&self) -> Facts<'_> {
        Facts {
            kind: self.kind,
            record: &self.record,
            key: &self.key,
            incident: self.incident.as_deref(),
            owners: &self.owners,
            audience: &self.audience,
        }
    }

    /// Whether a reader `me` subscribed to `topics` receives this event.
    pub fn matches(&self, topics: &[Topic], me: Option<UserId>) -> bool {
        let f = self.facts();
        topics.iter().any(|t| t.matches(&f, me))
    }

    /// The `data` of the SSE event.
    pub fn data(&self) -> LiveData {
        LiveData {
            record: self.record.clone(),
            key: self.key.clone(),
            version: self.version,
            by: self.by.clone(),
        }
    }
}

/// Stored events with an id above `after`, oldest first, at most `BATCH` of them.
pub async fn since(db: &impl ConnectionTrait, after: i64) -> AppResult<Vec<Stored>> {
    let rows = live_event::Entity::find()
        .filter(live_event::Column::Id.gt(after))
        .order_by_asc(live_event::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(Stored::from_row).collect())
}

/// The newest event id (0 when there is none).
pub async fn newest(db: &impl ConnectionTrait) -> AppResult<i64> {
    Ok(live_event::Entity::find()
        .order_by_desc(live_event::Column::Id)
        .one(db)
        .await?
        .map_or(0, |m| m.id))
}

/// The process's fan-out of new events: one per process (the server puts it in the state).
/// It reads nothing until the first [`Hub::subscribe`].
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    tx: broadcast::Sender<Arc<Stored>>,
    started: OnceCell<()>,
    /// Woken by the PostgreSQL listener.
    notified: Arc<Notify>,
    process: String,
    connections: AtomicU64,
    /// True once the process shuts down: every open stream ends.
    closing: watch::Sender<bool>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("process", &self.inner.process)
            .finish()
    }
}

impl Hub {
    /// A hub over `db`; its reader starts with the first subscriber.
    pub fn new(db: DatabaseConnection) -> Self {
        let (tx, _) = broadcast::channel(1024);
        Self {
            inner: Arc::new(Inner {
                db,
                tx,
                started: OnceCell::new(),
                notified: Arc::new(Notify::new()),
                process: crate::ssr::secrets::random_secret()
                    .chars()
                    .take(12)
                    .collect(),
                connections: AtomicU64::new(0),
                closing: watch::channel(false).0,
            }),
        }
    }

    /// Events that become visible from now on. Subscribe before reading a backlog with
    /// [`since`], then skip the ids already sent: no gap, no duplicate.
    pub async fn subscribe(&self) -> AppResult<broadcast::Receiver<Arc<Stored>>> {
        let rx = self.inner.tx.subscribe();
        self.inner
            .started
            .get_or_try_init(|| async {
                let start = newest(&self.inner.db).await?;
                self.spawn(start);
                AppResult::Ok(())
            })
            .await?;
        Ok(rx)
    }

    /// Ends every open stream of this process, as the server shuts down: a stream never ends
    /// by itself (a page keeps it open), so a graceful shutdown would wait for it forever.
    /// The browsers reconnect (to another process, or this one restarted).
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Becomes true when [`Hub::close`] is called; each open stream watches it.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// A new id for one open stream (its presence rows carry it).
    pub fn connection_id(&self) -> String {
        let n = self.inner.connections.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.inner.process)
    }

    fn spawn(&self, start: i64) {
        let db = self.inner.db.clone();
        let weak = Arc::downgrade(&self.inner);
        let postgres = db.get_database_backend() == DbBackend::Postgres;
        if postgres {
            tokio::spawn(listen(
                db.get_postgres_connection_pool().clone(),
                self.inner.notified.clone(),
                weak.clone(),
            ));
        }
        let poll = if postgres {
            // NOTIFY does the work; the poll only catches what a reconnect may have missed.
            Duration::from_secs(2)
        } else {
            Duration::from_millis(250)
        };
        tokio::spawn(read_loop(db, weak, start, poll));
    }
}

/// Listens for `NOTIFY hindsight_live` and wakes the hub, reconnecting when the connection
/// drops, until the hub is gone.
async fn listen(pool: sea_orm::sqlx::PgPool, notified: Arc<Notify>, hub: Weak<Inner>) {
    use sea_orm::sqlx::postgres::PgListener;
    while hub.strong_count() > 0 {
        match PgListener::connect_with(&pool).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => loop {
                    // Read once after (re)connecting: what was committed meanwhile.
                    notified.notify_one();
                    match l.try_recv().await {
                        // `None`: the connection dropped; the next call reconnects.
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "live updates: the listener failed; reconnecting");
                            break;
                        }
                    }
                    if hub.strong_count() == 0 {
                        return;
                    }
                },
                Err(e) => tracing::warn!(error = %e, "live updates: LISTEN failed"),
            },
            Err(e) => tracing::warn!(error = %e, "live updates: cannot connect the listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// How long an id that was skipped (a transaction still open, or rolled back) is looked
/// for again: PostgreSQL may commit a lower id after a higher one.
const HOLE_TTL: Duration = Duration::from_secs(30);

/// Reads new rows whenever woken (or every `poll`) and broadcasts them, until the hub is gone.
async fn read_loop(db: DatabaseConnection, hub: Weak<Inner>, start: i64, poll: Duration) {
    let mut wake = WAKE.subscribe();
    let mut last = start;
    let mut holes: BTreeMap<i64, Instant> = BTreeMap::new();
    let Some(notified) = hub.upgrade().map(|h| h.notified.clone()) else {
        return;
    };
    loop {
        tokio::select! {
            _ = wake.changed() => {}
            _ = notified.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
        let Some(inner) = hub.upgrade() else {
            return;
        };
        // Read even while no stream is open (the rows go nowhere): `last` must move on, or
        // the next stream to open would be sent what happened before it opened.
        holes.retain(|_, seen| seen.elapsed() < HOLE_TTL);
        match read_new(&db, last, &holes).await {
            Ok(rows) => {
                for r in rows {
                    holes.remove(&r.id);
                    if r.id > last {
                        for missing in (last + 1)..r.id {
                            if holes.len() < 1000 {
                                holes.insert(missing, Instant::now());
                            }
                        }
                        last = r.id;
                    }
                    let _ = inner.tx.send(Arc::new(r));
                }
            }
            Err(e) => tracing::warn!(error = %e, "live updates: reading new events failed"),
        }
    }
}

async fn read_new(
    db: &DatabaseConnection,
    last: i64,
    holes: &BTreeMap<i64, Instant>,
) -> AppResult<Vec<Stored>> {
    let mut cond = Condition::any().add(live_event::Column::Id.gt(last));
    if !holes.is_empty() {
        cond = cond.add(live_event::Column::Id.is_in(holes.keys().copied()));
    }
    let rows = live_event::Entity::find()
        .filter(cond)
        .order_by_asc(live_event::Column::Id)
        .limit(BATCH)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(Stored::from_row).collect())
}

/// The presence event of `topic`, if it keeps presence.
fn presence_event(topic: &Topic, actor: &Actor) -> Option<LiveEvent> {
    let (record, key) = match topic {
        Topic::Postmortem(k) => (RecordType::Postmortem, k),
        Topic::Incident(k) => (RecordType::Incident, k),
        _ => return None,
    };
    Some(LiveEvent {
        incident: Some(key.clone()),
        ..LiveEvent::new(LiveKind::PresenceChanged, record, key, actor)
    })
}

/// Registers `actor` as having the pages of `topics` open on stream `connection`.
pub async fn join<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    connection: &str,
    topics: &[Topic],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(me) = actor.user_id() else {
        return Ok(());
    };
    let txn = crate::ssr::db::write(db).await?;
    for t in topics.iter().filter(|t| t.presence()) {
        presence::ActiveModel {
            user_id: Set(me.0),
            topic: Set(t.to_string()),
            connection: Set(connection.to_owned()),
            seen_at: Set(to_ms(now)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some(ev) = presence_event(t, actor) {
            publish(&txn, ev).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Keeps the presence rows of stream `connection` fresh.
pub async fn refresh(
    db: &impl ConnectionTrait,
    connection: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    presence::Entity::update_many()
        .col_expr(
            presence::Column::SeenAt,
            sea_orm::sea_query::Expr::value(to_ms(now)),
        )
        .filter(presence::Column::Connection.eq(connection))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes `rows` and announces each topic whose row this call removed (a concurrent
/// [`prune`] or [`leave`] may have taken it first: then the other call announces it).
async fn remove<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rows: Vec<presence::Model>,
) -> AppResult<usize> {
    let mut removed = 0;
    for r in rows {
        let txn = crate::ssr::db::write(db).await?;
        let res = presence::Entity::delete_by_id(r.id).exec(&txn).await?;
        if res.rows_affected == 1 {
            removed += 1;
            let who = user::Entity::find_by_id(r.user_id).one(&txn).await?;
            let actor = match who {
                Some(u) => Actor::from_user(&u, crate::ssr::auth::Via::System),
                None => Actor::system(),
            };
            if let Some(ev) = Topic::parse(&r.topic)
                .ok()
                .and_then(|t| presence_event(&t, &actor))
            {
                publish(&txn, ev).await?;
            }
        }
        txn.commit().await?;
    }
    Ok(removed)
}

/// Stream `connection` closed: its user no longer has those pages open.
pub async fn leave<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    connection: &str,
) -> AppResult<()> {
    let rows = presence::Entity::find()
        .filter(presence::Column::Connection.eq(connection))
        .all(db)
        .await?;
    remove(db, rows).await.map(|_| ())
}

/// Who has the page of `topic` open now, by name.
pub async fn present(
    db: &impl ConnectionTrait,
    actor: &Actor,
    topic: &Topic,
    now: DateTime<Utc>,
) -> AppResult<Vec<Present>> {
    actor.require(Op::Read)?;
    let ids: BTreeSet<i64> = presence::Entity::find()
        .filter(presence::Column::Topic.eq(topic.to_string()))
        .filter(presence::Column::SeenAt.gt(to_ms(now) - PRESENCE_TTL_MS))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.user_id)
        .collect();
    let mut out: Vec<Present> = crate::ssr::services::common::lookup::people(db, ids)
        .await?
        .into_values()
        .map(|u| Present {
            email: u.email,
            name: u.name,
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.email.cmp(&b.email)));
    Ok(out)
}

/// What one [`prune`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub events: u64,
    pub presence: usize,
}

/// Removes events older than [`KEEP_MS`] and presence rows of streams that stopped
/// refreshing (announcing those). Safe to run in several processes at once: each row is
/// deleted by one of them, and no run fails because another took a row first.
pub async fn prune<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> AppResult<Pruned> {
    let events = live_event::Entity::delete_many()
        .filter(live_event::Column::CreatedAt.lt(to_ms(now) - KEEP_MS))
        .exec(db)
        .await?
        .rows_affected;
    let stale = presence::Entity::find()
        .filter(presence::Column::SeenAt.lte(to_ms(now) - PRESENCE_TTL_MS))
        .all(db)
        .await?;
    let presence = remove(db, stale).await?;
    Ok(Pruned { events, presence })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_round_trip() {
        assert_eq!(id_list(&[]), None);
        let s = id_list(&[UserId(3), UserId(17)]);
        assert_eq!(s.as_deref(), Some(",3,17,"));
        assert_eq!(parse_ids(s.as_deref()), vec![UserId(3), UserId(17)]);
        assert!(parse_ids(None).is_empty());
    }
}
