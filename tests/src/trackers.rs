//! A contract server for the trackers' REST endpoints Hindsight calls: Jira
//! `POST /rest/api/3/issue` (Cloud, ADF description, Basic auth) and `/rest/api/2/issue`
//! (Data Center, text, Bearer PAT), GitHub `POST /repos/{owner}/{repo}/issues` and GitLab
//! `POST /api/v4/projects/{id}/issues`. Each request is checked against the documented shape
//! (required fields, authentication and version headers); a request that does not fit is
//! answered 400 with what is wrong, in the vendor's error shape. Good requests get the
//! vendor's documented example answer (tests/fixtures/trackers/) with a fresh key. Reads
//! (`GET` of one issue) and comments (Jira comment, GitHub issue comment, GitLab note) answer
//! with the documented objects too; a test closes and reopens issues with [`Contract::close`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::http::{Client, created};

/// A request as it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A scripted answer: status, headers, body.
type Scripted = (u16, Vec<(String, String)>, Value);

#[derive(Default)]
struct Inner {
    seen: Vec<Seen>,
    next: u64,
    /// Answers to give before the normal ones: (status, headers, body).
    script: Vec<Scripted>,
    /// Issues closed in the tracker: key → closed-at time (RFC 3339).
    closed: std::collections::HashMap<String, String>,
    /// Headers added to every normal answer (rate-limit budget).
    extra: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct Contract {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

/// Connects tracker `body` as `admin`, its `base_url` a path on contract server `api`:
/// (id, webhook secret).
pub async fn connect(admin: &Client, api: &Contract, body: Value) -> (i64, String) {
    let mut b = body;
    b["base_url"] = json!(api.url(b["base_url"].as_str().unwrap_or("")));
    let t = created(admin, "/api/v1/trackers", b).await;
    (
        t["id"].as_i64().unwrap(),
        t["secret"].as_str().unwrap().to_owned(),
    )
}

/// A new action of `ic` (owned by ic@example.org), linked in one click to an issue of
/// tracker `id`: (action key, issue key or number — `OPS-1`, `1` —, the action's created_at).
pub async fn linked(ic: &Client, id: i64, title: &str) -> (String, String, String) {
    let a = created(
        ic,
        "/api/v1/actions",
        json!({"title": title, "owner": "ic@example.org"}),
    )
    .await;
    let key = a["key"].as_str().unwrap().to_owned();
    let r = ic
        .post(
            &format!("/api/v1/actions/{key}/tracker"),
            json!({"tracker": id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (
        key,
        r.body["issue"]["key"]
            .as_str()
            .unwrap()
            .trim_start_matches('#')
            .to_owned(),
        a["created_at"].as_str().unwrap().to_owned(),
    )
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/trackers/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

impl Contract {
    pub async fn start() -> Self {
        let inner: Arc<Mutex<Inner>> = Default::default();
        let state = inner.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { answer(&state, method, uri, headers, body) }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        Self { addr, inner }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.lock().unwrap().seen.clone()
    }

    /// The next answer is `status` (with `Retry-After` when given) and `body`.
    pub fn fail_next(&self, status: u16, retry_after: Option<u32>, body: Value) {
        let headers = retry_after
            .map(|r| vec![("retry-after".to_owned(), r.to_string())])
            .unwrap_or_default();
        self.answer_next(status, headers, body);
    }

    /// The next answer is `status` with `headers` and `body`.
    pub fn answer_next(&self, status: u16, headers: Vec<(String, String)>, body: Value) {
        self.inner
            .lock()
            .unwrap()
            .script
            .push((status, headers, body));
    }

    /// Every normal answer carries `headers` from now on (e.g. a spent rate-limit budget).
    pub fn always_send(&self, headers: Vec<(String, String)>) {
        self.inner.lock().unwrap().extra = headers;
    }

    /// Issue `key` (`OPS-57`, `214`, `42`) is closed in the tracker at `at` (RFC 3339),
    /// as a person there would close it; reads show it so.
    pub fn close(&self, key: &str, at: &str) {
        self.inner
            .lock()
            .unwrap()
            .closed
            .insert(key.to_owned(), at.to_owned());
    }

    /// Issue `key` is open again.
    pub fn reopen(&self, key: &str) {
        self.inner.lock().unwrap().closed.remove(key);
    }

    /// The requests that read an issue (GET).
    pub fn reads(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == Method::GET)
            .collect()
    }
}

fn refuse(why: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"errorMessages": [format!("contract: {why}")], "errors": {}, "message": format!("contract: {why}")})),
    )
        .into_response()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn answer(
    state: &Arc<Mutex<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let n = {
        let mut i = state.lock().unwrap();
        i.seen.push(Seen {
            method: method.clone(),
            path: path.clone(),
            headers: headers.clone(),
            body: body.clone(),
        });
        if !i.script.is_empty() {
            let (status, extra, b) = i.script.remove(0);
            let mut res = (StatusCode::from_u16(status).unwrap(), axum::Json(b)).into_response();
            for (k, v) in extra {
                res.headers_mut().insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            return res;
        }
        i.next += 1;
        (i.next, i.closed.clone(), i.extra.clone())
    };
    let (n, closed, extra) = n;
    let mut res = if method == Method::GET {
        read(&path, &headers, &closed)
    } else if method != Method::POST {
        (StatusCode::METHOD_NOT_ALLOWED, "only GET and POST here").into_response()
    } else if header(&headers, "content-type") != "application/json" {
        refuse("content-type must be application/json".into())
    } else {
        write(n, &path, &headers, &body)
    };
    for (k, v) in extra {
        res.headers_mut().insert(
            axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    res
}

/// The vendor's authentication for `path`, or what is wrong with it.
fn check_auth(path: &str, headers: &HeaderMap) -> Result<(), String> {
    let auth = header(headers, "authorization");
    if path.starts_with("/rest/api/3/") && !auth.starts_with("Basic ") {
        return Err("Jira Cloud takes Basic email:api_token".into());
    }
    if path.starts_with("/rest/api/2/") && !auth.starts_with("Bearer ") {
        return Err("Jira Data Center takes a Bearer personal access token".into());
    }
    if path.starts_with("/repos/") {
        if !auth.starts_with("Bearer ") {
            return Err("GitHub takes Authorization: Bearer TOKEN".into());
        }
        if header(headers, "accept") != "application/vnd.github+json" {
            return Err("Accept must be application/vnd.github+json".into());
        }
        if header(headers, "x-github-api-version").is_empty() {
            return Err("X-GitHub-Api-Version is required".into());
        }
        if header(headers, "user-agent").is_empty() {
            return Err("GitHub requires a User-Agent".into());
        }
    }
    if path.starts_with("/api/v4/")
        && header(headers, "private-token").is_empty()
        && !auth.starts_with("Bearer ")
    {
        return Err("GitLab takes PRIVATE-TOKEN".into());
    }
    Ok(())
}

/// `GET` of one issue: Jira `/rest/api/{2,3}/issue/{key}`, GitHub
/// `/repos/{o}/{r}/issues/{n}`, GitLab `/api/v4/projects/{id}/issues/{iid}` — the documented
/// issue answer, closed when a test closed it.
fn read(
    path: &str,
    headers: &HeaderMap,
    closed: &std::collections::HashMap<String, String>,
) -> Response {
    if let Err(why) = check_auth(path, headers) {
        return refuse(why);
    }
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        ["rest", "api", v @ ("2" | "3"), "issue", key] => {
            let mut out = fixture(if *v == "3" {
                "jira-v3-get-issue-response.json"
            } else {
                "jira-v2-get-issue-response.json"
            });
            out["key"] = json!(key);
            let f = &mut out["fields"];
            match closed.get(*key) {
                Some(at) => {
                    f["status"]["name"] = json!("Done");
                    f["status"]["statusCategory"]["key"] = json!("done");
                    f["resolutiondate"] = json!(at);
                }
                None => {
                    f["status"]["name"] = json!("In Progress");
                    f["status"]["statusCategory"]["key"] = json!("indeterminate");
                    f["resolution"] = Value::Null;
                    f["resolutiondate"] = Value::Null;
                }
            }
            axum::Json(out).into_response()
        }
        ["repos", owner, repo, "issues", number] => {
            let mut out = fixture("github-get-issue-response.json");
            out["number"] = json!(number.parse::<i64>().unwrap_or(0));
            out["html_url"] = json!(format!("https://github.com/{owner}/{repo}/issues/{number}"));
            match closed.get(*number) {
                Some(at) => {
                    out["state"] = json!("closed");
                    out["state_reason"] = json!("completed");
                    out["closed_at"] = json!(at);
                }
                None => {
                    out["state"] = json!("open");
                    out["state_reason"] = Value::Null;
                    out["closed_at"] = Value::Null;
                }
            }
            axum::Json(out).into_response()
        }
        ["api", "v4", "projects", _, "issues", iid] => {
            let mut out = fixture("gitlab-get-issue-response.json");
            out["iid"] = json!(iid.parse::<i64>().unwrap_or(0));
            match closed.get(*iid) {
                Some(at) => {
                    out["state"] = json!("closed");
                    out["closed_at"] = json!(at);
                }
                None => {
                    out["state"] = json!("opened");
                    out["closed_at"] = Value::Null;
                }
            }
            axum::Json(out).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Not Found"})),
        )
            .into_response(),
    }
}

/// A comment on an issue: Jira `POST /rest/api/{2,3}/issue/{key}/comment` (ADF body on v3,
/// text on v2), GitHub `POST /repos/{o}/{r}/issues/{n}/comments`, GitLab
/// `POST /api/v4/projects/{id}/issues/{iid}/notes`.
fn comment(n: u64, path: &str, headers: &HeaderMap, body: &Value) -> Option<Response> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ok = match segs.as_slice() {
        ["rest", "api", "3", "issue", _, "comment"] => {
            let b = &body["body"];
            if !(b["type"] == "doc" && b["version"] == 1 && b["content"].is_array()) {
                return Some(refuse(
                    "v3 takes the comment body as an Atlassian Document Format doc".into(),
                ));
            }
            let mut out = fixture("jira-v3-add-comment-response.json");
            out["id"] = json!((10000 + n).to_string());
            out["body"] = b.clone();
            out
        }
        ["rest", "api", "2", "issue", _, "comment"] => {
            if !body["body"].is_string() {
                return Some(refuse("v2 takes the comment body as text".into()));
            }
            json!({"id": (10000 + n).to_string(), "body": body["body"].clone()})
        }
        ["repos", _, _, "issues", _, "comments"]
        | ["api", "v4", "projects", _, "issues", _, "notes"] => {
            if body["body"].as_str().is_none_or(|t| t.is_empty()) {
                return Some(refuse("body is required".into()));
            }
            json!({"id": 1_000_000 + n, "body": body["body"].clone()})
        }
        _ => return None,
    };
    if let Err(why) = check_auth(path, headers) {
        return Some(refuse(why));
    }
    Some((StatusCode::CREATED, axum::Json(ok)).into_response())
}

fn write(n: u64, path: &str, headers: &HeaderMap, body: &Value) -> Response {
    if let Some(r) = comment(n, path, headers, body) {
        return r;
    }
    let headers = headers.clone();
    let body = body.clone();
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segs.as_slice() {
        ["rest", "api", v @ ("2" | "3"), "issue"] => {
            let auth = header(&headers, "authorization");
            if *v == "3" && !auth.starts_with("Basic ") {
                return refuse("Jira Cloud takes Basic email:api_token".into());
            }
            if *v == "2" && !auth.starts_with("Bearer ") {
                return refuse("Jira Data Center takes a Bearer personal access token".into());
            }
            let f = &body["fields"];
            for (name, ok) in [
                ("project.key", f["project"]["key"].is_string()),
                (
                    "summary",
                    f["summary"]
                        .as_str()
                        .is_some_and(|s| !s.is_empty() && s.len() <= 255),
                ),
                (
                    "issuetype",
                    f["issuetype"]["name"].is_string() || f["issuetype"]["id"].is_string(),
                ),
            ] {
                if !ok {
                    return refuse(format!("fields.{name} is required"));
                }
            }
            let desc = &f["description"];
            let adf_ok =
                desc["type"] == "doc" && desc["version"] == 1 && desc["content"].is_array();
            if *v == "3" && !adf_ok {
                return refuse(
                    "v3 takes the description as an Atlassian Document Format doc".into(),
                );
            }
            if *v == "2" && !desc.is_string() {
                return refuse("v2 takes the description as text".into());
            }
            if !f["duedate"].is_null()
                && chrono::NaiveDate::parse_from_str(
                    f["duedate"].as_str().unwrap_or(""),
                    "%Y-%m-%d",
                )
                .is_err()
            {
                return refuse("fields.duedate must be YYYY-MM-DD".into());
            }
            let mut out = fixture("jira-v3-create-issue-response.json");
            let key = format!("{}-{}", f["project"]["key"].as_str().unwrap(), 56 + n);
            out["key"] = json!(key);
            out["id"] = json!((10481 + n).to_string());
            out["self"] = json!(format!(
                "http://{}/rest/api/{v}/issue/{}",
                header(&headers, "host"),
                10481 + n
            ));
            (StatusCode::CREATED, axum::Json(out)).into_response()
        }
        ["repos", owner, repo, "issues"] => {
            if !header(&headers, "authorization").starts_with("Bearer ") {
                return refuse("GitHub takes Authorization: Bearer TOKEN".into());
            }
            if header(&headers, "accept") != "application/vnd.github+json" {
                return refuse("Accept must be application/vnd.github+json".into());
            }
            if header(&headers, "x-github-api-version").is_empty() {
                return refuse("X-GitHub-Api-Version is required".into());
            }
            if header(&headers, "user-agent").is_empty() {
                return refuse("GitHub requires a User-Agent".into());
            }
            if body["title"].as_str().is_none_or(|t| t.is_empty()) {
                return refuse("title is required".into());
            }
            let mut out = fixture("github-create-issue-response.json");
            let number = 213 + n;
            out["number"] = json!(number);
            out["title"] = body["title"].clone();
            out["body"] = body["body"].clone();
            out["html_url"] = json!(format!("https://github.com/{owner}/{repo}/issues/{number}"));
            (StatusCode::CREATED, axum::Json(out)).into_response()
        }
        ["api", "v4", "projects", project, "issues"] => {
            if header(&headers, "private-token").is_empty()
                && !header(&headers, "authorization").starts_with("Bearer ")
            {
                return refuse("GitLab takes PRIVATE-TOKEN".into());
            }
            if body["title"].as_str().is_none_or(|t| t.is_empty()) {
                return refuse("title is required".into());
            }
            let mut out = fixture("gitlab-create-issue-response.json");
            let iid = 41 + n;
            out["iid"] = json!(iid);
            out["title"] = body["title"].clone();
            let path = project.replace("%2F", "/");
            out["web_url"] = json!(format!("https://gitlab.acme.example/{path}/-/issues/{iid}"));
            (StatusCode::CREATED, axum::Json(out)).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Not Found"})),
        )
            .into_response(),
    }
}
