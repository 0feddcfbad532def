//! The arithmetic of the follow-through metrics, shared by the database path and the
//! reference implementation: rates, the median of an even count, nearest-rank p90, the
//! longest gap between updates and the ordering of top drivers.

use std::cmp::Ordering;

/// `num / den`, or `None` when nothing is counted.
pub fn rate(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// `⌈0.9·n⌉` in whole numbers (no floating-point error at multiples of ten).
pub fn p90_rank(n: u64) -> u64 {
    (9 * n).div_ceil(10)
}

/// Mean, median and p90 of a set of durations in minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub mean: f64,
    pub median: f64,
    pub p90: f64,
}

/// The summary from the count, the sum and the values at the median's one or two ranks and
/// p90's nearest rank (rank from one → value).
pub fn summary(n: u64, sum: f64, at: impl Fn(u64) -> Option<f64>) -> Option<Summary> {
    if n == 0 {
        return None;
    }
    let median = if n % 2 == 1 {
        at(n.div_ceil(2))?
    } else {
        (at(n / 2)? + at(n / 2 + 1)?) / 2.0
    };
    Some(Summary {
        mean: sum / n as f64,
        median,
        p90: at(p90_rank(n))?,
    })
}

/// The summary of unsorted values (the reference path).
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(Ordering::Equal));
    summary(v.len() as u64, v.iter().sum(), |r| {
        v.get((r as usize).checked_sub(1)?).copied()
    })
}

/// The longest gap, in minutes, between consecutive points of the sorted list `start`, each
/// update inside `[start, end]`, `end` (updates outside the window are ignored).
pub fn longest_gap(start_ms: i64, end_ms: i64, updates_ms: &[i64]) -> f64 {
    let mut points: Vec<i64> = std::iter::once(start_ms)
        .chain(
            updates_ms
                .iter()
                .copied()
                .filter(|t| *t >= start_ms && *t <= end_ms),
        )
        .chain(std::iter::once(end_ms))
        .collect();
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(0)
        .max(0) as f64
        / 60_000.0
}

/// Top drivers: rows with a count above zero, largest first, ties by name in plain string
/// (byte) order, at most `TOP_N`.
pub fn top(mut rows: Vec<(String, u64)>) -> Vec<(String, u64)> {
    rows.retain(|(_, c)| *c > 0);
    rows.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
    });
    rows.truncate(TOP_N);
    rows
}

/// How many rows each top-driver list keeps.
pub const TOP_N: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let s = summarize(&[40.0, 10.0, 30.0, 20.0]).unwrap();
        assert_eq!(s.median, 25.0);
        assert_eq!(s.mean, 25.0);
        assert_eq!(summarize(&[3.0, 1.0, 2.0]).unwrap().median, 2.0);
        assert_eq!(summarize(&[]), None);
    }

    #[test]
    fn p90_is_nearest_rank() {
        // ⌈0.9·10⌉ = 9th, ⌈0.9·11⌉ = 10th, ⌈0.9·1⌉ = 1st, ⌈0.9·20⌉ = 18th.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(summarize(&v).unwrap().p90, 9.0);
        let v: Vec<f64> = (1..=11).map(f64::from).collect();
        assert_eq!(summarize(&v).unwrap().p90, 10.0);
        assert_eq!(summarize(&[7.0]).unwrap().p90, 7.0);
        assert_eq!(p90_rank(20), 18);
        assert_eq!(p90_rank(21), 19);
    }

    #[test]
    fn rates_are_null_without_a_denominator() {
        assert_eq!(rate(0, 0), None);
        assert_eq!(rate(1, 4), Some(0.25));
    }

    #[test]
    fn the_longest_gap_counts_start_updates_in_the_window_and_end() {
        let m = 60_000;
        assert_eq!(longest_gap(0, 100 * m, &[]), 100.0);
        assert_eq!(longest_gap(0, 100 * m, &[30 * m, 50 * m]), 50.0);
        // Updates before the start or after the end do not shorten a gap.
        assert_eq!(longest_gap(10 * m, 100 * m, &[5 * m, 120 * m]), 90.0);
        assert_eq!(longest_gap(0, 90 * m, &[90 * m, 45 * m]), 45.0);
    }

    #[test]
    fn top_drivers_drop_zeros_sort_by_count_then_name_and_keep_ten() {
        let rows = vec![
            ("b".to_owned(), 2),
            ("a".to_owned(), 2),
            ("Z".to_owned(), 2),
            ("zero".to_owned(), 0),
            ("c".to_owned(), 5),
        ];
        let t = top(rows);
        let names: Vec<_> = t.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["c", "Z", "a", "b"],
            "plain byte order puts Z before a"
        );
        let many: Vec<_> = (0..15).map(|i| (format!("s{i:02}"), 1)).collect();
        assert_eq!(top(many).len(), TOP_N);
    }
}
