//! What a channel receives for a change: a Slack message (`text` plus Block Kit `blocks`), a
//! Teams Workflows message (an Adaptive Card in `attachments`), or the signed webhook's JSON.
//! Rendered when the change happens and stored in the outbox as it will be sent.

use serde_json::{Value, json};

use crate::domain::{ChannelKind, NotifyEvent, RecordType, Severity};

/// A change, as every message tells it. Never a secret, never internal-only text where the
/// event is what customers were told.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub event: NotifyEvent,
    pub record_type: RecordType,
    /// `INC-3`, `ACT-7`, … (a postmortem's is its incident's).
    pub key: String,
    /// The record's title.
    pub title: String,
    /// The incident the record belongs to, with its severity and services (for filters).
    pub incident: Option<String>,
    pub severity: Option<Severity>,
    pub services: Vec<String>,
    /// An action's team.
    pub team: Option<String>,
    /// Facts shown as label and value (`Status`, `Owner`, `Due` …).
    pub facts: Vec<(String, String)>,
    /// One line of what happened (`Severity changed sev3 → sev1: …`).
    pub summary: String,
    /// The record's page (under `HINDSIGHT_PUBLIC_URL`).
    pub url: String,
    /// Who did it (an e-mail, `system`, `hook:NAME`).
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// Slack's `mrkdwn` needs only `&`, `<` and `>` escaped.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Plain text longer than Slack's 150-character header limit is cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn headline(n: &Notice) -> String {
    format!("[{}] {} {}", n.event.label(), n.key, n.title)
}

/// The body for a channel of `kind`.
pub fn body(kind: ChannelKind, n: &Notice) -> Value {
    match kind {
        ChannelKind::Slack => slack(n),
        ChannelKind::Teams => teams(n),
        ChannelKind::Webhook => webhook(n),
    }
}

fn slack(n: &Notice) -> Value {
    let mut fields: Vec<Value> = Vec::new();
    if let Some(s) = n.severity {
        fields.push(json!({"type": "mrkdwn", "text": format!("*Severity*\n{}", s.label())}));
    }
    for (k, v) in &n.facts {
        fields.push(json!({"type": "mrkdwn", "text": format!("*{}*\n{}", slack_escape(k), slack_escape(v))}));
    }
    fields.truncate(10); // Slack takes at most ten fields in a section.
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(&headline(n), 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&slack_escape(&n.summary), 3000)}}),
    ];
    if !fields.is_empty() {
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    blocks.push(json!({"type": "actions", "elements": [{
        "type": "button",
        "text": {"type": "plain_text", "text": "Open in Hindsight"},
        "url": n.url,
        "action_id": "open_in_hindsight",
    }]}));
    json!({
        "text": format!("{}: {} <{}|Open>", slack_escape(&headline(n)), slack_escape(&n.summary), n.url),
        "blocks": blocks,
    })
}

fn teams(n: &Notice) -> Value {
    let mut facts: Vec<Value> = Vec::new();
    if let Some(s) = n.severity {
        facts.push(json!({"title": "Severity", "value": s.label()}));
    }
    for (k, v) in &n.facts {
        facts.push(json!({"title": k, "value": v}));
    }
    let mut body = vec![
        json!({"type": "TextBlock", "text": headline(n), "weight": "Bolder", "size": "Medium", "wrap": true}),
        json!({"type": "TextBlock", "text": n.summary, "wrap": true}),
    ];
    if !facts.is_empty() {
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": "Open in Hindsight", "url": n.url}],
            },
        }],
    })
}

fn webhook(n: &Notice) -> Value {
    let facts: serde_json::Map<String, Value> = n
        .facts
        .iter()
        .map(|(k, v)| (k.to_lowercase().replace(' ', "_"), Value::String(v.clone())))
        .collect();
    json!({
        "event": n.event.as_str(),
        "occurred_at": n.at.to_rfc3339(),
        "record": {"type": n.record_type.as_str(), "key": n.key, "title": n.title, "url": n.url},
        "incident": n.incident,
        "severity": n.severity,
        "services": n.services,
        "team": n.team,
        "summary": n.summary,
        "facts": facts,
        "by": n.by,
    })
}

/// The webhook's signature header value: `sha256=<hex HMAC-SHA256 of "timestamp.body">`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    use hmac::Mac;
    // HMAC takes a key of any length: this never fails.
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> Notice {
        Notice {
            event: NotifyEvent::IncidentSeverityChanged,
            record_type: RecordType::Incident,
            key: "INC-7".into(),
            title: "Checkout <errors> & timeouts".into(),
            incident: Some("INC-7".into()),
            severity: Some(Severity::Sev1),
            services: vec!["checkout".into()],
            team: None,
            facts: vec![("Status".into(), "Investigating".into())],
            summary: "Severity changed SEV3 → SEV1: card processor down".into(),
            url: "https://hindsight.example.org/incidents/INC-7".into(),
            by: "ic@example.org".into(),
            at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn slack_has_text_header_and_a_link_back() {
        let b = body(ChannelKind::Slack, &notice());
        assert!(
            b["text"]
                .as_str()
                .unwrap()
                .contains("INC-7 Checkout &lt;errors&gt; &amp; timeouts")
        );
        assert_eq!(b["blocks"][0]["type"], "header");
        assert_eq!(b["blocks"][0]["text"]["type"], "plain_text");
        let last = b["blocks"].as_array().unwrap().last().unwrap();
        assert_eq!(
            last["elements"][0]["url"],
            "https://hindsight.example.org/incidents/INC-7"
        );
        assert!(b.to_string().contains("*Severity*\\nSEV1"));
    }

    #[test]
    fn teams_is_an_adaptive_card_in_attachments() {
        let b = body(ChannelKind::Teams, &notice());
        assert_eq!(b["type"], "message");
        let a = &b["attachments"][0];
        assert_eq!(a["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(a["content"]["type"], "AdaptiveCard");
        assert_eq!(a["content"]["actions"][0]["type"], "Action.OpenUrl");
        assert_eq!(
            a["content"]["actions"][0]["url"],
            "https://hindsight.example.org/incidents/INC-7"
        );
    }

    #[test]
    fn webhooks_carry_the_facts_and_are_signed_over_timestamp_and_body() {
        let b = body(ChannelKind::Webhook, &notice());
        assert_eq!(b["event"], "incident.severity_changed");
        assert_eq!(b["record"]["key"], "INC-7");
        assert_eq!(b["severity"], "sev1");
        // HMAC-SHA256("secret", "1800000000.{}") computed independently (Python's hmac).
        assert_eq!(
            signature("secret", 1_800_000_000, b"{}"),
            "sha256=bb7079132825ac793cea8c013c1dd24d926b9b02132245b10588d9e5c0df70d7"
        );
    }
}
