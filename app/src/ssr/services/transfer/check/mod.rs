//! Checking an import document: every record against the rules the writes apply, every
//! problem at once, each naming its record and field; what passes becomes a plan to write.

mod action;
mod comment;
mod incident;

use std::collections::HashSet;

use serde::Deserialize;

use super::{MAX_EVENT_BODY, MAX_INCIDENT_TEXT};
use crate::domain::incident::check_title;
use crate::domain::known_error::check_status;
use crate::domain::{KeyKind, RecordKey};
use crate::error::{AppError, FieldError};
use crate::ssr::auth::normalise_email;
use crate::ssr::services::common::text;
use crate::ssr::services::common::text::{check_text, names};
use crate::ssr::services::settings::OrgSettings;
use crate::ssr::services::{known_error as known_errors, users};
use crate::transfer::{
    ActionRecord, CommentRecord, FORMAT, IncidentRecord, KnownErrorRecord, UserRecord,
};

use action::check_action;
use comment::{Records, check_comments};
use incident::check_incident;

// ---------------------------------------------------------------------------------------
// Reading and checking an import
// ---------------------------------------------------------------------------------------

/// The document's top level, records still untyped: each is read on its own so that every
/// malformed record is reported, not just the first.
#[derive(Deserialize)]
pub(super) struct RawDocument {
    format: Option<serde_json::Value>,
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
    #[serde(default)]
    pub users: Vec<serde_json::Value>,
    #[serde(default)]
    pub incidents: Vec<serde_json::Value>,
    #[serde(default)]
    pub known_errors: Vec<serde_json::Value>,
    #[serde(default)]
    pub actions: Vec<serde_json::Value>,
    #[serde(default)]
    pub comments: Vec<serde_json::Value>,
}

/// Problems found so far, each naming its record and field.
#[derive(Default)]
pub(super) struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, record: &str, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError {
            record: Some(record.to_owned()),
            field: field.into(),
            message: reason.into(),
        });
    }

    /// The fields of a domain rule's 422 (or its message) under `record`, with `prefix`.
    pub fn rule(&mut self, record: &str, prefix: &str, e: AppError) {
        if e.fields().is_empty() {
            self.add(record, prefix.trim_end_matches('.'), e.to_string());
        }
        for f in e.fields() {
            self.add(record, format!("{prefix}{}", f.field), f.message.clone());
        }
    }

    pub fn text(&mut self, record: &str, field: &str, text: &str, max: usize) {
        self.check(record, |bad| check_text(bad, field, text, max));
    }

    /// The fields a shared check finds, under `record`.
    pub fn check(&mut self, record: &str, f: impl FnOnce(&mut Vec<FieldError>)) {
        let mut bad = Vec::new();
        f(&mut bad);
        for e in bad {
            self.add(record, e.field, e.message);
        }
    }
}

/// `incidents[3]` → the record's key when it has one.
fn label(v: &serde_json::Value, field: &str, list: &str, i: usize) -> String {
    v.get(field)
        .and_then(|k| k.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{list}[{i}]"))
}

/// Reads one record; a value that does not fit is a problem naming its path.
fn typed<T: serde::de::DeserializeOwned>(
    v: &serde_json::Value,
    record: &str,
    problems: &mut Problems,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(v) {
        Ok(t) => Some(t),
        Err(e) => {
            let path = e.path().to_string();
            let text = e.inner().to_string();
            let named = ["missing field `", "unknown field `"]
                .iter()
                .find_map(|p| text.strip_prefix(p))
                .and_then(|r| r.split('`').next());
            let path = path.replace('[', ".").replace(']', "");
            let field = match (path.as_str(), named) {
                ("." | "" | "?", Some(n)) => n.to_owned(),
                ("." | "" | "?", None) => "record".to_owned(),
                (p, Some(n)) if text.starts_with("missing") => format!("{p}.{n}"),
                (p, _) => p.to_owned(),
            };
            problems.add(record, field, text);
            None
        }
    }
}

/// Adds a problem for every string holding NUL (PostgreSQL cannot store it).
fn find_nul(v: &serde_json::Value, record: &str, path: &str, problems: &mut Problems) {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => {
            problems.add(record, path, "must not contain the NUL character");
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                find_nul(x, record, &format!("{path}.{i}"), problems);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                find_nul(x, record, &p, problems);
            }
        }
        _ => {}
    }
}

/// A checked document, ready to write: keys parsed, e-mails normalised, defaults filled.
pub(super) struct Plan {
    pub settings: Option<OrgSettings>,
    pub users: Vec<UserRecord>,
    pub incidents: Vec<(i64, IncidentRecord)>,
    pub known_errors: Vec<(i64, KnownErrorRecord)>,
    pub actions: Vec<(i64, ActionRecord)>,
    /// By their number in the document: every reply after its thread's first comment.
    pub comments: Vec<CommentRecord>,
}

/// People a record may name: the document's users and those already in the database.
pub(super) struct People<'a> {
    pub known: &'a HashSet<String>,
}

impl People<'_> {
    pub fn check(&self, p: &mut Problems, record: &str, field: &str, email: &mut String) -> bool {
        *email = normalise_email(email);
        if self.known.contains(email.as_str()) {
            true
        } else {
            p.add(
                record,
                field,
                format!("no user with the e-mail {email} in the document or the database"),
            );
            false
        }
    }
    pub fn check_opt(
        &self,
        p: &mut Problems,
        record: &str,
        field: &str,
        email: &mut Option<String>,
    ) {
        if let Some(e) = email {
            if e.trim().is_empty() {
                *email = None;
            } else {
                self.check(p, record, field, e);
            }
        }
    }
}

/// A record with a key (`INC-7`, `KE-2`, `ACT-9`).
pub(super) trait Keyed {
    fn key_mut(&mut self) -> &mut String;
}

macro_rules! keyed_record {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn key_mut(&mut self) -> &mut String {
                &mut self.key
            }
        }
    )*};
}
keyed_record!(IncidentRecord, KnownErrorRecord, ActionRecord);

/// Reads the records of one keyed list, each on its own: its NUL characters, its shape and
/// its key (well formed, once), then `each` checks it under its key. The records that parse,
/// with their key numbers, in key order.
fn keyed<R: serde::de::DeserializeOwned + Keyed>(
    p: &mut Problems,
    list: &[serde_json::Value],
    name: &str,
    kind: KeyKind,
    mut each: impl FnMut(&mut Problems, &str, &mut R),
) -> Vec<(i64, R)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in list.iter().enumerate() {
        let record = label(v, "key", name, i);
        find_nul(v, &record, "", p);
        let Some(mut r) = typed::<R>(v, &record, p) else {
            continue;
        };
        let Some(key) = parse_key(p, kind, r.key_mut(), &mut seen) else {
            continue;
        };
        *r.key_mut() = key.to_string();
        each(p, &key.to_string(), &mut r);
        out.push((key.seq, r));
    }
    out.sort_by_key(|(s, _)| *s);
    out
}

/// The users: e-mail and name as the accounts take them, each e-mail once. Returns them and
/// every e-mail the rest of the document may name (theirs and those already here).
fn check_users(
    p: &mut Problems,
    list: &[serde_json::Value],
    existing: &HashSet<String>,
) -> (Vec<UserRecord>, HashSet<String>) {
    let mut known = existing.clone();
    let mut users = Vec::new();
    let mut seen_users = HashSet::new();
    for (i, v) in list.iter().enumerate() {
        let record = label(v, "email", "users", i);
        find_nul(v, &record, "", p);
        let Some(mut u) = typed::<UserRecord>(v, &record, p) else {
            continue;
        };
        match users::check_email(&u.email) {
            Ok(e) => u.email = e,
            Err(e) => {
                p.rule(&record, "", e);
                continue;
            }
        }
        match users::check_name(&u.name) {
            Ok(n) => u.name = n,
            Err(e) => p.rule(&record, "", e),
        }
        if !seen_users.insert(u.email.clone()) {
            p.add(&record, "email", "appears more than once");
            continue;
        }
        known.insert(u.email.clone());
        users.push(u);
    }
    (users, known)
}

/// A known error: title, texts, fix version and status, services, and links to incidents
/// of the document.
fn check_known_error(
    p: &mut Problems,
    people: &People<'_>,
    record: &str,
    r: &mut KnownErrorRecord,
    incident_keys: &HashSet<String>,
) {
    if let Err(e) = check_title(&r.title) {
        p.rule(record, "", e);
    }
    for (field, text) in [
        ("symptoms", &r.symptoms),
        ("root_cause", &r.root_cause),
        ("workaround", &r.workaround),
    ] {
        p.text(record, field, text, known_errors::MAX_TEXT);
    }
    r.fix_version = r
        .fix_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    p.check(record, |bad| {
        text::check_label(bad, "fix_version", r.fix_version.as_deref());
    });
    if let Err(e) = check_status(r.status, r.fix_version.as_deref()) {
        p.rule(record, "", e);
    }
    check_names(p, record, "services", &mut r.services);
    let mut linked = Vec::new();
    for (j, k) in r.incidents.iter().enumerate() {
        match RecordKey::parse_as(KeyKind::Incident, k) {
            Some(key) if incident_keys.contains(&key.to_string()) => {
                linked.push(key);
            }
            _ => p.add(
                record,
                format!("incidents.{j}"),
                format!("no incident {k} in the document"),
            ),
        }
    }
    linked.sort_by_key(|k| k.seq);
    linked.dedup();
    r.incidents = linked.iter().map(ToString::to_string).collect();
    people.check_opt(p, record, "created_by", &mut r.created_by);
}

/// Parses a key of `kind`, refusing malformed and repeated ones.
fn parse_key(
    p: &mut Problems,
    kind: KeyKind,
    key: &str,
    seen: &mut HashSet<i64>,
) -> Option<RecordKey> {
    let Some(k) = RecordKey::parse_as(kind, key) else {
        p.add(
            key,
            "key",
            format!("`{key}` is not a key like {}-1", kind.prefix()),
        );
        return None;
    };
    if !seen.insert(k.seq) {
        p.add(key, "key", format!("{k} appears more than once"));
        return None;
    }
    Some(k)
}

pub(super) fn check_names(p: &mut Problems, record: &str, field: &str, list: &mut Vec<String>) {
    match names(field, list) {
        Ok(clean) => *list = clean,
        Err(e) => p.rule(record, "", e),
    }
}

/// Checks every record against the SPEC's rules; all problems at once.
pub(super) fn check(raw: RawDocument, existing: &HashSet<String>) -> Result<Plan, Vec<FieldError>> {
    let mut p = Problems::default();
    match raw.format.as_ref().and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => p.add(
            "document",
            "format",
            format!("`{other}` is not a format this server reads; it reads {FORMAT}"),
        ),
        None => p.add("document", "format", format!("is required ({FORMAT})")),
    }
    if !p.0.is_empty() {
        return Err(p.0);
    }
    let settings: Option<OrgSettings> = raw.settings.as_ref().and_then(|v| {
        find_nul(v, "settings", "settings", &mut p);
        let mut s: OrgSettings = typed(v, "settings", &mut p)?;
        s.holidays.sort_unstable();
        s.holidays.dedup();
        // Never taken from a file: such addresses carry secrets and the file may be old.
        s.reminder_webhook_url = None;
        if let Err(e) = s.validate() {
            p.rule("settings", "", e);
        }
        Some(s)
    });

    // Users first: everything else refers to them.
    let (users, known) = check_users(&mut p, &raw.users, existing);
    let people = People { known: &known };

    // Keys present in the document, read before the records themselves so that a record that
    // fails to parse does not also make every link to it a problem.
    let keys_of = |list: &[serde_json::Value], kind: KeyKind| -> HashSet<String> {
        list.iter()
            .filter_map(|v| v.get("key")?.as_str())
            .filter_map(|k| RecordKey::parse_as(kind, k))
            .map(|k| k.to_string())
            .collect()
    };
    let incident_keys = keys_of(&raw.incidents, KeyKind::Incident);
    let ke_keys = keys_of(&raw.known_errors, KeyKind::KnownError);

    // Incidents with their timelines and postmortems, known errors, actions.
    let incidents = keyed(
        &mut p,
        &raw.incidents,
        "incidents",
        KeyKind::Incident,
        |p, record, r: &mut IncidentRecord| {
            check_incident(p, &people, record, r);
        },
    );
    let known_errors = keyed(
        &mut p,
        &raw.known_errors,
        "known_errors",
        KeyKind::KnownError,
        |p, record, r: &mut KnownErrorRecord| {
            check_known_error(p, &people, record, r, &incident_keys);
        },
    );
    let actions = keyed(
        &mut p,
        &raw.actions,
        "actions",
        KeyKind::Action,
        |p, record, r: &mut ActionRecord| {
            check_action(p, &people, record, r, &incident_keys, &ke_keys);
        },
    );

    let mut comments = Vec::new();
    for (i, v) in raw.comments.iter().enumerate() {
        let record = v
            .get("id")
            .and_then(serde_json::Value::as_i64)
            .map_or_else(|| format!("comments[{i}]"), |n| format!("comments[{n}]"));
        find_nul(v, &record, "", &mut p);
        if let Some(c) = typed::<CommentRecord>(v, &record, &mut p) {
            comments.push(c);
        }
    }
    let records = Records {
        incidents: incidents.iter().map(|(_, r)| r.key.clone()).collect(),
        postmortems: incidents
            .iter()
            .filter(|(_, r)| r.postmortem.is_some())
            .map(|(_, r)| r.key.clone())
            .collect(),
        actions: actions.iter().map(|(_, r)| r.key.clone()).collect(),
        known_errors: known_errors.iter().map(|(_, r)| r.key.clone()).collect(),
    };
    let comments = check_comments(&mut p, &people, &records, comments);

    if !p.0.is_empty() {
        return Err(p.0);
    }
    Ok(Plan {
        settings,
        users,
        incidents,
        known_errors,
        actions,
        comments,
    })
}
