//! The service layer: authorisation, validation and persistence. Server functions and REST
//! handlers both call these functions and nothing else.

pub mod incident_write;
pub mod incidents;
pub mod keys;
pub mod postmortems;
pub mod tokens;
pub mod users;
