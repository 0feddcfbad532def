//! Checking an import document: every record against the rules the writes apply, every
//! problem at once, each naming its record and field; what passes becomes a plan to write.

mod action;
mod comment;
mod incident;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;

use super::stream::{Item, List, Source, Stopped, walk};
use super::{MAX_EVENT_BODY, MAX_INCIDENT_TEXT};
use crate::domain::incident::check_title;
use crate::domain::known_error::check_status;
use crate::domain::{CommentOn, KeyKind, RecordKey};
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
use comment::{Records, check_comment};
use incident::check_incident;

// ---------------------------------------------------------------------------------------
// Reading and checking an import
// ---------------------------------------------------------------------------------------

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
    incident_keys: &HashSet<i64>,
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
            Some(key) if incident_keys.contains(&key.seq) => {
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

// ---------------------------------------------------------------------------------------
// The passes over a document
// ---------------------------------------------------------------------------------------

/// A comment as the first pass notes it: enough to check a reply's thread.
pub(super) struct CommentNote {
    on: CommentOn,
    record: String,
    top_level: bool,
}

/// What the first pass learns of a document: its format and settings, its users (small,
/// kept whole) and the keys of its records (not the records), so that the second pass can
/// check each record on its own, whatever the order of the document's lists.
#[derive(Default)]
pub(super) struct Index {
    format: Option<serde_json::Value>,
    settings: Option<serde_json::Value>,
    users: Vec<serde_json::Value>,
    records: Records,
    /// The first comment of each number.
    comments: HashMap<i64, CommentNote>,
    /// Whether the comments come in the order of their numbers (as an export writes them).
    pub comments_in_order: bool,
    last_comment: Option<i64>,
    /// Records per list.
    pub counts: HashMap<List, u64>,
}

impl Index {
    /// Notes one item of the first pass.
    pub fn note(&mut self, item: Item) {
        match item {
            Item::Format(v) => self.format = Some(v),
            Item::Settings(v) => self.settings = Some(v),
            Item::Record(list, _, v) => {
                *self.counts.entry(list).or_default() += 1;
                let key = |kind| {
                    v.get("key")
                        .and_then(|k| k.as_str())
                        .and_then(|k| RecordKey::parse_as(kind, k))
                        .map(|k| k.seq)
                };
                match list {
                    List::Users => self.users.push(v),
                    List::Incidents => {
                        if let Some(k) = key(KeyKind::Incident) {
                            if v.get("postmortem").is_some_and(|p| p.is_object()) {
                                self.records.postmortems.insert(k);
                            }
                            self.records.incidents.insert(k);
                        }
                    }
                    List::KnownErrors => {
                        self.records.known_errors.extend(key(KeyKind::KnownError));
                    }
                    List::Actions => self.records.actions.extend(key(KeyKind::Action)),
                    List::Comments => self.note_comment(&v),
                }
            }
        }
    }

    fn note_comment(&mut self, v: &serde_json::Value) {
        let Ok(c) = CommentRecord::deserialize(v) else {
            return;
        };
        if self.last_comment.is_some_and(|last| c.id <= last) {
            self.comments_in_order = false;
        }
        self.last_comment = Some(c.id);
        self.comments.entry(c.id).or_insert(CommentNote {
            on: c.record_type,
            record: c.record.trim().to_uppercase(),
            top_level: c.parent.is_none(),
        });
    }

    pub fn count(&self, list: List) -> u64 {
        self.counts.get(&list).copied().unwrap_or(0)
    }
}

/// Walks the whole document once, noting what [`Index`] holds.
pub(super) fn first_pass(source: &Source) -> Result<Index, Stopped> {
    let mut index = Index {
        comments_in_order: true,
        ..Index::default()
    };
    walk(source, &List::ALL, |item| {
        index.note(item);
        true
    })?;
    Ok(index)
}

/// The checked head of a document: its settings and users, and every e-mail its records may
/// name (its users' and those already in the database).
pub(super) struct Head {
    pub settings: Option<OrgSettings>,
    pub users: Vec<UserRecord>,
    pub known: HashSet<String>,
}

/// Checks the format (alone: a document of another format is not read further), the
/// settings and the users; the problems found go on into the second pass.
pub(super) fn check_head(
    index: &mut Index,
    existing: &HashSet<String>,
    p: &mut Problems,
) -> Result<Head, Vec<FieldError>> {
    match index.format.as_ref().and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => p.add(
            "document",
            "format",
            format!("`{other}` is not a format this server reads; it reads {FORMAT}"),
        ),
        None => p.add("document", "format", format!("is required ({FORMAT})")),
    }
    if !p.0.is_empty() {
        return Err(std::mem::take(&mut p.0));
    }
    let settings: Option<OrgSettings> = index.settings.take().and_then(|v| {
        find_nul(&v, "settings", "settings", p);
        let mut s: OrgSettings = typed(&v, "settings", p)?;
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
    let (users, known) = check_users(p, &std::mem::take(&mut index.users), existing);
    Ok(Head {
        settings,
        users,
        known,
    })
}

/// A record that passed its checks, normalised as it is written (keys parsed, e-mails
/// normalised, defaults filled).
pub(super) enum Checked {
    Incident(i64, Box<IncidentRecord>),
    KnownError(i64, Box<KnownErrorRecord>),
    Action(i64, Box<ActionRecord>),
    Comment(Box<CommentRecord>),
}

/// Checks records one at a time against the SPEC's rules and the document's index. The
/// second pass runs it over every record and keeps only the problems; the writing pass runs
/// a fresh one again to get each record as it is written.
pub(super) struct Checker {
    index: Arc<Index>,
    known: Arc<HashSet<String>>,
    pub problems: Problems,
    seen: HashMap<KeyKind, HashSet<i64>>,
    seen_comments: HashSet<i64>,
}

impl Checker {
    pub fn new(index: Arc<Index>, known: Arc<HashSet<String>>) -> Self {
        Self {
            index,
            known,
            problems: Problems::default(),
            seen: HashMap::new(),
            seen_comments: HashSet::new(),
        }
    }

    /// Checks record `i` of `list`; the record as it is written when it passes.
    pub fn record(&mut self, list: List, i: usize, v: &serde_json::Value) -> Option<Checked> {
        let people = People { known: &self.known };
        let records = &self.index.records;
        let p = &mut self.problems;
        match list {
            // Checked with the head.
            List::Users => None,
            List::Incidents => {
                let seen = self.seen.entry(KeyKind::Incident).or_default();
                keyed(
                    p,
                    v,
                    i,
                    "incidents",
                    KeyKind::Incident,
                    seen,
                    |p, record, r| {
                        check_incident(p, &people, record, r);
                    },
                )
                .map(|(seq, r)| Checked::Incident(seq, Box::new(r)))
            }
            List::KnownErrors => {
                let seen = self.seen.entry(KeyKind::KnownError).or_default();
                keyed(
                    p,
                    v,
                    i,
                    "known_errors",
                    KeyKind::KnownError,
                    seen,
                    |p, record, r| {
                        check_known_error(p, &people, record, r, &records.incidents);
                    },
                )
                .map(|(seq, r)| Checked::KnownError(seq, Box::new(r)))
            }
            List::Actions => {
                let seen = self.seen.entry(KeyKind::Action).or_default();
                keyed(p, v, i, "actions", KeyKind::Action, seen, |p, record, r| {
                    check_action(
                        p,
                        &people,
                        record,
                        r,
                        &records.incidents,
                        &records.known_errors,
                    );
                })
                .map(|(seq, r)| Checked::Action(seq, Box::new(r)))
            }
            List::Comments => {
                let record = v
                    .get("id")
                    .and_then(serde_json::Value::as_i64)
                    .map_or_else(|| format!("comments[{i}]"), |n| format!("comments[{n}]"));
                find_nul(v, &record, "", p);
                let mut c = typed::<CommentRecord>(v, &record, p)?;
                let threads = |parent: i64| {
                    self.index
                        .comments
                        .get(&parent)
                        .filter(|n| n.top_level)
                        .map(|n| (n.on, n.record.as_str()))
                };
                check_comment(
                    p,
                    &people,
                    records,
                    &mut self.seen_comments,
                    threads,
                    &mut c,
                )
                .then(|| Checked::Comment(Box::new(c)))
            }
        }
    }
}

/// Reads one record of a keyed list: its NUL characters, its shape and its key (well
/// formed, once), then `each` checks it under its key. The record with its key number.
fn keyed<R: serde::de::DeserializeOwned + Keyed>(
    p: &mut Problems,
    v: &serde_json::Value,
    i: usize,
    name: &str,
    kind: KeyKind,
    seen: &mut HashSet<i64>,
    each: impl FnOnce(&mut Problems, &str, &mut R),
) -> Option<(i64, R)> {
    let record = label(v, "key", name, i);
    find_nul(v, &record, "", p);
    let mut r = typed::<R>(v, &record, p)?;
    let key = parse_key(p, kind, r.key_mut(), seen)?;
    *r.key_mut() = key.to_string();
    each(p, &key.to_string(), &mut r);
    Some((key.seq, r))
}

/// The second pass: every record checked on its own; all problems at once.
pub(super) fn second_pass(
    source: &Source,
    index: Arc<Index>,
    known: Arc<HashSet<String>>,
    mut p: Problems,
    done: &AtomicU64,
) -> Result<(), Vec<FieldError>> {
    let mut checker = Checker::new(index, known);
    std::mem::swap(&mut checker.problems, &mut p);
    let walked = walk(
        source,
        &[
            List::Incidents,
            List::KnownErrors,
            List::Actions,
            List::Comments,
        ],
        |item| {
            if let Item::Record(list, i, v) = item {
                checker.record(list, i, &v);
                done.fetch_add(1, Ordering::Relaxed);
            }
            true
        },
    );
    if let Err(e) = walked {
        // The first pass read the same document; only the source can fail now.
        return Err(AppError::from(e).fields().to_vec());
    }
    if checker.problems.0.is_empty() {
        Ok(())
    } else {
        Err(checker.problems.0)
    }
}
