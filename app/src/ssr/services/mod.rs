//! The service layer: authorisation, validation and persistence. Server functions and REST
//! handlers both call these functions and nothing else.
//!
//! One folder per aggregate, files of one job each. Aggregates depend one way: `incident` reads
//! no other; `postmortem` reads incidents; `known_error` reads incidents and postmortems;
//! `action` reads incidents and known errors; `comment` reads those four (and notifies
//! through `notification`, which reads none; postmortems notify their reviewers through it);
//! `transfer` reads and writes them all. What
//! every one needs is in `common`.

pub mod action;
pub mod alert;
pub mod comment;
pub mod common;
pub mod incident;
pub mod keys;
pub mod known_error;
pub mod me;
pub mod metrics;
pub mod notification;
pub mod notify;
pub mod postmortem;
pub mod reminders;
pub mod settings;
pub mod tokens;
pub mod tracker;
pub mod transfer;
pub mod users;
