//! Checking the comments of an import: each on a record of the document, by a known person,
//! within the body's limits, replies one level deep under an earlier comment of the same record.

use std::collections::HashSet;

use crate::domain::comment::{MAX_QUOTE, check_body};
use crate::domain::{CommentOn, KeyKind, RecordKey};
use crate::transfer::CommentRecord;

use super::{People, Problems};

/// The keys of the document's records (their numbers: a few bytes each, whatever the
/// records hold), by the type a comment may be on.
#[derive(Default)]
pub(super) struct Records {
    pub incidents: HashSet<i64>,
    pub postmortems: HashSet<i64>,
    pub actions: HashSet<i64>,
    pub known_errors: HashSet<i64>,
}

impl Records {
    fn has(&self, on: CommentOn, key: &str) -> bool {
        let (kind, set) = match on {
            CommentOn::Incident => (KeyKind::Incident, &self.incidents),
            CommentOn::Postmortem => (KeyKind::Incident, &self.postmortems),
            CommentOn::Action => (KeyKind::Action, &self.actions),
            CommentOn::KnownError => (KeyKind::KnownError, &self.known_errors),
        };
        RecordKey::parse_as(kind, key).is_some_and(|k| set.contains(&k.seq))
    }
}

/// Checks one comment. `threads` gives the record of a top-level comment by its number;
/// a reply must name one of a lower number on its own record. False when the comment is
/// not to be written (its number came before).
pub(super) fn check_comment<'a>(
    p: &mut Problems,
    people: &People<'_>,
    records: &Records,
    seen: &mut HashSet<i64>,
    threads: impl Fn(i64) -> Option<(CommentOn, &'a str)>,
    c: &mut CommentRecord,
) -> bool {
    let record = format!("comments[{}]", c.id);
    if !seen.insert(c.id) {
        p.add(&record, "id", "appears more than once");
        return false;
    }
    c.record = c.record.trim().to_uppercase();
    if !records.has(c.record_type, &c.record) {
        p.add(
            &record,
            "record",
            format!("no {} {} in the document", c.record_type, c.record),
        );
    }
    people.check(p, &record, "author", &mut c.author);
    if c.deleted_at.is_none() {
        if let Err(e) = check_body(&c.body) {
            p.rule(&record, "", e);
        }
    } else if c.body.contains('\0') {
        p.text(&record, "body", &c.body, 0);
    }
    if c.quote
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUOTE)
    {
        p.add(
            &record,
            "quote",
            format!("must be at most {MAX_QUOTE} characters"),
        );
    }
    if let Some(parent) = c.parent {
        match threads(parent).filter(|_| parent < c.id) {
            Some((on, key)) if on == c.record_type && key == c.record => {}
            Some(_) => p.add(&record, "parent", format!("comment {parent} is on another record")),
            None => p.add(
                &record,
                "parent",
                format!("no earlier top-level comment {parent} in the document (replies are one level deep)"),
            ),
        }
        if c.resolved {
            p.add(
                &record,
                "resolved",
                "only a thread's first comment is resolved",
            );
        }
    }
    true
}
