//! An incident record of an import, with its timeline and postmortem.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{MAX_EVENT_BODY, MAX_INCIDENT_TEXT};
use crate::domain::incident::{KeyTimes, check_close, check_times, check_title};
use crate::model::PostmortemInput;
use crate::ssr::auth::normalise_email;
use crate::ssr::services::common::text;
use crate::ssr::services::postmortem as postmortems;
use crate::transfer::{IncidentRecord, PostmortemRecord};

use super::{People, Problems, check_names};

pub(super) fn check_incident(
    p: &mut Problems,
    people: &People<'_>,
    record: &str,
    r: &mut IncidentRecord,
) {
    if let Err(e) = check_title(&r.title) {
        p.rule(record, "", e);
    }
    r.title = r.title.trim().to_owned();
    p.text(record, "summary", &r.summary, MAX_INCIDENT_TEXT);
    p.text(
        record,
        "customer_impact",
        &r.customer_impact,
        MAX_INCIDENT_TEXT,
    );
    check_names(p, record, "services", &mut r.services);
    check_names(p, record, "tags", &mut r.tags);
    people.check_opt(p, record, "commander", &mut r.commander);
    people.check_opt(p, record, "created_by", &mut r.created_by);
    let mut roles = BTreeMap::new();
    for (role, email) in std::mem::take(&mut r.roles) {
        let name = match text::role_name(&role) {
            Ok(name) => name,
            Err(e) => {
                p.rule(record, "", e);
                continue;
            }
        };
        let mut email = email;
        people.check(p, record, &format!("roles.{name}"), &mut email);
        roles.insert(name, email);
    }
    r.roles = roles;
    if r.reopen_count < 0 {
        p.add(record, "reopen_count", "must not be negative");
    }
    let times = KeyTimes {
        started_at: r.started_at,
        detected_at: Some(r.detected_at),
        acknowledged_at: r.acknowledged_at,
        mitigated_at: r.mitigated_at,
        resolved_at: r.resolved_at,
        closed_at: r.closed_at,
    };
    if let Err(e) = times.check_order(&[]) {
        p.rule(record, "", e);
    }
    for f in check_times(r.status, &times) {
        p.add(record, f.field, f.message);
    }
    if let Some(f) = check_close(
        r.status,
        r.severity,
        r.postmortem.as_ref().map(|pm| pm.status),
    ) {
        p.add(record, f.field, f.message);
    }
    let created = r.created_at.unwrap_or(r.detected_at);
    r.created_at = Some(created);
    r.updated_at = Some(r.updated_at.unwrap_or(created));
    r.rca_due_at = None;
    for (j, e) in r.timeline.iter_mut().enumerate() {
        let rec = format!("{record} timeline[{j}]");
        p.text(&rec, "body", &e.body, MAX_EVENT_BODY);
        people.check_opt(p, &rec, "author", &mut e.author);
        e.created_at = Some(e.created_at.unwrap_or(e.occurred_at));
    }
    for (j, a) in r.alerts.iter().enumerate() {
        let rec = format!("{record} alerts[{j}]");
        if a.fingerprint.trim().is_empty() {
            p.add(&rec, "fingerprint", "must not be empty");
        }
        p.text(&rec, "fingerprint", &a.fingerprint, 500);
        p.text(&rec, "group_key", &a.group_key, 2000);
        if a.last_seen_at < a.first_seen_at {
            p.add(&rec, "last_seen_at", "must not be before first_seen_at");
        }
    }
    if let Some(pm) = r.postmortem.as_mut() {
        let rec = format!("{record} postmortem");
        check_postmortem(p, people, &rec, pm, created);
    }
}

pub(super) fn check_postmortem(
    p: &mut Problems,
    people: &People<'_>,
    record: &str,
    pm: &mut PostmortemRecord,
    incident_created: DateTime<Utc>,
) {
    let input = PostmortemInput {
        body: Some(pm.body.clone()),
        root_cause: Some(pm.root_cause.clone()),
        five_whys: Some(pm.five_whys.clone()),
        contributing_factors: Some(pm.contributing_factors.clone()),
        reviewers: Some(pm.reviewers.clone()),
        ..Default::default()
    };
    if let Err(e) = postmortems::validate(&input) {
        p.rule(record, "", e);
    }
    pm.contributing_factors = postmortems::clean_factors(&pm.contributing_factors);
    for f in crate::domain::postmortem::check(
        pm.status,
        pm.root_cause_category,
        &pm.root_cause,
        pm.published_at,
    ) {
        p.add(record, f.field, f.message);
    }
    let mut reviewers = Vec::new();
    for (j, e) in pm.reviewers.iter().enumerate() {
        let mut e = e.clone();
        if people.check(p, record, &format!("reviewers.{j}"), &mut e) {
            reviewers.push(e);
        }
    }
    reviewers.sort();
    reviewers.dedup();
    pm.reviewers = reviewers;
    for (j, a) in pm.approvals.iter_mut().enumerate() {
        a.reviewer = normalise_email(&a.reviewer);
        if !pm.reviewers.contains(&a.reviewer) {
            p.add(
                record,
                format!("approvals.{j}.reviewer"),
                format!("{} is not among the reviewers", a.reviewer),
            );
        }
    }
    pm.approvals.sort_by(|a, b| a.reviewer.cmp(&b.reviewer));
    pm.approvals.dedup_by(|a, b| a.reviewer == b.reviewer);
    let created = pm.created_at.unwrap_or(incident_created);
    pm.created_at = Some(created);
    pm.updated_at = Some(pm.updated_at.unwrap_or(created));
    pm.due_at = None;
}
