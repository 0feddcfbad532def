//! The text checks of every service: NUL and length limits, lists of names, optional values.

use crate::error::{AppError, AppResult, FieldError};

/// Adds an error for a text field holding NUL (PostgreSQL cannot store it) or longer than
/// `max` characters.
pub fn check_text(bad: &mut Vec<FieldError>, field: &str, text: &str, max: usize) {
    if text.contains('\0') {
        bad.push(FieldError::new(field, "must not contain the NUL character"));
    } else if text.chars().count() > max {
        bad.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// [`check_text`] for a field that may be absent.
pub fn check_opt(bad: &mut Vec<FieldError>, field: &str, text: Option<&String>, max: usize) {
    if let Some(t) = text {
        check_text(bad, field, t, max);
    }
}

/// `Ok` when nothing was found, else one 422 naming every bad field.
pub fn fail_on(bad: Vec<FieldError>) -> AppResult<()> {
    if bad.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_many(bad))
    }
}

/// A short name (of a channel, hook, tracker, token, team) trimmed: 1 to 100 characters,
/// no control characters (NUL cannot be stored on PostgreSQL). 422 naming `field` otherwise.
pub fn short(field: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    if v.is_empty() || v.chars().count() > MAX_NAME {
        return Err(AppError::invalid(field, "must be 1 to 100 characters"));
    }
    Ok(v.to_owned())
}

/// Longest service or tag name, in characters.
pub const MAX_NAME: usize = 100;

/// Trimmed, de-duplicated, sorted names (services, tags); empty ones dropped.
pub fn names(field: &str, list: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = list
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(long) = out.iter().find(|s| s.chars().count() > MAX_NAME) {
        return Err(AppError::invalid(
            field,
            format!("`{long}` is longer than {MAX_NAME} characters"),
        ));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Longest team name or fix version, in characters.
pub const MAX_LABEL: usize = 100;

/// An optional short value (a team, a fix version), counted once trimmed.
pub fn check_label(bad: &mut Vec<FieldError>, field: &str, value: Option<&str>) {
    if value.is_some_and(|v| v.trim().chars().count() > MAX_LABEL) {
        bad.push(FieldError::new(
            field,
            format!("must be at most {MAX_LABEL} characters"),
        ));
    }
}

/// Longest role name (`scribe`, `communications lead`), in characters.
pub const MAX_ROLE: usize = 50;

/// A role's name trimmed: 1 to [`MAX_ROLE`] characters, or a 422 naming `roles`.
pub fn role_name(role: &str) -> AppResult<String> {
    let name = role.trim();
    if name.is_empty() || name.chars().count() > MAX_ROLE {
        return Err(AppError::invalid(
            "roles",
            format!("role names must be 1 to {MAX_ROLE} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// A value trimmed, or `None` when that leaves nothing (optional filters and fields).
pub fn clean(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_trimmed_and_bounded() {
        assert_eq!(short("name", "  Payments ").unwrap(), "Payments");
        assert!(short("name", "   ").is_err());
        assert!(short("name", &"x".repeat(101)).is_err());
        assert_eq!(
            short("name", &"é".repeat(100)).unwrap().chars().count(),
            100
        );
        let e = short("teams", "a\0b").unwrap_err();
        assert_eq!(e.fields()[0].field, "teams");
    }

    #[test]
    fn text_checks_name_the_field() {
        let mut bad = Vec::new();
        check_text(&mut bad, "a", "ok", 2);
        check_text(&mut bad, "b", "too long", 3);
        check_text(&mut bad, "c", "nul\0", 100);
        let fields: Vec<&str> = bad.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["b", "c"]);
        assert!(fail_on(Vec::new()).is_ok());
        assert!(fail_on(bad).is_err());
    }

    #[test]
    fn names_are_trimmed_sorted_and_unique() {
        let list = vec![" b ".into(), "a".into(), "".into(), "b".into()];
        assert_eq!(names("services", &list).unwrap(), ["a", "b"]);
        assert!(names("tags", &["x".repeat(101)]).is_err());
        assert_eq!(clean(Some("  ")), None);
        assert_eq!(clean(Some(" x ")).as_deref(), Some("x"));
    }
}
