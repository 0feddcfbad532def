//! Incidents, the lowest aggregate: every other one may read them; they read no other.

mod correct;
mod find;
mod labels;
mod list;
mod rca_due;
mod timeline;
mod write;

pub use correct::{correct_event, entry_field, event_history};
pub use find::{find, find_for, get, key_times, view};
pub use labels::{LabelsCache, changed as labels_changed, labels, services_of};
pub use list::{active_count, list, list_at};
pub use rca_due::{rca_due, recompute_due, sync_due};
pub(crate) use timeline::add_server_entry;
pub use timeline::{add_event, recent as recent_timeline, timeline};
pub use write::{create, update};
