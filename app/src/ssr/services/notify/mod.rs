//! Notifications out: channels (Slack, Teams, signed webhooks), the outbox every change
//! writes its messages to, and the delivery worker.
//!
//! Depends on nothing above it: the aggregates call [`outbox::enqueue`] with a
//! [`render::Notice`] in the transaction of their change.

pub mod channels;
pub mod deliver;
pub mod notices;
pub mod outbox;
pub mod render;

pub use render::Notice;
