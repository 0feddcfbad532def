//! Typed ids (database row ids) and human keys (`INC-1`, `KE-1`, `ACT-1`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::DeriveValueType))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

id_type!(
    /// A user's row id.
    UserId,
    /// An incident's row id (its key is [`RecordKey`] with [`KeyKind::Incident`]).
    IncidentId,
    /// A timeline event's row id.
    EventId,
    /// A postmortem's row id.
    PostmortemId,
    /// A known error's row id.
    KnownErrorId,
    /// An action's row id.
    ActionId,
    /// An API token's row id.
    TokenId,
);

/// The kinds of record that carry a human key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Incident,
    KnownError,
    Action,
}

impl KeyKind {
    /// The key's prefix, also the counter's name in `key_counters`.
    pub const fn prefix(self) -> &'static str {
        match self {
            KeyKind::Incident => "INC",
            KeyKind::KnownError => "KE",
            KeyKind::Action => "ACT",
        }
    }
}

/// A human key such as `INC-42`: a kind and a sequence number ≥ 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordKey {
    pub kind: KeyKind,
    pub seq: i64,
}

impl RecordKey {
    pub const fn new(kind: KeyKind, seq: i64) -> Self {
        Self { kind, seq }
    }

    /// Parses a key of the given kind, accepting any letter case (`inc-7` is `INC-7`).
    pub fn parse_as(kind: KeyKind, s: &str) -> Option<Self> {
        let key: RecordKey = s.parse().ok()?;
        (key.kind == kind).then_some(key)
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.seq)
    }
}

/// A string that is not a well-formed key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a key like INC-1, KE-1 or ACT-1")]
pub struct BadKey(pub String);

impl FromStr for RecordKey {
    type Err = BadKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadKey(s.to_owned());
        let (prefix, num) = s.trim().split_once('-').ok_or_else(bad)?;
        let kind = match prefix.to_ascii_uppercase().as_str() {
            "INC" => KeyKind::Incident,
            "KE" => KeyKind::KnownError,
            "ACT" => KeyKind::Action,
            _ => return Err(bad()),
        };
        // Digits only: no sign, no spaces, no leading zeros, so each key has one spelling.
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) || num.starts_with('0') {
            return Err(bad());
        }
        let seq = num.parse::<i64>().map_err(|_| bad())?;
        Ok(RecordKey { kind, seq })
    }
}

impl Serialize for RecordKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecordKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_format_and_parse() {
        let k = RecordKey::new(KeyKind::Incident, 42);
        assert_eq!(k.to_string(), "INC-42");
        assert_eq!("INC-42".parse::<RecordKey>().unwrap(), k);
        assert_eq!("inc-42".parse::<RecordKey>().unwrap(), k);
        assert_eq!(
            "KE-1".parse::<RecordKey>().unwrap().kind,
            KeyKind::KnownError
        );
        assert_eq!("ACT-9".parse::<RecordKey>().unwrap().kind, KeyKind::Action);
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "", "INC", "INC-", "INC-0", "INC-01", "INC--1", "INC-1a", "FOO-1", "INC-+1", "1",
        ] {
            assert!(bad.parse::<RecordKey>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn parse_as_checks_the_kind() {
        assert!(RecordKey::parse_as(KeyKind::Incident, "INC-3").is_some());
        assert!(RecordKey::parse_as(KeyKind::Incident, "ACT-3").is_none());
    }

    #[test]
    fn keys_serialise_as_strings() {
        let k = RecordKey::new(KeyKind::Action, 7);
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"ACT-7\"");
        let back: RecordKey = serde_json::from_str("\"ACT-7\"").unwrap();
        assert_eq!(back, k);
        assert_eq!(serde_json::to_string(&UserId(5)).unwrap(), "5");
    }
}
