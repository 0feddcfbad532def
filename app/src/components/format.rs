//! Formatting of times and durations for people.

use chrono::{DateTime, Utc};

/// `2026-01-02 10:04 UTC`
pub fn datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Minutes as `42s`, `45m`, `3h 05m`, `2d 4h`.
pub fn minutes(m: f64) -> String {
    if !m.is_finite() || m < 0.0 {
        return "—".into();
    }
    if m < 1.0 {
        return format!("{}s", (m * 60.0).round() as i64);
    }
    let total = m.round() as i64;
    let (d, h, min) = (total / 1440, (total % 1440) / 60, total % 60);
    match (d, h) {
        (0, 0) => format!("{min}m"),
        (0, _) => format!("{h}h {min:02}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(minutes(0.0), "0s");
        assert_eq!(minutes(0.7), "42s");
        assert_eq!(minutes(45.4), "45m");
        assert_eq!(minutes(185.0), "3h 05m");
        assert_eq!(minutes(3000.0), "2d 2h");
        assert_eq!(minutes(-1.0), "—");
    }
}
