//! Channels: where messages go (admins). The URL and a webhook's secret are write-only: an
//! answer shows the URL's host, never the URL itself.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

use super::deliver::{self, Claimed};
use super::outbox::{events_of, filter_of};
use super::render::{self, Notice};
use crate::domain::authz::Op;
use crate::domain::notify::ChannelFilter;
use crate::domain::{AuditAction, ChannelKind, DeliveryStatus, NotifyEvent, RecordType};
use crate::error::{AppError, AppResult};
use crate::model::{Channel, ChannelPatch, CreatedChannel, Delivery, NewChannel, Page, TestSent};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{channel, delivery};
use crate::ssr::secrets::random_secret;
use crate::ssr::services::common::page::Keyset;
use crate::ssr::{from_ms, to_ms};

/// The channel the `reminder_webhook_url` setting keeps.
pub const MANAGED_REMINDERS: &str = "reminder_webhook_url";
/// The reminder events.
pub const REMINDER_EVENTS: [NotifyEvent; 3] = [
    NotifyEvent::ActionDueSoon,
    NotifyEvent::ActionOverdue,
    NotifyEvent::ActionVerificationDue,
];

/// The host of `url` (what reads show).
pub fn host_of(url: &str) -> String {
    url.split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(url)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// An absolute `http`/`https` URL with a host.
pub fn check_url(url: &str) -> AppResult<String> {
    let u = url.trim();
    let ok = (u.starts_with("https://") || u.starts_with("http://"))
        && !host_of(u).is_empty()
        && u.len() <= 2000
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(u.to_owned())
    } else {
        Err(AppError::invalid(
            "url",
            "must be an absolute http or https URL",
        ))
    }
}

fn check_name(name: &str) -> AppResult<String> {
    crate::ssr::services::common::text::short("name", name)
}

fn check_events(events: &[NotifyEvent]) -> AppResult<String> {
    if events.is_empty() {
        return Err(AppError::invalid("events", "name at least one event"));
    }
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Ok(serde_json::to_string(&names).unwrap_or_else(|_| "[]".into()))
}

fn filter_json(f: Option<&ChannelFilter>) -> Option<String> {
    f.filter(|f| !f.is_empty())
        .and_then(|f| serde_json::to_string(f).ok())
}

pub fn view(c: &channel::Model) -> Channel {
    let filter = filter_of(c);
    Channel {
        id: c.id,
        name: c.name.clone(),
        kind: c.kind,
        url_host: host_of(&c.url),
        events: events_of(c),
        filter: (!filter.is_empty()).then_some(filter),
        enabled: c.enabled,
        managed: c.managed.clone(),
        created_at: from_ms(c.created_at),
    }
}

async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<channel::Model> {
    channel::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("channel {id}")))
}

pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: NewChannel,
    now: DateTime<Utc>,
) -> AppResult<CreatedChannel> {
    actor.require(Op::Administer)?;
    let name = check_name(&new.name)?;
    let url = check_url(&new.url)?;
    let events = check_events(&new.events)?;
    if channel::Entity::find()
        .filter(channel::Column::Name.eq(name.clone()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::conflict(format!("a channel named {name} exists")));
    }
    let secret = (new.kind == ChannelKind::Webhook).then(|| format!("hsw_{}", random_secret()));
    let txn = crate::ssr::db::write(db).await?;
    let c = channel::ActiveModel {
        name: Set(name),
        kind: Set(new.kind),
        url: Set(url),
        secret: Set(secret.clone()),
        events: Set(events),
        filter: Set(filter_json(new.filter.as_ref())),
        enabled: Set(true),
        managed: Set(None),
        created_by: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Channel,
        &c.id.to_string(),
        AuditAction::Create,
        &[
            FieldChange::new("name", None, Some(c.name.clone())),
            FieldChange::new("kind", None, Some(c.kind.to_string())),
            FieldChange::new("url", None, Some(format!("https://{}/…", host_of(&c.url)))),
            FieldChange::new("events", None, Some(c.events.clone())),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedChannel {
        secret,
        channel: view(&c),
    })
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Vec<Channel>> {
    actor.require(Op::Administer)?;
    Ok(channel::Entity::find()
        .order_by_asc(channel::Column::Name)
        .all(db)
        .await?
        .iter()
        .map(view)
        .collect())
}

pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> AppResult<Channel> {
    actor.require(Op::Administer)?;
    Ok(view(&find(db, id).await?))
}

pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    patch: ChannelPatch,
    now: DateTime<Utc>,
) -> AppResult<Channel> {
    actor.require(Op::Administer)?;
    let txn = crate::ssr::db::write(db).await?;
    let old = find(&txn, id).await?;
    if old.managed.is_some() && (patch.url.is_some() || patch.events.is_some()) {
        return Err(AppError::conflict(
            "this channel follows the reminder_webhook_url setting: change it on the settings page",
        ));
    }
    let mut m: channel::ActiveModel = old.clone().into();
    let mut changes = Vec::new();
    if let Some(n) = &patch.name {
        let n = check_name(n)?;
        changes.push(FieldChange::new(
            "name",
            Some(old.name.clone()),
            Some(n.clone()),
        ));
        m.name = Set(n);
    }
    if let Some(u) = &patch.url {
        let u = check_url(u)?;
        changes.push(FieldChange::new(
            "url",
            Some(format!("https://{}/…", host_of(&old.url))),
            Some(format!("https://{}/…", host_of(&u))),
        ));
        m.url = Set(u);
    }
    if let Some(e) = &patch.events {
        let e = check_events(e)?;
        changes.push(FieldChange::new(
            "events",
            Some(old.events.clone()),
            Some(e.clone()),
        ));
        m.events = Set(e);
    }
    if let Some(f) = &patch.filter {
        let f = filter_json(f.as_ref());
        changes.push(FieldChange::new("filter", old.filter.clone(), f.clone()));
        m.filter = Set(f);
    }
    if let Some(en) = patch.enabled {
        changes.push(FieldChange::new(
            "enabled",
            Some(old.enabled.to_string()),
            Some(en.to_string()),
        ));
        m.enabled = Set(en);
    }
    let c = m.update(&txn).await.map_err(|e| match e {
        sea_orm::DbErr::RecordNotUpdated => AppError::not_found(format!("channel {id}")),
        e => e.into(),
    })?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Channel,
        &id.to_string(),
        AuditAction::Update,
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(view(&c))
}

pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    actor.require(Op::Administer)?;
    let txn = crate::ssr::db::write(db).await?;
    let c = find(&txn, id).await?;
    channel::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Channel,
        &id.to_string(),
        AuditAction::Delete,
        &[FieldChange::new("name", Some(c.name), None)],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The channel's messages, newest first, a keyset page (`page` is the last id seen).
pub async fn deliveries(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    page: Option<&str>,
    limit: Option<u64>,
) -> AppResult<Page<Delivery>> {
    actor.require(Op::Administer)?;
    find(db, id).await?;
    let keyset = Keyset::new(limit.map(|l| u32::try_from(l).unwrap_or(u32::MAX)), page)?;
    let rows = keyset
        .apply(
            delivery::Entity::find().filter(delivery::Column::ChannelId.eq(id)),
            delivery::Column::Id,
        )
        .all(db)
        .await?;
    let (rows, next) = keyset.finish(rows, |d| d.id);
    Ok(Page {
        items: rows
            .into_iter()
            .map(|d| Delivery {
                id: d.id,
                event: d.event,
                record_type: d.record_type,
                record: d.record_key,
                status: d.status,
                attempts: d.attempts,
                last_status: d.last_status,
                last_error: d.last_error,
                created_at: from_ms(d.created_at),
                next_attempt_at: (d.status == DeliveryStatus::Pending)
                    .then(|| from_ms(d.next_attempt_at)),
                delivered_at: d.delivered_at.map(from_ms),
            })
            .collect(),
        next: next.map(|n| n.to_string()),
    })
}

/// Sends a test message now and answers with the result; it is in the delivery log too.
pub async fn test<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    client: &reqwest::Client,
    origin: &str,
    now: DateTime<Utc>,
) -> AppResult<TestSent> {
    actor.require(Op::Administer)?;
    let c = find(db, id).await?;
    let n = Notice {
        event: NotifyEvent::IncidentDeclared,
        record_type: RecordType::Channel,
        key: format!("channel {}", c.name),
        title: "Test message".into(),
        incident: None,
        severity: None,
        services: Vec::new(),
        team: None,
        facts: vec![("Sent by".into(), actor.who().label)],
        summary: format!("A test message from Hindsight to the channel {}.", c.name),
        url: format!("{}/admin", origin.trim_end_matches('/')),
        by: actor.who().label,
        at: now,
    };
    let mut row = super::outbox::pending(
        super::outbox::Recipient::Channel(c.id),
        "test",
        RecordType::Channel,
        &c.id.to_string(),
        render::body(c.kind, &n).to_string(),
        now,
    );
    // Never picked up by the worker: it is sent here, once.
    row.next_attempt_at = Set(i64::MAX);
    row.claimed_until = Set(Some(to_ms(now + deliver::LEASE)));
    let row = row.insert(db).await?;
    let claimed = Claimed {
        until: row.claimed_until.unwrap_or_default(),
        delivery: row,
        channel: c,
    };
    let out = deliver::send(client, &claimed, now).await;
    let delivered = matches!(out.attempt.status, Some(s) if (200..300).contains(&s));
    // A test is sent once: not retried whatever the answer.
    let status = if delivered {
        DeliveryStatus::Delivered
    } else {
        DeliveryStatus::Failed
    };
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            sea_orm::sea_query::Expr::value(status.as_str()),
        )
        .col_expr(
            delivery::Column::Attempts,
            sea_orm::sea_query::Expr::value(1),
        )
        .col_expr(
            delivery::Column::ClaimedUntil,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .col_expr(
            delivery::Column::LastStatus,
            sea_orm::sea_query::Expr::value(out.attempt.status.map(i32::from)),
        )
        .col_expr(
            delivery::Column::LastError,
            sea_orm::sea_query::Expr::value(out.error.clone()),
        )
        .col_expr(
            delivery::Column::DeliveredAt,
            sea_orm::sea_query::Expr::value(delivered.then(|| to_ms(Utc::now()))),
        )
        .filter(delivery::Column::Id.eq(claimed.delivery.id))
        .exec(db)
        .await?;
    Ok(TestSent {
        delivered,
        status: out.attempt.status,
        error: out.error,
    })
}

/// Keeps the channel of the `reminder_webhook_url` setting in step with it: a Slack channel
/// subscribed to the three reminder events; none when the setting is empty.
pub async fn sync_reminder_channel(
    db: &impl ConnectionTrait,
    url: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let existing = channel::Entity::find()
        .filter(channel::Column::Managed.eq(MANAGED_REMINDERS))
        .one(db)
        .await?;
    let url = url.map(str::trim).filter(|u| !u.is_empty());
    let events = check_events(&REMINDER_EVENTS)?;
    match (existing, url) {
        (None, None) => {}
        (Some(c), None) => {
            channel::Entity::delete_by_id(c.id).exec(db).await?;
        }
        (Some(c), Some(u)) => {
            if c.url != u || c.events != events {
                let mut m: channel::ActiveModel = c.into();
                m.url = Set(u.to_owned());
                m.events = Set(events);
                m.update(db).await?;
            }
        }
        (None, Some(u)) => {
            channel::ActiveModel {
                name: Set("Deadline reminders (reminder_webhook_url)".into()),
                kind: Set(ChannelKind::Slack),
                url: Set(u.to_owned()),
                secret: Set(None),
                events: Set(events),
                filter: Set(None),
                enabled: Set(true),
                managed: Set(Some(MANAGED_REMINDERS.into())),
                created_by: Set(None),
                created_at: Set(to_ms(now)),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_show_the_host_only() {
        assert_eq!(
            host_of("https://hooks.slack.com/services/T0/B0/secret"),
            "hooks.slack.com"
        );
        assert_eq!(
            host_of("https://user:pw@example.org:8443/x?y"),
            "example.org:8443"
        );
        assert_eq!(host_of("http://127.0.0.1:9/hook"), "127.0.0.1:9");
    }

    #[test]
    fn urls_are_absolute_http() {
        assert!(check_url("https://hooks.slack.com/services/x").is_ok());
        for bad in [
            "",
            "ftp://x",
            "https://",
            "javascript:alert(1)",
            "https://a b",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
