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

/// An Atlassian Document Format document: one paragraph per block of text, the link last.
pub fn adf(text: &str, link: &str) -> Value {
    let mut content: Vec<Value> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| json!({"type": "paragraph", "content": [{"type": "text", "text": p}]}))
        .collect();
    content.push(json!({"type": "paragraph", "content": [
        {"type": "text", "text": link, "marks": [{"type": "link", "attrs": {"href": link}}]}
    ]}));
    json!({"type": "doc", "version": 1, "content": content})
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
            headers: vec![
                auth_header(c),
                ("accept", "application/vnd.github+json".into()),
                ("x-github-api-version", "2022-11-28".into()),
            ],
            body: json!({"title": d.summary, "body": text, "labels": ["hindsight"]}),
        },
        TrackerKind::Gitlab => {
            let token = match c {
                TrackerCredentials::Token { token } => token.clone(),
                _ => String::new(),
            };
            let mut body = json!({"title": d.summary, "description": text, "labels": "hindsight"});
            if let Some(due) = d.due_date {
                body["due_date"] = json!(due.to_string());
            }
            Request {
                url: format!("{base}/projects/{}/issues", t.project.replace('/', "%2F")),
                headers: vec![("private-token", token)],
                body,
            }
        }
    }
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

/// Sends `r` and returns the JSON answer of a success.
pub async fn send(http: &reqwest::Client, kind: TrackerKind, r: &Request) -> AppResult<Value> {
    let mut req = http
        .post(&r.url)
        .header(
            "user-agent",
            concat!("Hindsight/", env!("CARGO_PKG_VERSION")),
        )
        .header("content-type", "application/json")
        .json(&r.body);
    for (k, v) in &r.headers {
        req = req.header(*k, v);
    }
    let res = req.send().await.map_err(|e| AppError::Upstream {
        message: if e.is_timeout() {
            format!("{} did not answer in time", kind.label())
        } else {
            format!("cannot reach {}", kind.label())
        },
    })?;
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limited = res
        .headers()
        .get("x-ratelimit-remaining")
        .or_else(|| res.headers().get("ratelimit-remaining"))
        .and_then(|v| v.to_str().ok())
        == Some("0");
    let v: Value = res.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(v);
    }
    if status.as_u16() == 429 || (status.as_u16() == 403 && limited) {
        return Err(AppError::TooManyRequests {
            message: format!(
                "{} is rate-limiting Hindsight; try again{}",
                kind.label(),
                retry.map(|s| format!(" in {s} s")).unwrap_or_default()
            ),
        });
    }
    let words = their_words(&v);
    Err(AppError::Upstream {
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
    fn errors_carry_the_trackers_words() {
        let v =
            json!({"errorMessages": [], "errors": {"priority": "Field 'priority' cannot be set."}});
        assert_eq!(their_words(&v), "priority: Field 'priority' cannot be set.");
        assert_eq!(their_words(&json!({"message": "Not Found"})), "Not Found");
    }
}
