//! A real HTTP receiver for the delivery tests and the benchmark: each path answers from
//! its own script (500, 429 with `Retry-After`, a hang, any status) and then 200, and every
//! request is recorded with its headers, body and arrival time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// One scripted answer.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// 429 with `Retry-After: secs`.
    TooMany(u32),
    /// No answer for this long (the sender's timeout should fire first).
    Hang(Duration),
}

/// A request as it arrived.
#[derive(Debug, Clone)]
pub struct Got {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

impl Got {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

#[derive(Default)]
struct Inner {
    scripts: HashMap<String, Vec<Answer>>,
    got: Vec<Got>,
    delay: Duration,
}

/// The running receiver; clones share it.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        let inner: Arc<Mutex<Inner>> = Default::default();
        let app = axum::Router::new()
            .route("/{*path}", axum::routing::post(take))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self { addr, inner }
    }

    /// The URL of `path` (e.g. `/flaky`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What `path` answers next, in order; 200 after the script.
    pub fn script(&self, path: &str, answers: &[Answer]) {
        self.inner
            .lock()
            .unwrap()
            .scripts
            .insert(path.to_owned(), answers.to_vec());
    }

    /// Every answer waits this long first (to make workers overlap).
    pub fn delay_all(&self, d: Duration) {
        self.inner.lock().unwrap().delay = d;
    }

    /// Every request so far.
    pub fn got(&self) -> Vec<Got> {
        self.inner.lock().unwrap().got.clone()
    }

    /// The requests to `path`.
    pub fn got_at(&self, path: &str) -> Vec<Got> {
        self.got().into_iter().filter(|g| g.path == path).collect()
    }
}

async fn take(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/{path}");
    let (answer, delay) = {
        let mut i = inner.lock().unwrap();
        i.got.push(Got {
            path: path.clone(),
            headers,
            body,
            at: Instant::now(),
        });
        let answer = i
            .scripts
            .get_mut(&path)
            .and_then(|s| (!s.is_empty()).then(|| s.remove(0)));
        (answer, i.delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match answer {
        None => (StatusCode::OK, "ok").into_response(),
        Some(Answer::Status(s)) => (
            StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "scripted",
        )
            .into_response(),
        Some(Answer::TooMany(secs)) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
            "slow down",
        )
            .into_response(),
        Some(Answer::Hang(d)) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "late").into_response()
        }
    }
}
