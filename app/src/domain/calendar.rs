//! Dates in the organisation's time zone and business-day deadline arithmetic.

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// The organisation's calendar: its time zone and its holidays (business days are Mon–Fri).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCalendar {
    pub tz: Tz,
    pub holidays: BTreeSet<NaiveDate>,
}

impl Default for OrgCalendar {
    fn default() -> Self {
        Self {
            tz: Tz::UTC,
            holidays: BTreeSet::new(),
        }
    }
}

/// Parses an IANA zone name such as `Europe/Berlin`.
pub fn parse_timezone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

impl OrgCalendar {
    pub fn new(tz: Tz, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            tz,
            holidays: holidays.into_iter().collect(),
        }
    }

    /// The calendar date of `instant` in the organisation's zone.
    pub fn date_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.tz).date_naive()
    }

    /// Monday to Friday, and not a holiday.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&date)
    }

    /// The first instant of `date` in the organisation's zone.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<Utc> {
        self.resolve_local(date.and_hms_opt(0, 0, 0).unwrap_or_default())
    }

    /// `start` moved forward one calendar day at a time (same wall-clock time in the
    /// organisation's zone) until `n` days that are business days have been counted.
    /// Friday 10:00 + 5 → next Friday 10:00; Saturday 10:00 + 1 → Monday 10:00.
    pub fn add_business_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut local = start.with_timezone(&self.tz).naive_local();
        let mut counted = 0;
        while counted < n {
            local = local + Days::new(1);
            if self.is_business_day(local.date()) {
                counted += 1;
            }
        }
        if counted == 0 {
            return start;
        }
        self.resolve_local(local)
    }

    /// A local wall-clock time as an instant; in a DST gap the time moves past the gap,
    /// in an overlap the earlier instant wins.
    fn resolve_local(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let mut probe = local;
        for _ in 0..4 {
            match self.tz.from_local_datetime(&probe) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(a, _) => return a.with_timezone(&Utc),
                LocalResult::None => probe += chrono::Duration::minutes(30),
            }
        }
        Utc.from_utc_datetime(&local)
    }
}

/// `date` plus `days` calendar days (saturating at the end of chrono's range).
pub fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn friday_plus_five_is_next_friday_same_time() {
        let cal = OrgCalendar::default();
        // 2026-01-02 is a Friday.
        assert_eq!(
            cal.add_business_days(utc("2026-01-02T10:00:00Z"), 5),
            utc("2026-01-09T10:00:00Z")
        );
    }

    #[test]
    fn saturday_plus_one_is_monday() {
        let cal = OrgCalendar::default();
        assert_eq!(
            cal.add_business_days(utc("2026-01-03T10:00:00Z"), 1),
            utc("2026-01-05T10:00:00Z")
        );
    }

    #[test]
    fn sunday_plus_one_is_monday_and_friday_plus_one_is_monday() {
        let cal = OrgCalendar::default();
        assert_eq!(
            cal.add_business_days(utc("2026-01-04T23:59:00Z"), 1),
            utc("2026-01-05T23:59:00Z")
        );
        assert_eq!(
            cal.add_business_days(utc("2026-01-02T08:00:00Z"), 1),
            utc("2026-01-05T08:00:00Z")
        );
    }

    #[test]
    fn holidays_are_skipped() {
        // Monday 2026-01-05 is a holiday: Friday + 1 lands on Tuesday.
        let cal = OrgCalendar::new(Tz::UTC, [d("2026-01-05")]);
        assert_eq!(
            cal.add_business_days(utc("2026-01-02T10:00:00Z"), 1),
            utc("2026-01-06T10:00:00Z")
        );
        // Ten business days across a weekend and two holidays.
        let cal = OrgCalendar::new(Tz::UTC, [d("2026-12-24"), d("2026-12-25")]);
        // Monday 2026-12-21 + 10 business days: 22,23,28,29,30,31, Jan 1,4,5,6 → 2027-01-06.
        assert_eq!(
            cal.add_business_days(utc("2026-12-21T09:00:00Z"), 10),
            utc("2027-01-06T09:00:00Z")
        );
    }

    #[test]
    fn zero_days_is_the_start_itself() {
        let cal = OrgCalendar::default();
        let t = utc("2026-01-03T10:00:00Z");
        assert_eq!(cal.add_business_days(t, 0), t);
    }

    #[test]
    fn weekdays_are_counted_in_the_organisations_zone() {
        // Friday 23:30 in New York is already Saturday in UTC: counting in New York, +1 is
        // Monday 23:30 New York time.
        let cal = OrgCalendar::new(parse_timezone("America/New_York").unwrap(), []);
        let friday_night_ny = utc("2026-01-10T04:30:00Z");
        assert_eq!(
            cal.add_business_days(friday_night_ny, 1),
            utc("2026-01-13T04:30:00Z")
        );
        assert_eq!(cal.date_of(friday_night_ny), d("2026-01-09"));
    }

    #[test]
    fn wall_clock_time_is_kept_across_daylight_saving_changes() {
        // Europe/Berlin springs forward on Sunday 2026-03-29. Friday 10:00 CET + 1 business
        // day is Monday 10:00 CEST, which is 08:00 UTC, not 09:00.
        let cal = OrgCalendar::new(parse_timezone("Europe/Berlin").unwrap(), []);
        assert_eq!(
            cal.add_business_days(utc("2026-03-27T09:00:00Z"), 1),
            utc("2026-03-30T08:00:00Z")
        );
    }

    #[test]
    fn business_day_and_dates() {
        let cal = OrgCalendar::new(Tz::UTC, [d("2026-05-01")]);
        assert!(cal.is_business_day(d("2026-04-30")));
        assert!(!cal.is_business_day(d("2026-05-01"))); // holiday
        assert!(!cal.is_business_day(d("2026-05-02"))); // Saturday
        assert_eq!(add_days(d("2026-01-31"), 30), d("2026-03-02"));
        assert_eq!(cal.start_of(d("2026-05-01")), utc("2026-05-01T00:00:00Z"));
        assert!(parse_timezone("Not/AZone").is_none());
    }
}
