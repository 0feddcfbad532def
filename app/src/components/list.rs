//! What the list pages share: the filter kept in the address, its links, the status tabs, the
//! results (their table, their empty state) and the keyset pager.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::components::error_box::ErrorBox;
use crate::domain::{ActionStatus, IncidentStatus, KnownErrorStatus, PostmortemStatus};
use crate::error::AppError;
use crate::model::{ActionFilter, IncidentFilter, KnownErrorFilter, Page, PostmortemFilter};

/// The filter of a list page, kept in the page's address and paged by a keyset cursor.
pub trait ListFilter:
    Clone + Default + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The list page's path.
    const PATH: &'static str;
    /// The cursor of the page shown; `None` is the first page.
    fn page(&mut self) -> &mut Option<String>;
}

/// A list filter with status tabs (and, on some lists, an "Overdue" tab).
pub trait StatusFilter: ListFilter {
    type Status: TabStatus;
    fn status(&mut self) -> &mut Option<Self::Status>;
    /// The "overdue" filter, on lists that have one.
    fn overdue(&mut self) -> Option<&mut Option<bool>>;
}

/// A status the tabs offer: every value, with a label.
pub trait TabStatus: Copy + PartialEq + Send + Sync + 'static {
    const ALL: &'static [Self];
    fn label(self) -> &'static str;
}

macro_rules! list_filters {
    ($($filter:ty => $path:literal, $status:ty, overdue: $overdue:ident),+ $(,)?) => {
        $(impl ListFilter for $filter {
            const PATH: &'static str = $path;
            fn page(&mut self) -> &mut Option<String> {
                &mut self.page
            }
        }

        impl StatusFilter for $filter {
            type Status = $status;
            fn status(&mut self) -> &mut Option<$status> {
                &mut self.status
            }
            fn overdue(&mut self) -> Option<&mut Option<bool>> {
                list_filters!(@overdue self $overdue)
            }
        }

        impl TabStatus for $status {
            const ALL: &'static [Self] = <$status>::ALL;
            fn label(self) -> &'static str {
                <$status>::label(self)
            }
        })+
    };
    (@overdue $self:ident yes) => { Some(&mut $self.overdue) };
    (@overdue $self:ident no) => { None };
}

list_filters!(
    IncidentFilter => "/incidents", IncidentStatus, overdue: no,
    PostmortemFilter => "/postmortems", PostmortemStatus, overdue: yes,
    ActionFilter => "/actions/all", ActionStatus, overdue: yes,
    KnownErrorFilter => "/known-errors", KnownErrorStatus, overdue: no,
);

/// The list's address for a filter.
pub fn href<F: ListFilter>(f: &F) -> String {
    let qs = serde_urlencoded::to_string(f).unwrap_or_default();
    if qs.is_empty() {
        F::PATH.to_owned()
    } else {
        format!("{}?{qs}", F::PATH)
    }
}

/// The filter changed by `change`, from its first page.
pub fn first_page<F: ListFilter>(f: &F, change: impl FnOnce(&mut F)) -> F {
    let mut f = f.clone();
    *f.page() = None;
    change(&mut f);
    f
}

/// A handler that goes to the first page of the list with one filter set to the value it is
/// given (e.g. a drop-down's choice).
pub fn refilter<F: ListFilter, V: 'static>(
    filter: Memo<F>,
    set: fn(&mut F, V),
) -> impl Fn(V) + Clone + Send + Sync + 'static {
    let navigate = use_navigate();
    move |value| {
        let f = first_page(&filter.get_untracked(), |f| set(f, value));
        navigate(&href(&f), Default::default());
    }
}

/// Reads a filter from the query's `key=value` pairs (named as the filter's fields): blank
/// values, values that do not parse and the keys in `fixed` (which the address may not set)
/// are left out.
pub fn from_query<'a, F: DeserializeOwned + Default>(
    query: impl IntoIterator<Item = (&'a str, &'a str)>,
    fixed: &[&str],
) -> F {
    fn parse<F: DeserializeOwned>(pairs: &[(&str, &str)]) -> Option<F> {
        let qs = serde_urlencoded::to_string(pairs).ok()?;
        serde_urlencoded::from_str(&qs).ok()
    }
    let pairs: Vec<(&str, &str)> = query
        .into_iter()
        .filter(|(k, v)| !fixed.contains(k) && !v.trim().is_empty())
        .filter(|pair| parse::<F>(&[*pair]).is_some())
        .collect();
    parse(&pairs).unwrap_or_default()
}

/// The filter in the current address, as it changes.
pub fn query_filter<F>(fixed: &'static [&'static str]) -> Memo<F>
where
    F: DeserializeOwned + Default + PartialEq + Send + Sync + 'static,
{
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        from_query(q.latest_values().map(|(k, v)| (k.as_ref(), v)), fixed)
    })
}

/// One tab of a list's tab bar.
#[component]
pub fn Tab(href: String, current: bool, label: &'static str) -> impl IntoView {
    view! { <a href=href class="tab" aria-current=current.then_some("page")>{label}</a> }
}

/// The status tabs of a list: all, each status, and "Overdue" where the list has that filter.
#[component]
pub fn StatusTabs<F: StatusFilter>(filter: Memo<F>) -> impl IntoView {
    let tab = move |status: Option<F::Status>, overdue: bool, label: &'static str| {
        let mut f = filter.get();
        let current =
            *f.status() == status && f.overdue().is_none_or(|o| o.unwrap_or(false) == overdue);
        let target = first_page(&f, |f| {
            *f.status() = status;
            if let Some(o) = f.overdue() {
                *o = overdue.then_some(true);
            }
        });
        view! { <Tab href=href(&target) current=current label=label/> }
    };
    let has_overdue = F::default().overdue().is_some();
    view! {
        <nav class="tabs" aria-label="Status">
            {move || view! {
                {tab(None, false, "All")}
                {F::Status::ALL.iter().map(|s| tab(Some(*s), false, s.label())).collect_view()}
                {has_overdue.then(|| tab(None, true, "Overdue"))}
            }}
        </nav>
    }
}

/// The message of a list without rows.
#[component]
pub fn EmptyState(id: &'static str, message: &'static str) -> impl IntoView {
    view! { <p class="empty-state" id=id>{message}</p> }
}

/// Links to the first page (when on a later one) and to the next page (when there is one).
#[component]
pub fn Pager<F: ListFilter>(filter: F, next: Option<String>) -> impl IntoView {
    let first = filter
        .clone()
        .page()
        .is_some()
        .then(|| href(&first_page(&filter, |_| ())));
    let next = next.map(|c| href(&first_page(&filter, |f| *f.page() = Some(c))));
    view! {
        <nav class="pager" aria-label="Pages">
            {first.map(|h| view! { <a href=h>"← First page"</a> })}
            {next.map(|h| view! { <a href=h rel="next">"Next page →"</a> })}
        </nav>
    }
}

/// A list's table: column heads (`numeric` ones aligned as numbers) and the rows.
#[component]
pub fn ListTable(
    id: &'static str,
    heads: &'static [&'static str],
    #[prop(optional)] numeric: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    let heads = heads
        .iter()
        .map(|h| {
            if numeric.contains(h) {
                view! { <th scope="col" class="num">{*h}</th> }.into_any()
            } else {
                view! { <th scope="col">{*h}</th> }.into_any()
            }
        })
        .collect_view();
    view! {
        <table class="list" id=id>
            <thead><tr>{heads}</tr></thead>
            <tbody>{children()}</tbody>
        </table>
    }
}

/// What an empty list says: `none` where nothing is recorded, `no_match` where filters are set.
#[derive(Debug, Clone, Copy)]
struct Empty {
    id: &'static str,
    none: &'static str,
    no_match: &'static str,
}

/// A list page's results for the filter in the address: a loading line, the error, the empty
/// state (`empty_id`, saying `none` or, with filters, `no_match`), or the rows and the pager.
#[component]
pub fn ListResults<F, T, R, V>(
    filter: Memo<F>,
    list: Resource<Result<Page<T>, AppError>>,
    loading: &'static str,
    empty_id: &'static str,
    none: &'static str,
    no_match: &'static str,
    rows: R,
) -> impl IntoView
where
    F: ListFilter,
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    R: Fn(Vec<T>) -> V + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let empty = Empty {
        id: empty_id,
        none,
        no_match,
    };
    view! {
        <Transition fallback=move || view! { <p class="muted">{loading}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) => results(page, filter.get(), empty, rows),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn results<F: ListFilter, T, V: IntoView + 'static>(
    page: Page<T>,
    filter: F,
    empty: Empty,
    rows: impl Fn(Vec<T>) -> V,
) -> AnyView {
    if page.items.is_empty() {
        let message = if filter == F::default() {
            empty.none
        } else {
            empty.no_match
        };
        return view! { <EmptyState id=empty.id message=message/> }.into_any();
    }
    view! {
        {rows(page.items)}
        <Pager filter=filter next=page.next/>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IncidentStatus, Severity};
    use crate::model::MetricsQuery;

    #[test]
    fn a_filter_is_read_leniently_from_the_address() {
        let q = [
            ("status", "resolved"),
            ("severity", "sev9"),
            ("service", "  "),
            ("q", "pool exhausted"),
            ("detected_from", "2026-01-02"),
            ("detected_to", "yesterday"),
            ("recurring", "true"),
            ("page", "abc=&/"),
            ("limit", "5"),
            ("unknown", "x"),
        ];
        let f: IncidentFilter = from_query(q, &["limit"]);
        assert_eq!(
            f,
            IncidentFilter {
                status: Some(IncidentStatus::Resolved),
                q: Some("pool exhausted".into()),
                detected_from: "2026-01-02".parse().ok(),
                recurring: Some(true),
                page: Some("abc=&/".into()),
                ..Default::default()
            }
        );
        let m: MetricsQuery = from_query(
            [("as_of", "2026-01-02T00:00:00Z"), ("severity", "sev2")],
            &["as_of"],
        );
        assert_eq!(m.as_of, None);
        assert_eq!(m.severity, Some(Severity::Sev2));
        assert_eq!(
            from_query::<IncidentFilter>([], &[]),
            IncidentFilter::default()
        );
    }

    #[test]
    fn links_keep_the_filter_and_start_from_the_first_page() {
        assert_eq!(href(&KnownErrorFilter::default()), "/known-errors");
        let f = ActionFilter {
            team: Some("core".into()),
            page: Some("c1".into()),
            ..Default::default()
        };
        assert_eq!(href(&f), "/actions/all?team=core&page=c1");
        let first = first_page(&f, |f| f.overdue = Some(true));
        assert_eq!(href(&first), "/actions/all?team=core&overdue=true");
    }
}
