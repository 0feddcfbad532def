//! Wire and UI types shared by the server and the browser (what pages and the REST API show),
//! one file per aggregate.

mod account;
mod action;
mod alert;
mod comment;
mod incident;
mod known_error;
mod metrics;
mod notify;
mod postmortem;
mod tracker;

pub use account::*;
pub use action::*;
pub use alert::*;
pub use comment::*;
pub use incident::*;
pub use known_error::*;
pub use metrics::*;
pub use notify::*;
pub use postmortem::*;
pub use tracker::*;

use serde::{Deserialize, Serialize};

/// A page of a list, paginated by key: `next` is the cursor of the following page, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Deserialises a field that may be absent (keep), `null` (clear) or a value (set).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
