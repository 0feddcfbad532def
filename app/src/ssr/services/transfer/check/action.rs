//! An action record of an import, with its verification history.

use std::collections::HashSet;

use chrono::Utc;

use crate::domain::action::{Carried, FOUR_EYES, check as check_carried, four_eyes};
use crate::domain::incident::check_title;
use crate::domain::{KeyKind, RecordKey};
use crate::ssr::services::action as actions;
use crate::ssr::services::common::text;
use crate::transfer::ActionRecord;

use super::{People, Problems};

pub(super) fn check_action(
    p: &mut Problems,
    people: &People<'_>,
    record: &str,
    r: &mut ActionRecord,
    incidents: &HashSet<i64>,
    known_errors: &HashSet<i64>,
) {
    if let Err(e) = check_title(&r.title) {
        p.rule(record, "", e);
    }
    r.title = r.title.trim().to_owned();
    p.text(record, "description", &r.description, actions::MAX_TEXT);
    p.text(
        record,
        "verification_plan",
        &r.verification_plan,
        actions::MAX_TEXT,
    );
    for (field, v) in [
        ("verification_evidence", &r.verification_evidence),
        ("cancelled_reason", &r.cancelled_reason),
    ] {
        if let Some(t) = v {
            p.text(record, field, t, actions::MAX_TEXT);
        }
    }
    let mut bad = Vec::new();
    actions::check_url(&mut bad, r.external_url.as_deref());
    for f in bad {
        p.add(record, f.field, f.message);
    }
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    r.external_url = clean(&r.external_url);
    r.team = clean(&r.team);
    p.check(record, |bad| {
        text::check_label(bad, "team", r.team.as_deref())
    });
    if let Some(k) = &r.incident {
        match RecordKey::parse_as(KeyKind::Incident, k) {
            Some(key) if incidents.contains(&key.seq) => r.incident = Some(key.to_string()),
            _ => p.add(
                record,
                "incident",
                format!("no incident {k} in the document"),
            ),
        }
    }
    if let Some(k) = &r.known_error {
        match RecordKey::parse_as(KeyKind::KnownError, k) {
            Some(key) if known_errors.contains(&key.seq) => {
                r.known_error = Some(key.to_string());
            }
            _ => p.add(
                record,
                "known_error",
                format!("no known error {k} in the document"),
            ),
        }
    }
    people.check_opt(p, record, "owner", &mut r.owner);
    people.check_opt(p, record, "created_by", &mut r.created_by);
    people.check_opt(p, record, "verified_by", &mut r.verified_by);
    if r.reopen_count < 0 {
        p.add(record, "reopen_count", "must not be negative");
    }
    r.verification_required = Some(
        r.verification_required
            .unwrap_or_else(|| r.kind.verification_required_by_default()),
    );

    // What each status carries, as the transitions leave it.
    for f in check_carried(&Carried {
        status: r.status,
        owner: r.owner.as_ref(),
        completed_at: r.completed_at,
        cancelled_reason: r.cancelled_reason.as_deref(),
        verified_at: r.verified_at,
        verified_by: r.verified_by.as_ref(),
        verification_result: r.verification_result,
        verification_evidence: r.verification_evidence.as_deref(),
    }) {
        p.add(record, f.field, f.message);
    }
    for (j, v) in r.verifications.iter_mut().enumerate() {
        let field = format!("verifications.{j}");
        if people.check(
            p,
            record,
            &format!("{field}.verified_by"),
            &mut v.verified_by,
        ) && !four_eyes(r.owner.as_ref(), &v.verified_by)
        {
            p.add(record, format!("{field}.verified_by"), FOUR_EYES);
        }
        if v.evidence.trim().is_empty() {
            p.add(record, format!("{field}.evidence"), "is required");
        }
        p.text(
            record,
            &format!("{field}.evidence"),
            &v.evidence,
            actions::MAX_TEXT,
        );
    }
    let created = r.created_at.unwrap_or_else(|| {
        [r.completed_at, r.verified_at]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(Utc::now)
            .min(Utc::now())
    });
    if r.completed_at.is_some_and(|c| c < created) {
        p.add(record, "completed_at", "must not be before created_at");
    }
    r.created_at = Some(created);
    r.updated_at = Some(r.updated_at.unwrap_or(created));
}
