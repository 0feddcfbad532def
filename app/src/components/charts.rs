//! Small SVG charts drawn on the server and hydrated like any view: columns over time, a line
//! over time, and labelled horizontal bars. Every mark carries its value as a tooltip and,
//! where given, links to the records behind it.

use leptos::prelude::*;

/// One mark: its label, its value (`None`: no data), and where it leads.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub label: String,
    pub value: Option<f64>,
    pub href: Option<String>,
}

const W: f64 = 560.0;
const H: f64 = 180.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    let n = max / mag;
    let step = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    step * mag
}

/// Axis ticks: 0, ½ and the top.
fn ticks(max: f64, fmt: fn(f64) -> String) -> impl IntoView {
    let plot_h = H - BOTTOM - TOP;
    [0.0, 0.5, 1.0]
        .into_iter()
        .map(|f| {
            let y = TOP + plot_h * (1.0 - f);
            view! {
                <line x1=LEFT x2=W y1=y y2=y class="grid"/>
                <text x=LEFT - 4.0 y=y + 4.0 class="tick" text-anchor="end">{fmt(max * f)}</text>
            }
        })
        .collect_view()
}

/// Columns, one per point (months, say), scaled to `max` (or the largest value).
#[component]
pub fn ColumnChart(
    points: Vec<Point>,
    label: String,
    #[prop(optional)] max: Option<f64>,
    fmt: fn(f64) -> String,
    id: &'static str,
) -> impl IntoView {
    let top =
        max.unwrap_or_else(|| nice_max(points.iter().filter_map(|p| p.value).fold(0.0, f64::max)));
    let plot_h = H - BOTTOM - TOP;
    let n = points.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let bar = (slot * 0.65).min(48.0);
    view! {
        <svg class="chart" id=id viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone()>
            <title>{label.clone()}</title>
            {ticks(top, fmt)}
            {points.into_iter().enumerate().map(|(i, p)| {
                let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                let h = p.value.map(|v| (v / top).clamp(0.0, 1.0) * plot_h).unwrap_or(0.0);
                let tip = format!("{}: {}", p.label, p.value.map(fmt).unwrap_or_else(|| "no data".into()));
                let rect = view! {
                    <rect x=x y=TOP + plot_h - h width=bar height=h.max(if p.value.is_some() { 1.0 } else { 0.0 }) class="bar"><title>{tip}</title></rect>
                };
                view! {
                    {match p.href {
                        Some(h) => view! { <a href=h>{rect}</a> }.into_any(),
                        None => rect.into_any(),
                    }}
                    <text x=x + bar / 2.0 y=H - 6.0 class="tick" text-anchor="middle">{p.label.clone()}</text>
                    {p.value.is_none().then(|| view! { <text x=x + bar / 2.0 y=TOP + plot_h - 4.0 class="tick muted" text-anchor="middle">"–"</text> })}
                }
            }).collect_view()}
        </svg>
    }
}

/// A line over the points, with a dot per value (gaps where there is no data).
#[component]
pub fn LineChart(
    points: Vec<Point>,
    label: String,
    fmt: fn(f64) -> String,
    id: &'static str,
) -> impl IntoView {
    let top = nice_max(points.iter().filter_map(|p| p.value).fold(0.0, f64::max));
    let plot_h = H - BOTTOM - TOP;
    let n = points.len().max(1) as f64;
    let slot = (W - LEFT) / n;
    let xy = |i: usize, v: f64| {
        (
            LEFT + slot * i as f64 + slot / 2.0,
            TOP + plot_h * (1.0 - (v / top).clamp(0.0, 1.0)),
        )
    };
    // One path segment per run of consecutive values.
    let mut d = String::new();
    let mut pen_down = false;
    for (i, p) in points.iter().enumerate() {
        match p.value {
            Some(v) => {
                let (x, y) = xy(i, v);
                d += &format!("{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    view! {
        <svg class="chart" id=id viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone()>
            <title>{label.clone()}</title>
            {ticks(top, fmt)}
            <path d=d class="line"/>
            {points.into_iter().enumerate().map(|(i, p)| {
                let (x, _) = xy(i, 0.0);
                view! {
                    {p.value.map(|v| {
                        let (x, y) = xy(i, v);
                        let tip = format!("{}: {}", p.label, fmt(v));
                        let dot = view! { <circle cx=x cy=y r=4 class="dot"><title>{tip}</title></circle> };
                        match p.href.clone() {
                            Some(h) => view! { <a href=h>{dot}</a> }.into_any(),
                            None => dot.into_any(),
                        }
                    })}
                    <text x=x y=H - 6.0 class="tick" text-anchor="middle">{p.label.clone()}</text>
                }
            }).collect_view()}
        </svg>
    }
}

/// Labelled horizontal bars, largest scale first as given; each bar links to its records.
#[component]
pub fn BarList(points: Vec<Point>, label: String, id: &'static str) -> impl IntoView {
    let top = points
        .iter()
        .filter_map(|p| p.value)
        .fold(0.0, f64::max)
        .max(1.0);
    if points.is_empty() {
        return view! { <p class="muted" id=id>"Nothing to show for this period."</p> }.into_any();
    }
    view! {
        <ul class="bar-list" id=id aria-label=label>
            {points.into_iter().map(|p| {
                let v = p.value.unwrap_or(0.0);
                let pct = (v / top * 100.0).clamp(0.0, 100.0);
                let name = p.label.clone();
                let inner = view! {
                    <span class="bar-label">{name}</span>
                    <span class="bar-track"><span class="bar-fill" style=format!("width: {pct:.1}%")></span></span>
                    <span class="bar-value num">{format!("{v}")}</span>
                };
                view! {
                    <li>{match p.href {
                        Some(h) => view! { <a href=h class="bar-row">{inner}</a> }.into_any(),
                        None => view! { <span class="bar-row">{inner}</span> }.into_any(),
                    }}</li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::nice_max;

    #[test]
    fn axis_tops_are_round_numbers_above_the_data() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(0.8), 1.0);
        assert_eq!(nice_max(3.2), 5.0);
        assert_eq!(nice_max(17.0), 20.0);
        assert_eq!(nice_max(420.0), 500.0);
        assert_eq!(nice_max(1000.0), 1000.0);
    }
}
