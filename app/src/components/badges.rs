//! Small coloured labels for severity and status.

use leptos::prelude::*;

use crate::domain::{IncidentStatus, KnownErrorStatus, PostmortemStatus, Severity};

#[component]
pub fn SeverityBadge(severity: Severity) -> impl IntoView {
    view! { <span class=format!("badge sev sev-{}", severity.as_str())>{severity.label()}</span> }
}

#[component]
pub fn IncidentStatusBadge(status: IncidentStatus) -> impl IntoView {
    view! { <span class=format!("badge status status-{}", status.as_str())>{status.label()}</span> }
}

#[component]
pub fn PostmortemStatusBadge(status: PostmortemStatus) -> impl IntoView {
    view! { <span class=format!("badge pm pm-{}", status.as_str()) id="postmortem-status">{status.label()}</span> }
}

#[component]
pub fn KnownErrorStatusBadge(status: KnownErrorStatus) -> impl IntoView {
    view! { <span class=format!("badge ke ke-{}", status.as_str())>{status.label()}</span> }
}
