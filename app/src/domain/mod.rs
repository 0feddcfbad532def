//! Pure domain rules of the SPEC, compiled for the server and the browser alike: state
//! machines, time-order checks, deadline arithmetic. No I/O here.

pub mod action;
pub mod alert;
pub mod authz;
pub mod calendar;
pub mod comment;
pub mod enums;
pub mod ids;
pub mod incident;
pub mod known_error;
pub mod live;
pub mod metrics;
pub mod notify;
pub mod postmortem;
pub mod reminder;
pub mod settings;
pub mod timeline;

pub use enums::*;
pub use ids::*;
