//! Server functions of the integrations: hooks (alerts in), channels (notifications out) and
//! the alerts of an incident.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{
    Alert, Channel, ChannelPatch, CreatedChannel, CreatedHook, Delivery, Hook, NewChannel, NewHook,
    Page, TestSent,
};

#[cfg(feature = "ssr")]
use super::ctx;

#[server(prefix = "/rpc", endpoint = "list_hooks")]
pub async fn list_hooks() -> Result<Vec<Hook>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::alert::list(&state.reader, &actor, &state.config.public_origin).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_hook", input = server_fn::codec::Json)]
pub async fn create_hook(hook: NewHook) -> Result<CreatedHook, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::alert::create(
            &state.db,
            &actor,
            hook,
            &state.config.public_origin,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "delete_hook")]
pub async fn delete_hook(id: i64) -> Result<(), AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::alert::delete(&state.db, &actor, id, chrono::Utc::now()).await
    })
    .await
}

/// The alerts of incident `key`, first seen first.
#[server(prefix = "/rpc", endpoint = "incident_alerts")]
pub async fn incident_alerts(key: String) -> Result<Vec<Alert>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::alert::of_incident(&state.reader, &actor, &key).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_channels")]
pub async fn list_channels() -> Result<Vec<Channel>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::notify::channels::list(&state.reader, &actor).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_channel", input = server_fn::codec::Json)]
pub async fn create_channel(channel: NewChannel) -> Result<CreatedChannel, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::notify::channels::create(
            &state.db,
            &actor,
            channel,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_channel", input = server_fn::codec::Json)]
pub async fn update_channel(id: i64, patch: ChannelPatch) -> Result<Channel, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::notify::channels::update(
            &state.db,
            &actor,
            id,
            patch,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "delete_channel")]
pub async fn delete_channel(id: i64) -> Result<(), AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::notify::channels::delete(&state.db, &actor, id, chrono::Utc::now())
            .await
    })
    .await
}

/// Sends a test message to channel `id` now and says how it went.
#[server(prefix = "/rpc", endpoint = "test_channel")]
pub async fn test_channel(id: i64) -> Result<TestSent, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::notify::channels::test(
            &state.db,
            &actor,
            id,
            &state.http,
            &state.config.public_origin,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// One page of channel `id`'s delivery log, newest first.
#[server(prefix = "/rpc", endpoint = "channel_deliveries")]
pub async fn channel_deliveries(id: i64, page: Option<String>) -> Result<Page<Delivery>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::notify::channels::deliveries(
            &state.reader,
            &actor,
            id,
            page.as_deref(),
            Some(20),
        )
        .await
    })
    .await
}

/// The trackers an action's issue can be created in.
#[server(prefix = "/rpc", endpoint = "tracker_choices")]
pub async fn tracker_choices() -> Result<Vec<crate::model::TrackerChoice>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tracker::choices(&state.reader, &actor).await
    })
    .await
}

/// Creates action `key`'s issue in `tracker` and links it.
#[server(prefix = "/rpc", endpoint = "create_tracker_issue")]
pub async fn create_tracker_issue(
    key: String,
    tracker: i64,
) -> Result<crate::model::Action, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tracker::link::create_issue(
            &state.db,
            &actor,
            &state.http,
            &state.config.public_origin,
            &key,
            tracker,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_trackers")]
pub async fn list_trackers() -> Result<Vec<crate::model::Tracker>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tracker::list(&state.reader, &actor, &state.config.public_origin)
            .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_tracker", input = server_fn::codec::Json)]
pub async fn create_tracker(
    tracker: crate::model::NewTracker,
) -> Result<crate::model::CreatedTracker, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tracker::create(
            &state.db,
            &actor,
            tracker,
            &state.config.public_origin,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// Changes tracker `id` (admins); credentials given replace the stored ones.
#[server(prefix = "/rpc", endpoint = "update_tracker", input = server_fn::codec::Json)]
pub async fn update_tracker(
    id: i64,
    patch: crate::model::TrackerPatch,
) -> Result<crate::model::Tracker, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tracker::update(
            &state.db,
            &actor,
            id,
            patch,
            &state.config.public_origin,
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "delete_tracker")]
pub async fn delete_tracker(id: i64) -> Result<(), AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tracker::delete(&state.db, &actor, id, chrono::Utc::now()).await
    })
    .await
}
