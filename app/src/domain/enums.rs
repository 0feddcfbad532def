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
        pub enum $name { $(#[cfg_attr(feature = "ssr", sea_orm(string_value = $wire))] $variant),+ }

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

#[cfg(test)]
mod tests {
    use super::*;

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
