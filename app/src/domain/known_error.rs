//! Known-error rules: `fix_scheduled` and `fixed` need a `fix_version`.

use super::enums::KnownErrorStatus;
use crate::error::{AppError, AppResult};

pub fn check_status(status: KnownErrorStatus, fix_version: Option<&str>) -> AppResult<()> {
    let needs_version = matches!(
        status,
        KnownErrorStatus::FixScheduled | KnownErrorStatus::Fixed
    );
    if needs_version && fix_version.is_none_or(|v| v.trim().is_empty()) {
        return Err(AppError::invalid(
            "fix_version",
            format!("is required when the status is {status}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_version_is_required_only_for_scheduled_and_fixed() {
        for s in KnownErrorStatus::ALL {
            let needs = matches!(s, KnownErrorStatus::FixScheduled | KnownErrorStatus::Fixed);
            assert_eq!(check_status(*s, None).is_err(), needs, "{s}");
            assert_eq!(check_status(*s, Some(" ")).is_err(), needs, "{s}");
            assert!(check_status(*s, Some("2.4.1")).is_ok());
        }
        assert_eq!(
            check_status(KnownErrorStatus::Fixed, None)
                .unwrap_err()
                .fields()[0]
                .field,
            "fix_version"
        );
    }
}
