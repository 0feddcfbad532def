//! The kit every aggregate's services share: keyset pages, id and e-mail lookups, text
//! checks, raw SQL with bound values, the list conditions the metrics share, and optimistic
//! locking.

pub mod children;
pub mod conditions;
pub mod lookup;
pub mod page;
pub mod page_reads;
pub mod sql;
pub mod text;
mod version;

pub use page::{DEFAULT_LIMIT, Keyset, MAX_LIMIT};
pub use page_reads::PageReads;
pub use sql::Sql;
pub use version::{Versioned, is_write_conflict, save_version, stale_by};
