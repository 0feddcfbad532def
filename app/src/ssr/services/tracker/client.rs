//! What Hindsight says to a tracker: create an issue (Jira REST v3 with an Atlassian Document
//! Format description on Cloud, v2 with plain text on Data Center; GitHub and GitLab issues
//! with the `hindsight` label). Answers that are not a success become a 502 naming the
//! tracker's status and its own error text, never the credentials; 429 says when to retry.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::domain::{Priority, TrackerKind};
use crate::error::{AppError, AppResult};
use crate::model::TrackerCredentials;
use crate::ssr::entities::tracker;

use super::is_jira_cloud;

/// The issue to create, from an action.
#[derive(Debug, Clone)]
pub struct IssueDraft {
    pub summary: String,
    /// Plain text, paragraphs separated by blank lines.
    pub description: String,
    /// The action's page.
    pub link: String,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
}

/// The created issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// `OPS-57`, `214` (GitHub number) or `42` (GitLab iid).
    pub key: String,
    pub url: String,
    pub state: String,
}

/// A request to the tracker: method, URL, headers and JSON body.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Value,
}

fn auth_header(c: &TrackerCredentials) -> (&'static str, String) {
    use base64::Engine;
    match c {
        TrackerCredentials::Basic { email, api_token } => (
            "authorization",
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{email}:{api_token}"))
            ),
        ),
        TrackerCredentials::Pat { pat } => ("authorization", format!("Bearer {pat}")),
        TrackerCredentials::Token { token } => ("authorization", format!("Bearer {token}")),
    }
}

/// Jira's priority names for Hindsight's.
pub fn jira_priority(p: Priority) -> &'static str {
    match p {
        Priority::Critical => "Highest",
        Priority::High => "High",
        Priority::Medium => "Medium",
        Priority::Low => "Low",
    }
}

/// Atlassian Document Format paragraphs: one per block of text (blocks part at a blank line).
fn paragraphs(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| json!({"type": "paragraph", "content": [{"type": "text", "text": p}]}))
        .collect()
}

/// An Atlassian Document Format document of `content`.
fn doc(content: Vec<Value>) -> Value {
    json!({"type": "doc", "version": 1, "content": content})
}

/// An Atlassian Document Format document: one paragraph per block of text, the link last.
pub fn adf(text: &str, link: &str) -> Value {
    let mut content = paragraphs(text);
    content.push(json!({"type": "paragraph", "content": [
        {"type": "text", "text": link, "marks": [{"type": "link", "attrs": {"href": link}}]}
    ]}));
    doc(content)
}

/// The request that creates `d` in tracker `t`.
pub fn create_request(t: &tracker::Model, c: &TrackerCredentials, d: &IssueDraft) -> Request {
    let base = t.base_url.trim_end_matches('/');
    let text = format!("{}\n\n{}", d.description.trim(), d.link);
    match t.kind {
        TrackerKind::Jira => {
            let cloud = is_jira_cloud(base);
            let mut fields = json!({
                "project": {"key": t.project},
                "summary": d.summary,
                "issuetype": {"name": "Task"},
                "labels": ["hindsight"],
                "priority": {"name": jira_priority(d.priority)},
            });
            fields["description"] = if cloud {
                adf(&d.description, &d.link)
            } else {
                Value::String(text)
            };
            if let Some(due) = d.due_date {
                fields["duedate"] = json!(due.to_string());
            }
            Request {
                url: format!("{base}/rest/api/{}/issue", if cloud { 3 } else { 2 }),
                headers: vec![auth_header(c), ("accept", "application/json".into())],
                body: json!({ "fields": fields }),
            }
        }
        TrackerKind::Github => Request {
            url: format!("{base}/repos/{}/issues", t.project),
            headers: github_headers(c),
            body: json!({"title": d.summary, "body": text, "labels": ["hindsight"]}),
        },
        TrackerKind::Gitlab => {
            let mut body = json!({"title": d.summary, "description": text, "labels": "hindsight"});
            if let Some(due) = d.due_date {
                body["due_date"] = json!(due.to_string());
            }
            Request {
                url: format!("{base}/projects/{}/issues", t.project.replace('/', "%2F")),
                headers: vec![gitlab_header(c)],
                body,
            }
        }
    }
}

/// The request that reads issue `key` (`OPS-57`, `214`, `42`).
pub fn get_request(t: &tracker::Model, c: &TrackerCredentials, key: &str) -> Request {
    let base = t.base_url.trim_end_matches('/');
    let (url, headers) = match t.kind {
        TrackerKind::Jira => (
            format!(
                "{base}/rest/api/{}/issue/{key}?fields=status,resolutiondate,updated",
                if is_jira_cloud(base) { 3 } else { 2 }
            ),
            vec![auth_header(c), ("accept", "application/json".into())],
        ),
        TrackerKind::Github => (
            format!("{base}/repos/{}/issues/{key}", t.project),
            github_headers(c),
        ),
        TrackerKind::Gitlab => (
            format!(
                "{base}/projects/{}/issues/{key}",
                t.project.replace('/', "%2F")
            ),
            vec![gitlab_header(c)],
        ),
    };
    Request {
        url,
        headers,
        body: Value::Null,
    }
}

/// The request that comments `text` on issue `key` (Jira v3 as ADF, v2 as text; GitHub
/// issue comment; GitLab note).
pub fn comment_request(
    t: &tracker::Model,
    c: &TrackerCredentials,
    key: &str,
    text: &str,
) -> Request {
    let base = t.base_url.trim_end_matches('/');
    match t.kind {
        TrackerKind::Jira => {
            let cloud = is_jira_cloud(base);
            let body = if cloud {
                json!({"body": doc(paragraphs(text))})
            } else {
                json!({"body": text})
            };
            Request {
                url: format!(
                    "{base}/rest/api/{}/issue/{key}/comment",
                    if cloud { 3 } else { 2 }
                ),
                headers: vec![auth_header(c), ("accept", "application/json".into())],
                body,
            }
        }
        TrackerKind::Github => Request {
            url: format!("{base}/repos/{}/issues/{key}/comments", t.project),
            headers: github_headers(c),
            body: json!({"body": text}),
        },
        TrackerKind::Gitlab => Request {
            url: format!(
                "{base}/projects/{}/issues/{key}/notes",
                t.project.replace('/', "%2F")
            ),
            headers: vec![gitlab_header(c)],
            body: json!({"body": text}),
        },
    }
}

fn github_headers(c: &TrackerCredentials) -> Vec<(&'static str, String)> {
    vec![
        auth_header(c),
        ("accept", "application/vnd.github+json".into()),
        ("x-github-api-version", "2022-11-28".into()),
    ]
}

fn gitlab_header(c: &TrackerCredentials) -> (&'static str, String) {
    match c {
        TrackerCredentials::Token { token } => ("private-token", token.clone()),
        _ => ("private-token", String::new()),
    }
}

/// An issue's state as its tracker reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueState {
    /// As shown: `Done`, `open`, `closed`, `closed (not_planned)` …
    pub state: String,
    /// Whether it counts as done.
    pub done: bool,
    /// When it was closed (or last changed).
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Whether Jira status `status` (a `StatusDetails`) counts as done for `t`.
pub fn jira_done(t: &tracker::Model, status: &Value) -> bool {
    let name = status["name"].as_str().unwrap_or("");
    let done_states: Option<Vec<String>> = t
        .done_states
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok());
    match &done_states {
        Some(list) => list.iter().any(|s| s.eq_ignore_ascii_case(name)),
        None => status["statusCategory"]["key"].as_str() == Some("done"),
    }
}

/// GitHub's state as shown, and whether it counts as done (closed, not as not planned or a
/// duplicate).
pub fn github_state(state: &str, reason: Option<&str>) -> (String, bool) {
    let closed = state == "closed";
    let done = closed && !matches!(reason, Some("not_planned" | "duplicate"));
    let shown = match reason {
        Some(r) if closed && r != "completed" => format!("{state} ({r})"),
        _ => state.to_owned(),
    };
    (shown, done)
}

/// Reads an issue's state from the tracker's answer to [`get_request`].
pub fn read_state(t: &tracker::Model, v: &Value) -> AppResult<IssueState> {
    let missing = || AppError::Upstream {
        message: format!("{} answered without the issue's state", t.kind.label()),
    };
    let time = super::webhook::time;
    Ok(match t.kind {
        TrackerKind::Jira => {
            let f = &v["fields"];
            let status = &f["status"];
            IssueState {
                state: status["name"].as_str().ok_or_else(missing)?.to_owned(),
                done: jira_done(t, status),
                at: time(&f["resolutiondate"]).or_else(|| time(&f["updated"])),
            }
        }
        TrackerKind::Github => {
            let state = v["state"].as_str().ok_or_else(missing)?;
            let (shown, done) = github_state(state, v["state_reason"].as_str());
            IssueState {
                state: shown,
                done,
                at: time(&v["closed_at"]).or_else(|| time(&v["updated_at"])),
            }
        }
        TrackerKind::Gitlab => {
            let state = v["state"].as_str().ok_or_else(missing)?;
            IssueState {
                state: state.to_owned(),
                done: state == "closed",
                at: time(&v["closed_at"]).or_else(|| time(&v["updated_at"])),
            }
        }
    })
}

/// Reads the tracker's answer to a create.
pub fn read_created(t: &tracker::Model, v: &Value) -> AppResult<Created> {
    let missing = || AppError::Upstream {
        message: format!("{} answered without the new issue's key", t.kind.label()),
    };
    let base = t.base_url.trim_end_matches('/');
    Ok(match t.kind {
        TrackerKind::Jira => {
            let key = v["key"].as_str().ok_or_else(missing)?.to_owned();
            // The REST answer has no browse link; the site has one for every key.
            let site = base.split("/rest/").next().unwrap_or(base);
            Created {
                url: format!("{site}/browse/{key}"),
                key,
                state: "To Do".into(),
            }
        }
        TrackerKind::Github => Created {
            key: v["number"].as_i64().ok_or_else(missing)?.to_string(),
            url: v["html_url"].as_str().ok_or_else(missing)?.to_owned(),
            state: v["state"].as_str().unwrap_or("open").to_owned(),
        },
        TrackerKind::Gitlab => Created {
            key: v["iid"].as_i64().ok_or_else(missing)?.to_string(),
            url: v["web_url"].as_str().ok_or_else(missing)?.to_owned(),
            state: v["state"].as_str().unwrap_or("opened").to_owned(),
        },
    })
}

/// The tracker's own words from an error answer (Jira `errorMessages`/`errors`, GitHub and
/// GitLab `message`), cut short.
fn their_words(v: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(a) = v["errorMessages"].as_array() {
        parts.extend(a.iter().filter_map(|m| m.as_str().map(str::to_owned)));
    }
    if let Some(o) = v["errors"].as_object() {
        parts.extend(
            o.iter()
                .map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or(""))),
        );
    }
    if let Some(m) = v["message"].as_str() {
        parts.push(m.to_owned());
    } else if let Some(m) = v["message"].as_object() {
        parts.extend(m.iter().map(|(k, m)| format!("{k}: {m}")));
    }
    let s = parts.join("; ");
    s.chars().take(300).collect()
}

/// Why a call to a tracker did not succeed: its status (none when it did not answer), how
/// long it asks to wait (rate limits), and what to tell a person (never the credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: Option<u16>,
    pub wait: Option<chrono::Duration>,
    pub message: String,
    /// The request may have been carried out though no answer came (it was sent, then the
    /// wait ran out): sending it again could do it twice.
    pub unsure: bool,
}

impl Failure {
    /// Whether the tracker is rate-limiting Hindsight.
    pub fn limited(&self) -> bool {
        self.status == Some(429)
    }
}

impl From<Failure> for AppError {
    fn from(f: Failure) -> Self {
        if f.limited() {
            AppError::TooManyRequests { message: f.message }
        } else {
            AppError::Upstream { message: f.message }
        }
    }
}

/// How long the rate-limit headers of an answer ask to wait: `Retry-After` (seconds or a
/// date), else, when `X-RateLimit-Remaining` / `RateLimit-Remaining` is 0, until
/// `X-RateLimit-Reset` / `RateLimit-Reset` (epoch seconds on GitHub and GitLab, an ISO 8601
/// time on Jira).
pub fn limit_wait(
    h: &reqwest::header::HeaderMap,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::Duration> {
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(w) =
        get("retry-after").and_then(|v| crate::ssr::services::notify::deliver::retry_after(v, now))
    {
        return Some(w);
    }
    let remaining = get("x-ratelimit-remaining").or_else(|| get("ratelimit-remaining"));
    if remaining != Some("0") {
        return None;
    }
    let reset = get("x-ratelimit-reset").or_else(|| get("ratelimit-reset"))?;
    let at = match reset.parse::<i64>() {
        Ok(epoch) => chrono::DateTime::from_timestamp(epoch, 0)?,
        // Jira writes `yyyy-MM-ddTHH:mmZ` (no seconds); RFC 3339 is taken too.
        Err(_) => chrono::DateTime::parse_from_rfc3339(reset)
            .map(|t| t.with_timezone(&chrono::Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(reset, "%Y-%m-%dT%H:%MZ")
                    .ok()
                    .map(|n| n.and_utc())
            })?,
    };
    Some((at - now).max(chrono::Duration::seconds(1)))
}

/// A success: the JSON answer, and how long the rate-limit headers ask to wait before the
/// next call (when the budget is spent).
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: Value,
    pub wait: Option<chrono::Duration>,
}

/// Sends `r` (`POST` with its body, `GET` without) and returns the answer of a success.
pub async fn call(
    http: &reqwest::Client,
    kind: TrackerKind,
    get: bool,
    r: &Request,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Answer, Failure> {
    let mut req = if get {
        http.get(&r.url)
    } else {
        http.post(&r.url)
            .header("content-type", "application/json")
            .json(&r.body)
    }
    .timeout(std::time::Duration::from_secs(10))
    .header(
        "user-agent",
        concat!("Hindsight/", env!("CARGO_PKG_VERSION")),
    );
    for (k, v) in &r.headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.map_err(|e| Failure {
        status: None,
        wait: None,
        unsure: !e.is_connect(),
        // The error's text may carry the URL; it is left out.
        message: if e.is_timeout() {
            format!("{} did not answer in time", kind.label())
        } else {
            format!("cannot reach {}", kind.label())
        },
    })?;
    let status = res.status();
    let wait = limit_wait(res.headers(), now);
    let v: Value = res.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(Answer { body: v, wait });
    }
    // GitHub and GitLab also answer 403 when the budget is spent.
    if status.as_u16() == 429 || (status.as_u16() == 403 && wait.is_some()) {
        return Err(Failure {
            status: Some(429),
            wait,
            unsure: false,
            message: format!(
                "{} is rate-limiting Hindsight; try again{}",
                kind.label(),
                wait.map(|w| format!(" in {} s", w.num_seconds()))
                    .unwrap_or_default()
            ),
        });
    }
    let words = their_words(&v);
    Err(Failure {
        status: Some(status.as_u16()),
        wait: None,
        unsure: false,
        message: format!(
            "{} answered {}{}",
            kind.label(),
            status.as_u16(),
            if words.is_empty() {
                String::new()
            } else {
                format!(": {words}")
            }
        ),
    })
}

/// Sends the `POST` `r` and returns the JSON answer of a success.
pub async fn send(http: &reqwest::Client, kind: TrackerKind, r: &Request) -> AppResult<Value> {
    Ok(call(http, kind, false, r, chrono::Utc::now()).await?.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(kind: TrackerKind, base: &str, project: &str) -> tracker::Model {
        tracker::Model {
            id: 1,
            name: "t".into(),
            kind,
            base_url: base.into(),
            project: project.into(),
            credentials: String::new(),
            webhook_secret: String::new(),
            done_states: None,
            teams: None,
            auth: None,
            next_poll_at: 0,
            polled_at: None,
            poll_error: None,
            created_by: None,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    fn draft() -> IssueDraft {
        IssueDraft {
            summary: "ACT-12: Alert on pool saturation".into(),
            description: "Corrective action ACT-12 from INC-31.\n\nKind: detect".into(),
            link: "https://hindsight.example/actions/ACT-12".into(),
            priority: Priority::High,
            due_date: NaiveDate::from_ymd_opt(2026, 12, 18),
        }
    }

    #[test]
    fn jira_cloud_gets_v3_with_adf_and_data_center_v2_with_text() {
        let basic = TrackerCredentials::Basic {
            email: "bot@acme.example".into(),
            api_token: "tok".into(),
        };
        let r = create_request(
            &t(TrackerKind::Jira, "https://acme.atlassian.net", "OPS"),
            &basic,
            &draft(),
        );
        assert_eq!(r.url, "https://acme.atlassian.net/rest/api/3/issue");
        assert_eq!(r.headers[0].1, "Basic Ym90QGFjbWUuZXhhbXBsZTp0b2s=");
        let f = &r.body["fields"];
        assert_eq!(f["project"]["key"], "OPS");
        assert_eq!(f["description"]["type"], "doc");
        assert_eq!(f["description"]["version"], 1);
        assert_eq!(f["duedate"], "2026-12-18");
        assert_eq!(f["priority"]["name"], "High");
        assert_eq!(f["labels"], json!(["hindsight"]));
        let last = f["description"]["content"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(
            last["content"][0]["marks"][0]["attrs"]["href"],
            "https://hindsight.example/actions/ACT-12"
        );
        let pat = TrackerCredentials::Pat { pat: "p".into() };
        let r = create_request(
            &t(TrackerKind::Jira, "https://jira.acme.example", "OPS"),
            &pat,
            &draft(),
        );
        assert_eq!(r.url, "https://jira.acme.example/rest/api/2/issue");
        assert_eq!(r.headers[0].1, "Bearer p");
        assert!(
            r.body["fields"]["description"]
                .as_str()
                .unwrap()
                .ends_with("/actions/ACT-12")
        );
    }

    #[test]
    fn github_and_gitlab_get_their_own_shapes() {
        let tok = TrackerCredentials::Token { token: "x".into() };
        let r = create_request(
            &t(TrackerKind::Github, "https://api.github.com/", "acme/pay"),
            &tok,
            &draft(),
        );
        assert_eq!(r.url, "https://api.github.com/repos/acme/pay/issues");
        assert!(
            r.headers
                .iter()
                .any(|(k, v)| *k == "x-github-api-version" && v == "2022-11-28")
        );
        assert_eq!(r.body["labels"], json!(["hindsight"]));
        let r = create_request(
            &t(
                TrackerKind::Gitlab,
                "https://gitlab.acme.example/api/v4",
                "sre/pay",
            ),
            &tok,
            &draft(),
        );
        assert_eq!(
            r.url,
            "https://gitlab.acme.example/api/v4/projects/sre%2Fpay/issues"
        );
        assert_eq!(r.headers[0], ("private-token", "x".to_owned()));
        assert_eq!(r.body["due_date"], "2026-12-18");
    }

    #[test]
    fn rate_limit_headers_say_how_long_to_wait() {
        use reqwest::header::{HeaderMap, HeaderValue};
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let h = |pairs: &[(&'static str, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_str(v).unwrap());
            }
            m
        };
        let secs = chrono::Duration::seconds;
        assert_eq!(
            limit_wait(&h(&[("retry-after", "30")]), now),
            Some(secs(30))
        );
        // GitHub and GitLab: epoch seconds, only when the budget is spent.
        let reset = (now + secs(300)).timestamp().to_string();
        assert_eq!(
            limit_wait(
                &h(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset)
                ]),
                now
            ),
            Some(secs(300))
        );
        assert_eq!(
            limit_wait(
                &h(&[("ratelimit-remaining", "0"), ("ratelimit-reset", &reset)]),
                now
            ),
            Some(secs(300))
        );
        assert_eq!(
            limit_wait(
                &h(&[
                    ("x-ratelimit-remaining", "12"),
                    ("x-ratelimit-reset", &reset)
                ]),
                now
            ),
            None
        );
        // Jira: an ISO 8601 time without seconds.
        assert_eq!(
            limit_wait(
                &h(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "2026-12-03T10:05Z")
                ]),
                now
            ),
            Some(secs(300))
        );
        assert_eq!(limit_wait(&h(&[]), now), None);
    }

    #[test]
    fn errors_carry_the_trackers_words() {
        let v =
            json!({"errorMessages": [], "errors": {"priority": "Field 'priority' cannot be set."}});
        assert_eq!(their_words(&v), "priority: Field 'priority' cannot be set.");
        assert_eq!(their_words(&json!({"message": "Not Found"})), "Not Found");
    }
}
