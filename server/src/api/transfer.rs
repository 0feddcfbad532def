//! Export and import of the whole data set (admins only).

use std::sync::OnceLock;

use app::ssr::AppState;
use app::ssr::services::transfer::{self, Quiet};
use app::transfer::{Document, ImportSummary};
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiError, ApiResult, ErrorBody, Me};
use app::error::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/export", get(export))
        .route("/import", post(import))
}

/// The largest import body, in MB: `HINDSIGHT_IMPORT_MAX_MB`, default 512.
fn import_limit() -> usize {
    static LIMIT: OnceLock<usize> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("HINDSIGHT_IMPORT_MAX_MB")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|mb| *mb > 0)
            .unwrap_or(512)
            << 20
    })
}

#[utoipa::path(get, path = "/api/v1/export", tag = "transfer",
    responses((status = 200, description = "The whole data set as a hindsight/v1 document (users without secrets)", body = Document),
              (status = 403, body = ErrorBody)))]
pub(super) async fn export(State(s): State<AppState>, Me(me): Me) -> ApiResult<Response> {
    // Refused before the answer starts: once it has, its status is sent.
    me.require(app::domain::authz::Op::Administer)?;
    let now = Utc::now();
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let (fail_tx, fail_rx) = tokio::sync::oneshot::channel::<()>();
    let db = s.reader.clone();
    tokio::spawn(async move {
        let mut out = transfer::Out::new(tx);
        if let Err(e) = transfer::export_to(&db, &me, now, &Quiet, &mut out).await {
            tracing::error!(error = %e, "the export stopped");
            let _ = fail_tx.send(());
        }
    });
    // The pieces as they are written; a failure half-way breaks the answer off, so a
    // client never takes half a document for a whole one.
    let pieces = futures_util::stream::unfold((rx, Some(fail_rx)), |(mut rx, fail)| async move {
        match rx.recv().await {
            Some(piece) => Some((Ok(axum::body::Bytes::from(piece)), (rx, fail))),
            None => match fail.map(|mut f| f.try_recv()) {
                Some(Ok(())) => {
                    Some((Err(std::io::Error::other("the export stopped")), (rx, None)))
                }
                _ => None,
            },
        }
    });
    let name = format!(
        "attachment; filename=\"hindsight-export-{}.json\"",
        now.format("%Y%m%dT%H%M%SZ")
    );
    Ok((
        [
            (header::CONTENT_DISPOSITION, name),
            (header::CONTENT_TYPE, "application/json".to_owned()),
        ],
        axum::body::Body::from_stream(pieces),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/import", tag = "transfer", request_body = Document,
    responses((status = 200, description = "Imported in one transaction", body = ImportSummary),
              (status = 403, body = ErrorBody),
              (status = 409, description = "The database already holds incidents, known errors or actions", body = ErrorBody),
              (status = 422, description = "Every bad record, each with its field and the reason (`records`); nothing was written", body = ErrorBody)))]
pub(super) async fn import(
    State(s): State<AppState>,
    Me(me): Me,
    req: Request,
) -> ApiResult<Json<ImportSummary>> {
    // Refuse early, before reading a large body.
    me.require(app::domain::authz::Op::Administer)?;
    let spooled = spool(req.into_body(), import_limit()).await?;
    let source = transfer::Source::file(spooled.to_path_buf());
    let summary = transfer::import_from(&s.db, &me, source, Utc::now(), &Quiet).await;
    // The spooled copy goes whatever the outcome (also when `spooled` is dropped early).
    drop(spooled);
    Ok(Json(summary?))
}

/// Writes a request body to a temporary file as it arrives, so that an import reads it from
/// disk a record at a time and memory does not grow with the document. More than `limit`
/// bytes is a 400.
async fn spool(body: axum::body::Body, limit: usize) -> ApiResult<tempfile::TempPath> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let failed = |e: std::io::Error| {
        tracing::error!(error = %e, "spooling an import failed");
        ApiError(AppError::internal())
    };
    let (file, path) = tempfile::Builder::new()
        .prefix("hindsight-import-")
        .suffix(".json")
        .tempfile()
        .map_err(failed)?
        .into_parts();
    let mut out = tokio::io::BufWriter::with_capacity(1 << 16, tokio::fs::File::from_std(file));
    let mut stream = body.into_data_stream();
    let mut size = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError(AppError::bad_request(format!(
                "the document could not be read: {e}"
            )))
        })?;
        size += chunk.len();
        if size > limit {
            return Err(ApiError(AppError::bad_request(format!(
                "the document is larger than {} MB (HINDSIGHT_IMPORT_MAX_MB)",
                limit >> 20
            ))));
        }
        out.write_all(&chunk).await.map_err(failed)?;
    }
    out.flush().await.map_err(failed)?;
    Ok(path)
}
