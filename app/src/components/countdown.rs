//! A clock that ticks in the browser, and the countdown to a deadline built on it.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::components::format;

/// "Now", moving every `period` once the page is interactive. Before that (and on the
/// server) it is `None`, so the first client render matches the server's.
pub fn ticking_now(period: std::time::Duration) -> ReadSignal<Option<DateTime<Utc>>> {
    let (now, set_now) = signal(None::<DateTime<Utc>>);
    Effect::new(move |_| {
        set_now.set(Some(Utc::now()));
        if let Ok(handle) = set_interval_with_handle(move || set_now.set(Some(Utc::now())), period)
        {
            on_cleanup(move || handle.clear());
        }
    });
    now
}

/// `due in 2d 4h` / `overdue by 3h 05m` / `no deadline`, relative to `now`.
pub fn due_text(due: Option<DateTime<Utc>>, done: bool, now: DateTime<Utc>) -> (String, bool) {
    match (due, done) {
        (None, _) => ("no deadline".into(), false),
        (Some(d), true) => (format!("was due {}", format::datetime(d)), false),
        (Some(d), false) => {
            let mins = (d - now).num_seconds() as f64 / 60.0;
            if mins >= 0.0 {
                (format!("due in {}", format::minutes(mins)), false)
            } else {
                (format!("overdue by {}", format::minutes(-mins)), true)
            }
        }
    }
}

/// A live countdown to `due` (stops mattering once `done`), marked when overdue.
#[component]
pub fn DueCountdown(
    due: Option<DateTime<Utc>>,
    done: bool,
    /// The server's "now" for the first render.
    rendered_at: DateTime<Utc>,
) -> impl IntoView {
    let now = ticking_now(std::time::Duration::from_secs(30));
    let state = move || due_text(due, done, now.get().unwrap_or(rendered_at));
    view! {
        <span class=move || if state().1 { "countdown overdue" } else { "countdown" } id="due-countdown"
            title=due.map(format::datetime).unwrap_or_default()>
            {move || if state().1 { "⚠ " } else { "" }}{move || state().0}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn countdown_texts() {
        let now = Utc.with_ymd_and_hms(2026, 1, 5, 10, 0, 0).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 1, 7, 14, 0, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 1, 5, 7, 0, 0).unwrap();
        assert_eq!(
            due_text(Some(later), false, now),
            ("due in 2d 4h".into(), false)
        );
        assert_eq!(
            due_text(Some(earlier), false, now),
            ("overdue by 3h 00m".into(), true)
        );
        assert_eq!(
            due_text(Some(earlier), true, now),
            ("was due 2026-01-05 07:00 UTC".into(), false)
        );
        assert_eq!(due_text(None, false, now), ("no deadline".into(), false));
    }
}
