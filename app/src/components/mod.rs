//! Reusable UI pieces.

pub mod actions;
pub mod badges;
pub mod charts;
pub mod comments;
pub mod countdown;
pub mod error_box;
pub mod filters;
pub mod format;
pub mod history;
pub mod layout;
pub mod list;
pub mod live;
pub mod session;
