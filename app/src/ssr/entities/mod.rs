//! sea-orm entities, one module per table. Instants are `i64` Unix milliseconds.

pub mod action;
pub mod action_verification;
pub mod alert_link;
pub mod api_token;
pub mod audit_log;
pub mod comment;
pub mod incident;
pub mod incident_role;
pub mod incident_service;
pub mod incident_tag;
pub mod key_counter;
pub mod known_error;
pub mod known_error_incident;
pub mod known_error_service;
pub mod known_error_term;
pub mod live_event;
pub mod login_failure;
pub mod notification;
pub mod postmortem;
pub mod postmortem_reviewer;
pub mod presence;
pub mod reminder_sent;
pub mod session;
pub mod setting;
pub mod timeline_event;
pub mod user;
