//! Comments on incidents, postmortems, actions and known errors: above all four (it checks the
//! record it is on exists; none of them reads comments, but a postmortem counts its open
//! review threads). Mentions notify through `notification`.

mod list;
mod mentions;
mod write;

pub use list::{get, list, target, view_all};
pub use mentions::suggest;
pub use write::{create, delete, update};
