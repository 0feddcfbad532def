//! Live updates: the event kinds of the stream, the topics a reader subscribes to, and which
//! events each topic receives. Pure: the server filters with it, pages build topics with it.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::UserId;

/// What changed. The SSE `event` field carries [`LiveKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LiveKind {
    #[serde(rename = "incident.updated")]
    IncidentUpdated,
    #[serde(rename = "timeline.added")]
    TimelineAdded,
    #[serde(rename = "comment.added")]
    CommentAdded,
    #[serde(rename = "postmortem.saved")]
    PostmortemSaved,
    #[serde(rename = "action.updated")]
    ActionUpdated,
    #[serde(rename = "alert.received")]
    AlertReceived,
    /// Someone opened or left a page (see the stream's presence).
    #[serde(rename = "presence.changed")]
    PresenceChanged,
}

impl LiveKind {
    pub const ALL: &'static [LiveKind] = &[
        LiveKind::IncidentUpdated,
        LiveKind::TimelineAdded,
        LiveKind::CommentAdded,
        LiveKind::PostmortemSaved,
        LiveKind::ActionUpdated,
        LiveKind::AlertReceived,
        LiveKind::PresenceChanged,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LiveKind::IncidentUpdated => "incident.updated",
            LiveKind::TimelineAdded => "timeline.added",
            LiveKind::CommentAdded => "comment.added",
            LiveKind::PostmortemSaved => "postmortem.saved",
            LiveKind::ActionUpdated => "action.updated",
            LiveKind::AlertReceived => "alert.received",
            LiveKind::PresenceChanged => "presence.changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for LiveKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `data` of a stream event: which record, its version after the change, and who made
/// it. Never the record's content: the page fetches that under the reader's permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LiveData {
    /// `incident`, `postmortem` (key = the incident's key), `action`, `known_error`.
    pub record: String,
    pub key: String,
    pub version: Option<i64>,
    /// The e-mail of who made the change (`null` for the server itself).
    pub by: Option<String>,
}

/// What the stream knows of an event to decide who receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'a> {
    pub kind: LiveKind,
    pub record: &'a str,
    pub key: &'a str,
    /// The incident the record belongs to, if any.
    pub incident: Option<&'a str>,
    /// The action's owners, now and before the change.
    pub owners: &'a [UserId],
    /// Users the event is addressed to (mentions, review requests).
    pub audience: &'a [UserId],
}

/// One subscription of `GET /api/v1/stream?topics=…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Every incident-level event: incident, timeline, postmortem, alert.
    Incidents,
    /// The events of one incident: its changes, timeline, postmortem, alerts, comments.
    Incident(String),
    /// One postmortem (by its incident's key): saves, comments, who has it open.
    Postmortem(String),
    /// Every action change.
    Actions,
    /// Changes of the reader's own actions (also the ones just taken away from them).
    MyActions,
    /// One action: its changes and comments.
    Action(String),
    /// One known error: its comments (and changes, once they are published).
    KnownError(String),
    /// Comments that mention the reader.
    Notifications,
}

/// A topic that is not one of the forms [`Topic::parse`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown topic `{0}`: use incidents, incident:KEY, postmortem:KEY, actions, actions:mine, action:KEY, known-error:KEY or notifications"
)]
pub struct BadTopic(pub String);

fn key_of(s: &str, prefix: &str) -> Option<String> {
    let k = s.strip_prefix(prefix)?;
    let ok =
        !k.is_empty() && k.len() <= 40 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| k.to_ascii_uppercase())
}

impl Topic {
    pub fn parse(s: &str) -> Result<Self, BadTopic> {
        let s = s.trim();
        let t = match s {
            "incidents" => Some(Topic::Incidents),
            "actions" => Some(Topic::Actions),
            "actions:mine" => Some(Topic::MyActions),
            "notifications" => Some(Topic::Notifications),
            _ => key_of(s, "incident:")
                .map(Topic::Incident)
                .or_else(|| key_of(s, "postmortem:").map(Topic::Postmortem))
                .or_else(|| key_of(s, "action:").map(Topic::Action))
                .or_else(|| key_of(s, "known-error:").map(Topic::KnownError)),
        };
        t.ok_or_else(|| BadTopic(s.to_owned()))
    }

    /// A comma-separated list (`incident:INC-1,incidents`); empty parts are skipped, and at
    /// least one topic is needed.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, BadTopic> {
        let mut out: Vec<Topic> = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Topic::parse)
            .collect::<Result<_, _>>()?;
        if out.is_empty() {
            return Err(BadTopic(s.to_owned()));
        }
        if out.len() > 20 {
            return Err(BadTopic("more than 20 topics".into()));
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Whether a reader `me` subscribed to this topic receives the event.
    pub fn matches(&self, e: &Facts<'_>, me: Option<UserId>) -> bool {
        use LiveKind::*;
        let of_incident = |k: &str| e.incident == Some(k);
        match self {
            Topic::Incidents => {
                matches!(
                    e.kind,
                    IncidentUpdated | TimelineAdded | PostmortemSaved | AlertReceived
                )
            }
            Topic::Incident(k) => {
                of_incident(k)
                    && match e.kind {
                        IncidentUpdated | TimelineAdded | PostmortemSaved | AlertReceived => true,
                        CommentAdded => matches!(e.record, "incident" | "postmortem"),
                        PresenceChanged => e.record == "incident",
                        ActionUpdated => false,
                    }
            }
            Topic::Postmortem(k) => {
                of_incident(k)
                    && match e.kind {
                        PostmortemSaved => true,
                        CommentAdded | PresenceChanged => e.record == "postmortem",
                        _ => false,
                    }
            }
            Topic::Actions => e.kind == ActionUpdated,
            Topic::MyActions => {
                e.kind == ActionUpdated && me.is_some_and(|m| e.owners.contains(&m))
            }
            Topic::Action(k) => {
                e.record == "action" && e.key == k && matches!(e.kind, ActionUpdated | CommentAdded)
            }
            Topic::KnownError(k) => e.record == "known_error" && e.key == k,
            Topic::Notifications => {
                e.kind == CommentAdded && me.is_some_and(|m| e.audience.contains(&m))
            }
        }
    }

    /// The topic where presence is kept (who has the page open), if this is one.
    pub fn presence(&self) -> bool {
        matches!(self, Topic::Postmortem(_) | Topic::Incident(_))
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Incidents => f.write_str("incidents"),
            Topic::Incident(k) => write!(f, "incident:{k}"),
            Topic::Postmortem(k) => write!(f, "postmortem:{k}"),
            Topic::Actions => f.write_str("actions"),
            Topic::MyActions => f.write_str("actions:mine"),
            Topic::Action(k) => write!(f, "action:{k}"),
            Topic::KnownError(k) => write!(f, "known-error:{k}"),
            Topic::Notifications => f.write_str("notifications"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(kind: LiveKind, record: &'a str, key: &'a str, inc: Option<&'a str>) -> Facts<'a> {
        Facts {
            kind,
            record,
            key,
            incident: inc,
            owners: &[],
            audience: &[],
        }
    }

    #[test]
    fn topics_parse_and_print_back() {
        for s in [
            "incidents",
            "incident:INC-1",
            "postmortem:INC-12",
            "actions",
            "actions:mine",
            "action:ACT-3",
            "known-error:KE-2",
            "notifications",
        ] {
            assert_eq!(Topic::parse(s).unwrap().to_string(), s);
        }
        assert_eq!(
            Topic::parse("incident:inc-1").unwrap(),
            Topic::Incident("INC-1".into())
        );
        for bad in [
            "",
            "incident:",
            "incident",
            "foo",
            "incident:INC 1",
            "actions:yours",
        ] {
            assert!(Topic::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Topic::parse_list("incidents, incident:INC-1,,incidents").unwrap(),
            vec![Topic::Incidents, Topic::Incident("INC-1".into())]
        );
        assert!(Topic::parse_list(" , ").is_err());
    }

    #[test]
    fn each_topic_gets_its_events_only() {
        use LiveKind::*;
        let inc1 = facts(TimelineAdded, "incident", "INC-1", Some("INC-1"));
        let inc2 = facts(IncidentUpdated, "incident", "INC-2", Some("INC-2"));
        let pm1 = facts(PostmortemSaved, "postmortem", "INC-1", Some("INC-1"));
        let act = facts(ActionUpdated, "action", "ACT-1", Some("INC-1"));
        let one = Topic::Incident("INC-1".into());
        assert!(one.matches(&inc1, None));
        assert!(!one.matches(&inc2, None));
        assert!(one.matches(&pm1, None));
        assert!(!one.matches(&act, None));
        assert!(Topic::Incidents.matches(&inc2, None));
        assert!(!Topic::Incidents.matches(&act, None));
        let pm = Topic::Postmortem("INC-1".into());
        assert!(pm.matches(&pm1, None));
        assert!(!pm.matches(&inc1, None));
        assert!(Topic::Action("ACT-1".into()).matches(&act, None));
        assert!(!Topic::Action("ACT-2".into()).matches(&act, None));

        let (me, other) = (UserId(3), UserId(4));
        let mine = Facts {
            owners: &[UserId(3)],
            ..act.clone()
        };
        assert!(Topic::MyActions.matches(&mine, Some(me)));
        assert!(!Topic::MyActions.matches(&mine, Some(other)));
        assert!(!Topic::MyActions.matches(&mine, None));
        let mention = Facts {
            audience: &[UserId(3)],
            ..facts(CommentAdded, "postmortem", "INC-1", Some("INC-1"))
        };
        assert!(Topic::Notifications.matches(&mention, Some(me)));
        assert!(!Topic::Notifications.matches(&mention, Some(other)));
        assert!(pm.matches(&mention, None));
        assert!(one.matches(&mention, None));
    }
}

/// Someone who has a page open (`GET /api/v1/presence`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Present {
    pub email: String,
    pub name: String,
}
