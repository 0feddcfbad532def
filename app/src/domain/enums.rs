//! Every status, kind and severity of the SPEC as a closed enum, snake_case on the wire and in
//! the database, with a human label for the UI.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An enum value that is not one of the allowed ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not one of: {allowed}")]
pub struct UnknownValue {
    pub value: String,
    pub allowed: String,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal / $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "ssr", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter, utoipa::ToSchema))]
        #[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "Text"))]
        pub enum $name { $(#[serde(rename = $wire)] #[cfg_attr(feature = "ssr", sea_orm(string_value = $wire))] $variant),+ }

        impl $name {
            /// Every value, in the SPEC's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written on the wire and stored in the database.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// A short human label for the UI.
            pub const fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        value: s.to_owned(),
                        allowed: [$($wire),+].join(", "),
                    }),
                }
            }
        }
    };
}

wire_enum!(
    /// What a user may do; see [`crate::domain::authz`].
    Role {
        Admin = "admin" / "Admin",
        Responder = "responder" / "Responder",
        Member = "member" / "Member",
        Viewer = "viewer" / "Viewer",
    }
);

wire_enum!(
    /// `sev1` is the highest.
    Severity {
        Sev1 = "sev1" / "SEV1",
        Sev2 = "sev2" / "SEV2",
        Sev3 = "sev3" / "SEV3",
        Sev4 = "sev4" / "SEV4",
    }
);

impl Severity {
    /// 1 for sev1 (the highest) … 4 for sev4: a lower number is a higher severity.
    pub const fn level(self) -> u8 {
        match self {
            Severity::Sev1 => 1,
            Severity::Sev2 => 2,
            Severity::Sev3 => 3,
            Severity::Sev4 => 4,
        }
    }

    /// sev1 and sev2 need a published postmortem before the incident may close.
    pub const fn requires_postmortem(self) -> bool {
        matches!(self, Severity::Sev1 | Severity::Sev2)
    }
}

wire_enum!(
    IncidentStatus {
        Investigating = "investigating" / "Investigating",
        Identified = "identified" / "Identified",
        Monitoring = "monitoring" / "Monitoring",
        Resolved = "resolved" / "Resolved",
        Closed = "closed" / "Closed",
    }
);

impl IncidentStatus {
    /// Position in the forward order of the status machine.
    pub const fn rank(self) -> u8 {
        match self {
            IncidentStatus::Investigating => 0,
            IncidentStatus::Identified => 1,
            IncidentStatus::Monitoring => 2,
            IncidentStatus::Resolved => 3,
            IncidentStatus::Closed => 4,
        }
    }

    /// Still being worked on (not yet resolved).
    pub const fn is_active(self) -> bool {
        self.rank() < IncidentStatus::Resolved.rank()
    }
}

wire_enum!(
    EventKind {
        Detection = "detection" / "Detection",
        Alert = "alert" / "Alert",
        Escalation = "escalation" / "Escalation",
        StatusChange = "status_change" / "Status change",
        Mitigation = "mitigation" / "Mitigation",
        Update = "update" / "Update",
        Deploy = "deploy" / "Deploy",
        Rollback = "rollback" / "Rollback",
        ActionTaken = "action_taken" / "Action taken",
        Decision = "decision" / "Decision",
        Note = "note" / "Note",
    }
);

wire_enum!(
    Visibility {
        Internal = "internal" / "Internal",
        Customer = "customer" / "Customer-facing",
    }
);

wire_enum!(
    PostmortemStatus {
        Draft = "draft" / "Draft",
        InReview = "in_review" / "In review",
        Published = "published" / "Published",
    }
);

wire_enum!(
    RootCauseCategory {
        CodeDefect = "code_defect" / "Code defect",
        ConfigChange = "config_change" / "Config change",
        Deployment = "deployment" / "Deployment",
        Capacity = "capacity" / "Capacity",
        Dependency = "dependency" / "Dependency",
        Infrastructure = "infrastructure" / "Infrastructure",
        Data = "data" / "Data",
        Security = "security" / "Security",
        Process = "process" / "Process",
        Unknown = "unknown" / "Unknown",
    }
);

wire_enum!(
    KnownErrorStatus {
        Open = "open" / "Open",
        WorkaroundAvailable = "workaround_available" / "Workaround available",
        FixScheduled = "fix_scheduled" / "Fix scheduled",
        Fixed = "fixed" / "Fixed",
        Retired = "retired" / "Retired",
    }
);

wire_enum!(
    ActionKind {
        Corrective = "corrective" / "Corrective",
        Preventive = "preventive" / "Preventive",
        Mitigation = "mitigation" / "Mitigation",
        Detection = "detection" / "Detection",
        Process = "process" / "Process",
        Documentation = "documentation" / "Documentation",
    }
);

impl ActionKind {
    /// The SPEC's default for `verification_required`.
    pub const fn verification_required_by_default(self) -> bool {
        matches!(self, ActionKind::Corrective | ActionKind::Preventive)
    }
}

wire_enum!(
    Priority {
        Critical = "critical" / "Critical",
        High = "high" / "High",
        Medium = "medium" / "Medium",
        Low = "low" / "Low",
    }
);

wire_enum!(
    ActionStatus {
        Open = "open" / "Open",
        InProgress = "in_progress" / "In progress",
        Done = "done" / "Done",
        Verified = "verified" / "Verified",
        Cancelled = "cancelled" / "Cancelled",
    }
);

impl ActionStatus {
    /// Work still owed by the owner (counts as open and can be overdue).
    pub const fn is_open(self) -> bool {
        matches!(self, ActionStatus::Open | ActionStatus::InProgress)
    }
}

wire_enum!(
    VerificationResult {
        Effective = "effective" / "Effective",
        NotEffective = "not_effective" / "Not effective",
    }
);

wire_enum!(
    /// The kinds of record the audit log keeps a history of.
    RecordType {
        Incident = "incident" / "Incident",
        Postmortem = "postmortem" / "Postmortem",
        KnownError = "known_error" / "Known error",
        Action = "action" / "Action",
        User = "user" / "User",
        ApiToken = "api_token" / "API token",
        Settings = "settings" / "Settings",
        Comment = "comment" / "Comment",
        Hook = "hook" / "Alert hook",
        Channel = "channel" / "Notification channel",
        Tracker = "tracker" / "Issue tracker",
    }
);

wire_enum!(
    /// The kinds of record people comment on.
    CommentOn {
        Incident = "incident" / "Incident",
        Postmortem = "postmortem" / "Postmortem",
        Action = "action" / "Action",
        KnownError = "known_error" / "Known error",
    }
);

impl CommentOn {
    /// The path segment of the REST API (`/api/v1/{segment}/{key}/comments`).
    pub const fn segment(self) -> &'static str {
        match self {
            CommentOn::Incident => "incidents",
            CommentOn::Postmortem => "postmortems",
            CommentOn::Action => "actions",
            CommentOn::KnownError => "known-errors",
        }
    }

    /// The record type of a path segment (`known-errors`), if it is one people comment on.
    pub fn from_segment(segment: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.segment() == segment)
    }

    /// The page of a record of this type (a postmortem's key is its incident's).
    pub fn page(self, key: &str) -> String {
        match self {
            CommentOn::Incident => format!("/incidents/{key}"),
            CommentOn::Postmortem => format!("/incidents/{key}/postmortem"),
            CommentOn::Action => format!("/actions/{key}"),
            CommentOn::KnownError => format!("/known-errors/{key}"),
        }
    }
}

wire_enum!(
    /// Why someone got a notification.
    NotificationKind {
        Mention = "mention" / "Mentioned you",
        ReviewRequest = "review_request" / "Review requested",
    }
);

wire_enum!(
    /// What a history entry records.
    AuditAction {
        Create = "create" / "Created",
        Update = "update" / "Changed",
        Transition = "transition" / "Status changed",
        TimelineAdd = "timeline_add" / "Timeline entry added",
        TimelineEdit = "timeline_edit" / "Timeline entry corrected",
        Approve = "approve" / "Approved",
        Link = "link" / "Linked",
        Unlink = "unlink" / "Unlinked",
        Login = "login" / "Signed in",
        Logout = "logout" / "Signed out",
        Revoke = "revoke" / "Revoked",
        Import = "import" / "Imported",
        Resolve = "resolve" / "Resolved",
        Reopen = "reopen" / "Reopened",
        Delete = "delete" / "Deleted",
    }
);

wire_enum!(
    /// Where a hook's alerts come from.
    HookSource {
        Alertmanager = "alertmanager" / "Prometheus Alertmanager",
        Grafana = "grafana" / "Grafana alerting",
        Pagerduty = "pagerduty" / "PagerDuty",
        Generic = "generic" / "Generic JSON",
    }
);

wire_enum!(
    /// Where actions are mirrored as issues.
    TrackerKind {
        Jira = "jira" / "Jira",
        Github = "github" / "GitHub",
        Gitlab = "gitlab" / "GitLab",
    }
);

/// A tracker issue as people name it: Jira's key as it is (`OPS-57`), GitHub's and GitLab's
/// number with `#` (`#214`).
pub fn issue_name(key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) {
        format!("#{key}")
    } else {
        key.to_owned()
    }
}

wire_enum!(
    /// An alert's state as its sender last reported it.
    AlertStatus {
        Firing = "firing" / "Firing",
        Resolved = "resolved" / "Resolved",
    }
);

wire_enum!(
    /// Where a channel's messages go.
    ChannelKind {
        Slack = "slack" / "Slack",
        Teams = "teams" / "Microsoft Teams",
        Webhook = "webhook" / "Signed webhook",
    }
);

wire_enum!(
    /// A message of the outbox.
    DeliveryStatus {
        Pending = "pending" / "Pending",
        Delivered = "delivered" / "Delivered",
        Failed = "failed" / "Failed",
    }
);

wire_enum!(
    /// The changes a channel can subscribe to.
    NotifyEvent {
        IncidentDeclared = "incident.declared" / "Incident declared",
        IncidentSeverityChanged = "incident.severity_changed" / "Severity changed",
        IncidentStatusChanged = "incident.status_changed" / "Status changed",
        IncidentCustomerUpdate = "incident.customer_update" / "Customer update",
        PostmortemReviewRequested = "postmortem.review_requested" / "Review requested",
        PostmortemPublished = "postmortem.published" / "Postmortem published",
        ActionCreated = "action.created" / "Action created",
        ActionDueSoon = "action.due_soon" / "Action due soon",
        ActionOverdue = "action.overdue" / "Action overdue",
        ActionVerificationDue = "action.verification_due" / "Verification due",
        ActionVerified = "action.verified" / "Action verified",
        ActionNotEffective = "action.not_effective" / "Action not effective",
        CommentMention = "comment.mention" / "Mention",
        AlertReceived = "alert.received" / "Alert received",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_are_named_as_their_trackers_name_them() {
        assert_eq!(issue_name("OPS-57"), "OPS-57");
        assert_eq!(issue_name("214"), "#214");
        assert_eq!(issue_name(""), "");
    }

    #[test]
    fn wire_names_round_trip_for_every_value() {
        fn check<T: Copy + fmt::Display + FromStr + PartialEq + fmt::Debug + Serialize>(all: &[T])
        where
            T::Err: fmt::Debug,
        {
            for v in all {
                let s = v.to_string();
                assert_eq!(s.parse::<T>().unwrap(), *v);
                assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{s}\""));
            }
        }
        check(Role::ALL);
        check(Severity::ALL);
        check(IncidentStatus::ALL);
        check(EventKind::ALL);
        check(Visibility::ALL);
        check(PostmortemStatus::ALL);
        check(RootCauseCategory::ALL);
        check(KnownErrorStatus::ALL);
        check(ActionKind::ALL);
        check(Priority::ALL);
        check(ActionStatus::ALL);
        check(VerificationResult::ALL);
        check(RecordType::ALL);
        check(AuditAction::ALL);
        check(CommentOn::ALL);
        check(NotificationKind::ALL);
        check(HookSource::ALL);
        check(AlertStatus::ALL);
        check(ChannelKind::ALL);
        check(DeliveryStatus::ALL);
        check(NotifyEvent::ALL);
        check(TrackerKind::ALL);
    }

    #[test]
    fn comment_path_segments_round_trip() {
        for t in CommentOn::ALL {
            assert_eq!(CommentOn::from_segment(t.segment()), Some(*t));
        }
        assert_eq!(CommentOn::from_segment("known_error"), None);
        assert_eq!(
            CommentOn::Postmortem.page("INC-2"),
            "/incidents/INC-2/postmortem"
        );
    }

    #[test]
    fn spec_enum_values_are_exactly_the_specified_ones() {
        let kinds: Vec<_> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "detection",
                "alert",
                "escalation",
                "status_change",
                "mitigation",
                "update",
                "deploy",
                "rollback",
                "action_taken",
                "decision",
                "note"
            ]
        );
        assert_eq!(RootCauseCategory::ALL.len(), 10);
        assert_eq!(
            "in_progress".parse::<ActionStatus>(),
            Ok(ActionStatus::InProgress)
        );
    }

    #[test]
    fn unknown_value_names_the_allowed_ones() {
        let err = "sev0".parse::<Severity>().unwrap_err();
        assert_eq!(err.value, "sev0");
        assert_eq!(err.allowed, "sev1, sev2, sev3, sev4");
    }

    #[test]
    fn verification_is_required_by_default_only_for_corrective_and_preventive() {
        for k in ActionKind::ALL {
            let expected = matches!(k, ActionKind::Corrective | ActionKind::Preventive);
            assert_eq!(k.verification_required_by_default(), expected, "{k}");
        }
    }

    #[test]
    fn only_sev1_and_sev2_need_a_postmortem_to_close() {
        assert!(Severity::Sev1.requires_postmortem());
        assert!(Severity::Sev2.requires_postmortem());
        assert!(!Severity::Sev3.requires_postmortem());
        assert!(!Severity::Sev4.requires_postmortem());
    }
}
