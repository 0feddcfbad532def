//! Live updates: `GET /api/v1/stream` (Server-Sent Events) and `GET /api/v1/presence`.
//!
//! Each open stream is a task: it subscribes to the process's hub first, then sends the
//! stored events after `Last-Event-ID` (if given), then the live ones, skipping ids it has
//! sent already, so a resume has no gap and no duplicate. A stream on `postmortem:KEY` or
//! `incident:KEY` also keeps the reader's presence while it is open.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::domain::UserId;
use app::domain::authz::Op;
use app::domain::live::{Present, Topic};
use app::error::AppError;
use app::ssr::AppState;
use app::ssr::auth::Actor;
use app::ssr::live::{self, Stored};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::{broadcast, mpsc, watch};

use super::{ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stream", get(stream))
        .route("/presence", get(presence))
}

/// `GET /stream?topics=…`
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Comma-separated: `incidents`, `incident:KEY`, `postmortem:KEY`, `actions`,
    /// `actions:mine`, `action:KEY`, `known-error:KEY`, `notifications`.
    pub topics: String,
}

/// `GET /presence?topic=…`
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PresenceQuery {
    /// `postmortem:KEY` or `incident:KEY`.
    pub topic: String,
}

fn topics_of(s: &str) -> Result<Vec<Topic>, AppError> {
    Topic::parse_list(s).map_err(|e| AppError::invalid("topics", e.to_string()))
}

#[utoipa::path(get, path = "/api/v1/stream", tag = "live", params(StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume: every stored event after this id that matches the topics comes first")),
    responses(
        (status = 200, content_type = "text/event-stream", description = "Server-Sent Events. `event` is one of `incident.updated`, `timeline.added`, `comment.added`, `postmortem.saved`, `action.updated`, `alert.received`, `presence.changed`; `id` is the event's id (for `Last-Event-ID`); `data` is the JSON below, never the record's content. A comment line comes every 20 s.", body = app::domain::live::LiveData),
        (status = 401, body = ErrorBody),
        (status = 422, description = "An unknown topic; `fields` names `topics`", body = ErrorBody)))]
async fn stream(
    State(s): State<AppState>,
    Me(me): Me,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> ApiResult<Response> {
    me.require(Op::Read)?;
    let topics = topics_of(&q.topics)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    // Where a catch-up after falling behind starts when nothing has been looked at yet:
    // read before subscribing, so it is below whatever the subscription brings.
    let seen = match resume {
        Some(after) => after,
        None => live::newest(&s.reader).await?,
    };
    // Subscribed before the backlog is read: nothing committed from here on is missed.
    let rx = s.live.subscribe().await?;
    let (tx, out) = mpsc::channel::<Event>(64);
    let pump = Pump {
        db: s.db.clone(),
        connection: s.live.connection_id(),
        me,
        topics,
        sent: Recent::default(),
        tx,
        presence_every: live::PRESENCE_REFRESH.min(s.config.stream_heartbeat),
        seen,
    };
    tokio::spawn(pump.run(rx, resume, s.live.closing()));
    let events = futures_util::stream::unfold(out, |mut out| async move {
        out.recv().await.map(|e| (Ok::<_, Infallible>(e), out))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(s.config.stream_heartbeat))
        .into_response())
}

/// The ids a stream sent lately, to skip an event that arrives both ways.
#[derive(Default)]
struct Recent {
    order: VecDeque<i64>,
    set: HashSet<i64>,
}

impl Recent {
    const KEEP: usize = 4096;

    /// Records `id`; false when it was sent already.
    fn insert(&mut self, id: i64) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > Self::KEEP
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        true
    }
}

struct Pump {
    db: DatabaseConnection,
    connection: String,
    me: Actor,
    topics: Vec<Topic>,
    sent: Recent,
    tx: mpsc::Sender<Event>,
    presence_every: Duration,
    /// The newest event id this stream has looked at, sent or not (where a catch-up starts).
    seen: i64,
}

impl Pump {
    fn me(&self) -> Option<UserId> {
        self.me.user_id()
    }

    /// Sends `e` if the reader's topics take it and it was not sent yet; false once the
    /// client has gone.
    async fn offer(&mut self, e: &Stored) -> bool {
        self.seen = self.seen.max(e.id);
        if !e.matches(&self.topics, self.me()) || !self.sent.insert(e.id) {
            return true;
        }
        let ev = match Event::default()
            .id(e.id.to_string())
            .event(e.kind.as_str())
            .json_data(e.data())
        {
            Ok(ev) => ev,
            Err(err) => {
                tracing::warn!(error = %err, "live updates: cannot encode an event");
                return true;
            }
        };
        self.tx.send(ev).await.is_ok()
    }

    /// Sends the stored events after `after` (in batches), as a resume does.
    async fn backlog(&mut self, mut after: i64) -> bool {
        loop {
            let rows = match live::since(&self.db, after).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "live updates: reading the backlog failed");
                    return true;
                }
            };
            let full = rows.len() >= 500;
            for r in &rows {
                after = after.max(r.id);
                if !self.offer(r).await {
                    return false;
                }
            }
            if !full {
                return true;
            }
        }
    }

    async fn run(
        mut self,
        mut rx: broadcast::Receiver<Arc<Stored>>,
        resume: Option<i64>,
        mut closing: watch::Receiver<bool>,
    ) {
        // The browser's reconnect delay: quick, as the page wants to be current.
        if self
            .tx
            .send(
                Event::default()
                    .retry(Duration::from_secs(2))
                    .comment("hello"),
            )
            .await
            .is_err()
        {
            return;
        }
        let presence = self.topics.iter().any(Topic::presence) && self.me.user.is_some();
        if presence
            && let Err(e) = live::join(
                &self.db,
                &self.me,
                &self.connection,
                &self.topics,
                Utc::now(),
            )
            .await
        {
            tracing::warn!(error = %e, "live updates: cannot record presence");
        }
        let mut open = match resume {
            Some(after) => self.backlog(after).await,
            None => true,
        };
        let mut refresh = tokio::time::interval(self.presence_every);
        refresh.tick().await;
        while open {
            tokio::select! {
                _ = self.tx.closed() => open = false,
                // The server shuts down: the stream ends, and the browser reconnects.
                _ = async { drop(closing.wait_for(|c| *c).await) } => open = false,
                r = rx.recv() => match r {
                    Ok(e) => open = self.offer(&e).await,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow for the fan-out: catch up from the table instead.
                        let from = self.seen;
                        open = self.backlog(from).await;
                    }
                    Err(broadcast::error::RecvError::Closed) => open = false,
                },
                _ = refresh.tick(), if presence => {
                    if let Err(e) = live::refresh(&self.db, &self.connection, Utc::now()).await {
                        tracing::warn!(error = %e, "live updates: cannot refresh presence");
                    }
                }
            }
        }
        if presence && let Err(e) = live::leave(&self.db, &self.connection).await {
            tracing::warn!(error = %e, "live updates: cannot remove presence");
        }
    }
}

#[utoipa::path(get, path = "/api/v1/presence", tag = "live", params(PresenceQuery),
    responses((status = 200, description = "Who has the page open now (a stream on the topic), by name", body = Vec<Present>),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn presence(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(q): ApiQuery<PresenceQuery>,
) -> ApiResult<impl IntoResponse> {
    let topic = Topic::parse(&q.topic).map_err(|e| AppError::invalid("topic", e.to_string()))?;
    Ok(Json(
        live::present(&s.reader, &me, &topic, Utc::now()).await?,
    ))
}
