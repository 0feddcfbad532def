//! The live-update stream as a browser sees it: the real router served on a local port, and a
//! reader of `GET /api/v1/stream` that yields its Server-Sent Events one at a time, with a
//! timeout so a missing event fails a test instead of hanging it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::ssr::AppState;
use serde_json::Value;

use crate::http::Client;

/// How long a test waits for an event it expects.
pub const WAIT: Duration = Duration::from_secs(5);

/// The site's state over `db` as [`crate::http::state`] builds it, with a comment line every
/// `heartbeat` on idle streams (presence is refreshed as often, at most every 20 s).
pub fn state(db: sea_orm::DatabaseConnection, heartbeat: Duration) -> AppState {
    let mut s = crate::http::state(db);
    s.config = Arc::new(app::ssr::RuntimeConfig {
        stream_heartbeat: heartbeat,
        ..(*s.config).clone()
    });
    s
}

/// The real router over one state (one hub, as one process has), served on `127.0.0.1:0`
/// until dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn start(state: AppState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = hindsight::web::router(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self { addr, state, task }
    }

    /// `http://ADDR` of the server.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `like`'s credentials on this server's router (in-process calls, same hub).
    pub fn client(&self, like: &Client) -> Client {
        Client {
            app: hindsight::web::router(self.state.clone()),
            ..like.clone()
        }
    }

    /// Opens a stream on `topics` with `who`'s session or token; panics unless it is a 200.
    /// Sends `Accept-Encoding` as a browser does: the stream must still come uncompressed.
    pub async fn stream(&self, who: &Client, topics: &str) -> Stream {
        request(&self.base(), who, topics, None, true)
            .await
            .expect_ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The answer to opening a stream: a stream, or the refusal.
pub enum Opened {
    Stream(Box<Stream>),
    Refused {
        status: reqwest::StatusCode,
        body: Value,
    },
}

impl Opened {
    pub fn expect_ok(self) -> Stream {
        match self {
            Opened::Stream(s) => *s,
            Opened::Refused { status, body } => panic!("the stream was refused: {status} {body}"),
        }
    }

    /// The status and JSON body of a refusal; panics on a stream.
    pub fn expect_refused(self) -> (reqwest::StatusCode, Value) {
        match self {
            Opened::Stream(_) => panic!("the stream opened, a refusal was expected"),
            Opened::Refused { status, body } => (status, body),
        }
    }
}

/// Opens `GET BASE/api/v1/stream?topics=…` as a browser's `EventSource` does, with `who`'s
/// session cookie or bearer token and, when given, `Last-Event-ID`.
pub async fn open(base: &str, who: &Client, topics: &str, last_event_id: Option<i64>) -> Opened {
    request(base, who, topics, last_event_id, false).await
}

/// [`open`], with a browser's `Accept-Encoding` when `compressible` (a refusal's body then
/// comes compressed, which this client does not read).
async fn request(
    base: &str,
    who: &Client,
    topics: &str,
    last_event_id: Option<i64>,
    compressible: bool,
) -> Opened {
    let http = reqwest::Client::new();
    let mut req = http
        .get(format!("{base}/api/v1/stream"))
        .query(&[("topics", topics)])
        .header("accept", "text/event-stream");
    if compressible {
        req = req.header("accept-encoding", "gzip, deflate, br");
    }
    if let Some(c) = &who.cookie {
        req = req.header("cookie", format!("hindsight_session={c}"));
    }
    if let Some(t) = &who.token {
        req = req.bearer_auth(t);
    }
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let res = tokio::time::timeout(WAIT, req.send())
        .await
        .expect("the stream answers within 5 s")
        .expect("the stream's request goes through");
    let status = res.status();
    if status != reqwest::StatusCode::OK {
        let body = res.json().await.unwrap_or(Value::Null);
        return Opened::Refused { status, body };
    }
    Opened::Stream(Box::new(Stream {
        headers: res.headers().clone(),
        res,
        buf: Vec::new(),
        pending: Default::default(),
        record: Record::default(),
        ended: false,
    }))
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<i64>,
    pub event: String,
    /// The `data` as JSON (`Null` if it is none).
    pub data: Value,
    /// The `data` as sent.
    pub raw: String,
}

impl SseEvent {
    /// The id (panics when the event has none).
    pub fn id(&self) -> i64 {
        self.id
            .unwrap_or_else(|| panic!("an event without an id: {self:?}"))
    }
}

/// What a stream yields: a comment line (`: text`) or an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Comment(String),
    Event(SseEvent),
}

#[derive(Default)]
struct Record {
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

/// An open stream. Dropping it closes the connection, as closing the page does.
pub struct Stream {
    pub headers: reqwest::header::HeaderMap,
    res: reqwest::Response,
    buf: Vec<u8>,
    pending: std::collections::VecDeque<Item>,
    record: Record,
    /// The server ended the stream.
    ended: bool,
}

impl Stream {
    /// Parses the complete lines in the buffer into items.
    fn parse(&mut self) {
        while let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
            let bytes: Vec<u8> = self.buf.drain(..=end).collect();
            let line = String::from_utf8(bytes).expect("the stream is UTF-8");
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                let r = std::mem::take(&mut self.record);
                if r.event.is_some() || r.data.is_some() {
                    let raw = r.data.unwrap_or_default();
                    self.pending.push_back(Item::Event(SseEvent {
                        id: r.id.map(|i| i.parse().expect("a numeric event id")),
                        event: r.event.unwrap_or_else(|| "message".into()),
                        data: serde_json::from_str(&raw).unwrap_or(Value::Null),
                        raw,
                    }));
                }
                continue;
            }
            if let Some(c) = line.strip_prefix(':') {
                self.pending
                    .push_back(Item::Comment(c.trim_start().to_owned()));
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                None => (line, ""),
            };
            match field {
                "id" => self.record.id = Some(value.to_owned()),
                "event" => self.record.event = Some(value.to_owned()),
                "data" => {
                    let d = self.record.data.get_or_insert_with(String::new);
                    if !d.is_empty() {
                        d.push('\n');
                    }
                    d.push_str(value);
                }
                _ => {}
            }
        }
    }

    /// The next comment or event within `within`; `None` when nothing came in that time or
    /// the server closed the stream.
    pub async fn next_within(&mut self, within: Duration) -> Option<Item> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            self.parse();
            if let Some(i) = self.pending.pop_front() {
                return Some(i);
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .ok()?
                .expect("the stream reads without an error");
            let Some(chunk) = chunk else {
                self.ended = true;
                return None;
            };
            self.buf.extend_from_slice(&chunk);
        }
    }

    /// Whether the server ends the stream within `within` (what comes before is skipped).
    pub async fn ended_within(&mut self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while !self.ended {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if self.next_within(left).await.is_none() && !self.ended {
                return false;
            }
        }
        true
    }

    /// The next event (comments skipped) within `within`, or `None`.
    pub async fn event_within(&mut self, within: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await? {
                Item::Event(e) => return Some(e),
                Item::Comment(_) => {}
            }
        }
    }

    /// The next event, comments skipped; fails the test after [`WAIT`].
    pub async fn event(&mut self) -> SseEvent {
        self.event_within(WAIT)
            .await
            .expect("an event arrives within 5 s")
    }

    /// The next event other than `presence.changed` (who opened or left a page).
    pub async fn change(&mut self) -> SseEvent {
        loop {
            let e = self.event().await;
            if e.event != "presence.changed" {
                return e;
            }
        }
    }

    /// The next comment line (events skipped) within `within`, or `None`.
    pub async fn comment_within(&mut self, within: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await? {
                Item::Comment(c) => return Some(c),
                Item::Event(_) => {}
            }
        }
    }
}
