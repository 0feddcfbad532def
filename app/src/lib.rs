//! Hindsight's shared crate: domain types and rules, the UI (Leptos components and pages),
//! server functions and, behind the `ssr` feature, the service layer that both the server
//! functions and the REST API call.

pub mod domain;
pub mod error;
