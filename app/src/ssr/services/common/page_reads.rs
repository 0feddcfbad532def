//! Records read once per server-rendered page.
//!
//! A page's panels each load what they show through their own server function (the header,
//! the timeline, the alerts, the actions, the known errors, the comments), and each finds its
//! incident by key first. While one page renders they share that read: the first panel to
//! ask reads the row, the others (running at the same time) wait for it and take a copy.
//! Only a page's `GET` carries a [`PageReads`]; a server function called from the browser, an
//! API request and every write read the table as before.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::error::AppResult;
use crate::ssr::entities::incident;

type Slot<T> = Arc<OnceCell<T>>;

/// What one page render has read so far (nothing outside a page render).
#[derive(Clone, Default)]
pub struct PageReads(Option<Arc<Reads>>);

#[derive(Default)]
struct Reads {
    incidents: Mutex<HashMap<i64, Slot<incident::Model>>>,
}

impl PageReads {
    /// A new, empty set for one page render.
    pub fn page() -> Self {
        Self(Some(Arc::default()))
    }

    /// Whether reads are shared (inside a page render).
    pub fn shared(&self) -> bool {
        self.0.is_some()
    }

    /// Incident number `seq`: read by `load` the first time this page asks, shared after.
    /// A failed read is not kept (the next asker tries again).
    pub async fn incident<F, Fut>(&self, seq: i64, load: F) -> AppResult<incident::Model>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<incident::Model>>,
    {
        let slot = self.0.as_ref().and_then(|r| {
            r.incidents
                .lock()
                .ok()
                .map(|mut m| m.entry(seq).or_default().clone())
        });
        match slot {
            Some(slot) => slot.get_or_try_init(load).await.cloned(),
            None => load().await,
        }
    }
}

/// Every set compares equal: what a page has read says nothing about who is asking.
impl PartialEq for PageReads {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for PageReads {}

impl std::fmt::Debug for PageReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.shared() {
            "PageReads(page)"
        } else {
            "PageReads(none)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn row(seq: i64) -> incident::Model {
        incident::Model {
            id: seq,
            key: format!("INC-{seq}"),
            seq,
            title: String::new(),
            severity: crate::domain::Severity::Sev3,
            status: crate::domain::IncidentStatus::Investigating,
            summary: String::new(),
            customer_impact: String::new(),
            commander_id: None,
            started_at: None,
            detected_at: 0,
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: None,
            closed_at: None,
            reopen_count: 0,
            rca_due_at: None,
            created_by: None,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    #[tokio::test]
    async fn a_page_reads_each_incident_once_and_elsewhere_every_time() {
        let reads = AtomicUsize::new(0);
        let load = |seq| {
            let reads = &reads;
            move || async move {
                reads.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Ok(row(seq))
            }
        };
        let page = PageReads::page();
        // Asked side by side, as a page's panels ask.
        let (a, b, c) = tokio::join!(
            page.incident(7, load(7)),
            page.incident(7, load(7)),
            page.incident(8, load(8))
        );
        assert_eq!((a.unwrap().seq, b.unwrap().seq, c.unwrap().seq), (7, 7, 8));
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        let none = PageReads::default();
        none.incident(7, load(7)).await.unwrap();
        none.incident(7, load(7)).await.unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_failed_read_is_tried_again() {
        let page = PageReads::page();
        let missing = page
            .incident(9, || async {
                Err(crate::error::AppError::not_found("incident INC-9"))
            })
            .await;
        assert!(missing.is_err());
        assert_eq!(
            page.incident(9, || async { Ok(row(9)) }).await.unwrap().seq,
            9
        );
    }
}
