//! Postmortems: above incidents (they read the incident they belong to, never the reverse).

mod list;
mod view;
mod workflow;
mod write;

pub use list::list;
pub use view::{actions_where, context, decode_list, encode, get, linked_actions};
pub use workflow::{approve, transition};
pub use write::{
    MAX_BODY, MAX_FACTORS, MAX_ITEM, MAX_REVIEWERS, MAX_ROOT_CAUSE, MAX_WHYS, clean_factors, put,
    validate,
};
