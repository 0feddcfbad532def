//! The postmortem as a document: the structured RCA, the author's body with the timeline
//! section generated from the incident's timeline, and the linked actions with their live
//! status. One composer serves the editor's preview, the published page and both exports, so
//! they never differ.

use crate::components::format::datetime;
use crate::markdown::{escape, one_line, render};
use crate::model::{Postmortem, PostmortemContext};

/// Whether a markdown line is a heading named "Timeline" (any level).
fn is_timeline_heading(line: &str) -> bool {
    let t = line.trim_start();
    let hashes = t.chars().take_while(|c| *c == '#').count();
    (1..=6).contains(&hashes)
        && t[hashes..].starts_with([' ', '\t'])
        && t[hashes..]
            .trim()
            .trim_end_matches('#')
            .trim()
            .eq_ignore_ascii_case("timeline")
}

/// The timeline as a markdown list, one line per event.
pub fn timeline_markdown(ctx: &PostmortemContext) -> String {
    if ctx.timeline.is_empty() {
        return "_No timeline events._\n".into();
    }
    let mut out = String::new();
    for e in &ctx.timeline {
        out.push_str(&format!(
            "- **{}** · {}{} — {}\n",
            datetime(e.occurred_at),
            e.kind.label(),
            if e.visibility == crate::domain::Visibility::Customer {
                " (customer-facing)"
            } else {
                ""
            },
            one_line(&e.body)
        ));
    }
    out
}

/// The author's body with the generated timeline placed under its "Timeline" heading (outside
/// code blocks); a body without one gets a Timeline section at the end.
pub fn body_with_timeline(body: &str, timeline: &str) -> String {
    let mut out = String::with_capacity(body.len() + timeline.len() + 32);
    let mut fence: Option<&str> = None;
    let mut placed = false;
    for line in body.split_inclusive('\n') {
        let t = line.trim_start();
        match fence {
            Some(f) if t.starts_with(f) => fence = None,
            Some(_) => {}
            None if t.starts_with("```") => fence = Some("```"),
            None if t.starts_with("~~~") => fence = Some("~~~"),
            None => {}
        }
        out.push_str(line);
        if fence.is_none() && !placed && is_timeline_heading(line) {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push('\n');
            out.push_str(timeline);
            out.push('\n');
            placed = true;
        }
    }
    if !placed {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\n## Timeline\n\n");
        out.push_str(timeline);
    }
    out
}

/// The whole postmortem as markdown (the `.md` export, and the source of every rendering).
pub fn compose(pm: &Postmortem, ctx: &PostmortemContext) -> String {
    let inc = &ctx.incident;
    let mut md = String::new();
    md.push_str(&format!(
        "# Postmortem: {} {}\n\n",
        escape(&inc.key),
        escape(&inc.title)
    ));
    let mut facts = vec![
        format!("**Severity:** {}", inc.severity.label()),
        format!("**Status:** {}", pm.status.label()),
    ];
    if let Some(p) = pm.published_at {
        facts.push(format!("**Published:** {}", datetime(p)));
    }
    if let Some(d) = pm.due_at {
        facts.push(format!("**Due:** {}", datetime(d)));
    }
    md.push_str(&facts.join(" · "));
    md.push_str("\n\n");
    let mut times = vec![format!("**Detected:** {}", datetime(inc.detected_at))];
    for (label, t) in [
        ("Impact started", inc.started_at),
        ("Mitigated", inc.mitigated_at),
        ("Resolved", inc.resolved_at),
    ] {
        if let Some(t) = t {
            times.push(format!("**{label}:** {}", datetime(t)));
        }
    }
    md.push_str(&times.join(" · "));
    md.push_str("\n\n");
    if !inc.services.is_empty() {
        md.push_str(&format!(
            "**Services:** {}\n\n",
            inc.services
                .iter()
                .map(|s| escape(s))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(c) = &inc.commander {
        md.push_str(&format!("**Commander:** {}\n\n", escape(c)));
    }
    if !pm.reviewers.is_empty() {
        let list: Vec<String> = pm
            .reviewers
            .iter()
            .map(|r| {
                let approved = pm.approvals.iter().any(|a| &a.reviewer == r);
                format!("{}{}", escape(r), if approved { " ✓" } else { "" })
            })
            .collect();
        md.push_str(&format!("**Reviewers:** {}\n\n", list.join(", ")));
    }

    md.push_str("## Root cause analysis\n\n");
    md.push_str(&format!(
        "**Root-cause category:** {}\n\n",
        pm.root_cause_category
            .map(|c| c.label())
            .unwrap_or("not set")
    ));
    md.push_str("**Root cause:**\n\n");
    if pm.root_cause.trim().is_empty() {
        md.push_str("_Not written yet._\n\n");
    } else {
        md.push_str(pm.root_cause.trim());
        md.push_str("\n\n");
    }
    let whys: Vec<&String> = pm
        .five_whys
        .iter()
        .filter(|w| !w.trim().is_empty())
        .collect();
    if !whys.is_empty() {
        md.push_str("### Five whys\n\n");
        for (i, w) in whys.iter().enumerate() {
            md.push_str(&format!("{}. {}\n", i + 1, one_line(w.trim())));
        }
        md.push('\n');
    }
    let factors: Vec<_> = pm
        .contributing_factors
        .iter()
        .filter(|f| !f.description.trim().is_empty() || !f.category.trim().is_empty())
        .collect();
    if !factors.is_empty() {
        md.push_str("### Contributing factors\n\n");
        for f in factors {
            let cat = if f.category.trim().is_empty() {
                "other"
            } else {
                f.category.trim()
            };
            md.push_str(&format!(
                "- **{}:** {}\n",
                escape(cat),
                one_line(f.description.trim())
            ));
        }
        md.push('\n');
    }

    md.push_str("---\n\n");
    md.push_str(&body_with_timeline(
        pm.body.trim_end(),
        &timeline_markdown(ctx),
    ));
    md.push_str("\n## Actions\n\n");
    if ctx.actions.is_empty() {
        md.push_str("_No actions yet._\n");
    } else {
        md.push_str("| Action | Title | Kind | Priority | Status | Owner | Due |\n");
        md.push_str("|---|---|---|---|---|---|---|\n");
        for a in &ctx.actions {
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                escape(&a.key),
                escape(&a.title),
                a.kind.label(),
                a.priority.label(),
                a.status.label(),
                a.owner.as_deref().map(escape).unwrap_or_else(|| "—".into()),
                a.due_date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "—".into()),
            ));
        }
    }
    md
}

/// The document as safe HTML (a fragment for the page).
pub fn html(pm: &Postmortem, ctx: &PostmortemContext) -> String {
    render(&compose(pm, ctx))
}

/// A standalone, printable HTML page (the `.html` export): no script, inline print styles.
pub fn standalone(pm: &Postmortem, ctx: &PostmortemContext) -> String {
    let title = format!("Postmortem {} {}", ctx.incident.key, ctx.incident.title);
    let t = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<article class=\"postmortem\">\n{}</article>\n\
<footer>Exported from Hindsight</footer>\n</body>\n</html>\n",
        html(pm, ctx)
    )
}

const STYLE: &str = "body{font:15px/1.55 system-ui,-apple-system,'Segoe UI',sans-serif;color:#111;max-width:48rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.6rem;margin-bottom:.5rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}\
h3{font-size:1.05rem}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}\
code,pre{font-family:ui-monospace,Menlo,monospace;font-size:.9em}pre{background:#f5f5f5;padding:.6rem;overflow-x:auto}\
blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:1rem;color:#444}a{color:#1d4ed8}\
footer{margin-top:3rem;color:#777;font-size:.8rem}\
@media print{body{margin:0;max-width:none;font-size:11pt}a{color:inherit;text-decoration:none}h2{break-after:avoid}tr,li{break-inside:avoid}footer{display:none}}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_goes_under_its_heading() {
        let out = body_with_timeline("## Summary\n\nx\n\n## Timeline\n\nnotes\n", "- t1\n");
        assert_eq!(out, "## Summary\n\nx\n\n## Timeline\n\n- t1\n\n\nnotes\n");
        let none = body_with_timeline("## Summary\nx", "- t1\n");
        assert_eq!(none, "## Summary\nx\n\n## Timeline\n\n- t1\n");
    }

    #[test]
    fn a_timeline_heading_in_code_is_not_the_section() {
        let out = body_with_timeline("```\n## Timeline\n```\n### timeline ##\n", "- t\n");
        assert_eq!(out, "```\n## Timeline\n```\n### timeline ##\n\n- t\n\n");
    }

    #[test]
    fn heading_match() {
        assert!(is_timeline_heading("## Timeline"));
        assert!(is_timeline_heading("# timeline #"));
        assert!(!is_timeline_heading("##Timeline"));
        assert!(!is_timeline_heading("## Timeline of events"));
        assert!(!is_timeline_heading("####### Timeline"));
    }
}
