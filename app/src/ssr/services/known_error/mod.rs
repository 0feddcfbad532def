//! The known-error database: above incidents and postmortems (it reads them; they never read it).

mod find;
mod links;
mod list;
mod suggest;
mod write;

pub use find::{find, get, view};
pub use links::{link, unlink};
pub use list::{for_incident, list};
pub use suggest::{SERVICE_WEIGHT, SUGGESTIONS, suggest};
pub use write::{MAX_TEXT, create, update};
