//! Alerts in, the pure rules: which severity an alert's labels give, and what an incident
//! opened from alerts is called. The receiving (secrets, payloads, the transaction) is in
//! `ssr::services::alert`.

use std::collections::BTreeMap;

use super::enums::Severity;

/// The label whose value picks the severity.
pub const SEVERITY_LABEL: &str = "severity";
/// The label that names the service unless the hook says otherwise.
pub const DEFAULT_SERVICE_LABEL: &str = "service";

/// The severity for a `severity` label value: the hook's map first, then the default map
/// (`critical` → sev2, `warning` → sev3), else the hook's default. A value that is a
/// Hindsight severity (`sev1` … `sev4`) is taken as it is when `direct` (the generic source).
pub fn severity_for(
    value: Option<&str>,
    map: &BTreeMap<String, Severity>,
    default: Severity,
    direct: bool,
) -> Severity {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return default;
    };
    if direct && let Ok(s) = v.parse::<Severity>() {
        return s;
    }
    if let Some(s) = map.get(v).or_else(|| map.get(&v.to_ascii_lowercase())) {
        return *s;
    }
    match v.to_ascii_lowercase().as_str() {
        "critical" => Severity::Sev2,
        "warning" => Severity::Sev3,
        _ => default,
    }
}

/// Longest incident title taken from an alert (the incident's own limit is larger).
pub const TITLE_MAX: usize = 200;

/// The title of an incident opened from alerts: the summary, else the alert name, else a
/// fallback; one line, shortened.
pub fn title_for(summary: Option<&str>, alertname: Option<&str>, fallback: &str) -> String {
    let pick = [summary, alertname]
        .into_iter()
        .flatten()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| fallback.to_owned());
    if pick.chars().count() > TITLE_MAX {
        let mut t: String = pick.chars().take(TITLE_MAX - 1).collect();
        t.push('…');
        t
    } else {
        pick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_uses_the_hooks_map_then_the_default_map_then_the_default() {
        let mut map = BTreeMap::new();
        map.insert("page".to_owned(), Severity::Sev1);
        let d = Severity::Sev4;
        assert_eq!(severity_for(Some("page"), &map, d, false), Severity::Sev1);
        assert_eq!(
            severity_for(Some("critical"), &map, d, false),
            Severity::Sev2
        );
        assert_eq!(
            severity_for(Some("Warning"), &map, d, false),
            Severity::Sev3
        );
        assert_eq!(severity_for(Some("info"), &map, d, false), Severity::Sev4);
        assert_eq!(
            severity_for(None, &map, Severity::Sev3, false),
            Severity::Sev3
        );
        assert_eq!(severity_for(Some("  "), &map, d, false), Severity::Sev4);
        // A map entry overrides the default map.
        map.insert("critical".to_owned(), Severity::Sev1);
        assert_eq!(
            severity_for(Some("critical"), &map, d, false),
            Severity::Sev1
        );
    }

    #[test]
    fn a_hindsight_severity_is_taken_as_it_is_only_for_the_generic_source() {
        let map = BTreeMap::new();
        assert_eq!(
            severity_for(Some("sev1"), &map, Severity::Sev4, true),
            Severity::Sev1
        );
        assert_eq!(
            severity_for(Some("sev1"), &map, Severity::Sev4, false),
            Severity::Sev4
        );
    }

    #[test]
    fn titles_come_from_the_summary_then_the_alert_name() {
        assert_eq!(
            title_for(Some(" Disk\nfull "), Some("DiskFull"), "x"),
            "Disk full"
        );
        assert_eq!(title_for(None, Some("DiskFull"), "x"), "DiskFull");
        assert_eq!(title_for(Some(""), None, "Alert from am"), "Alert from am");
        let long = "y".repeat(500);
        assert_eq!(title_for(Some(&long), None, "x").chars().count(), TITLE_MAX);
    }
}
