//! Corrective and preventive actions: above incidents and known errors (they link to both;
//! neither reads actions back).

mod calendar;
mod dates;
mod export;
mod find;
mod inbox;
mod list;
mod transition;
mod write;

pub use calendar::deadlines;
pub use dates::recompute_dates;
pub use export::{ExportRow, export};
pub use find::{find, get, view};
pub use inbox::{COUNT_CAP, INBOX_LIMIT, inbox};
pub use list::list;
pub use transition::transition;
pub use write::{MAX_TEXT, check_url, create, update};
