//! Hindsight's shared crate: domain types and rules, the UI (Leptos components and pages),
//! server functions and, behind the `ssr` feature, the service layer that both the server
//! functions and the REST API call.

#![recursion_limit = "512"]

pub mod api;
pub mod components;
pub mod document;
pub mod domain;
pub mod error;
pub mod markdown;
pub mod model;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod transfer;

pub use routes::{App, shell};
