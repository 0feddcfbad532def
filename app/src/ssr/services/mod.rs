//! The service layer: authorisation, validation and persistence. Server functions and REST
//! handlers both call these functions and nothing else.

pub mod incidents;
pub mod tokens;
pub mod users;
