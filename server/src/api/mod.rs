//! The REST API under `/api/v1`: thin handlers over the service layer, errors in the SPEC's
//! shape `{"error": {"code", "message", "fields"?}}`.

mod accounts;
mod actions;
mod channels;
mod comments;
pub mod hooks;
mod inbound;
mod incidents;
mod known_errors;
mod metrics;
mod postmortems;
mod stream;
mod trackers;
mod transfer;

use app::error::AppError;
use app::ssr::AppState;
use app::ssr::auth::Auth;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0.to_body())).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON body whose problems become our error shape: 400 for a body that is not JSON,
/// 422 naming the field for JSON that does not fit.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_JSON_BYTES)
            .await
            .map_err(|_| {
                ApiError(AppError::bad_request(format!(
                    "the request body is larger than {} MB",
                    MAX_JSON_BYTES >> 20
                )))
            })?;
        // PostgreSQL cannot store NUL in text; refuse it for both databases alike.
        if let Some(field) = nul_field(&bytes) {
            return Err(ApiError(AppError::invalid(
                field,
                "text must not contain the NUL character (\\u0000)",
            )));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                Err(ApiError(AppError::invalid(json_error_field(&text), text)))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(AppError::bad_request(
                "send JSON with Content-Type: application/json",
            ))),
            Err(e) => Err(ApiError(AppError::bad_request(e.body_text()))),
        }
    }
}

/// The largest JSON body accepted.
const MAX_JSON_BYTES: usize = 16 << 20;

/// If the JSON carries a `\u0000` escape (the only way JSON can hold NUL), the top-level
/// field it is in, or `body`.
fn nul_field(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let lower = text.to_ascii_lowercase();
    let escaped = lower.match_indices("\\u0000").any(|(i, _)| {
        // An escape only if preceded by an even number of further backslashes.
        lower[..i].chars().rev().take_while(|c| *c == '\\').count() % 2 == 0
    });
    if !escaped {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let field = value
        .as_object()
        .and_then(|o| {
            o.iter()
                .find(|(_, v)| v.to_string().contains("\\u0000"))
                .map(|(k, _)| k.clone())
        })
        .unwrap_or_else(|| "body".into());
    Some(field)
}

/// The field a JSON data error is about, as our errors name fields (`a.0.b`). axum reports
/// `…target type: <path>: <serde message>`, the path absent at the top level; a missing or
/// unknown field is named in backticks by serde.
fn json_error_field(text: &str) -> String {
    let rest = text.split_once("target type: ").map_or(text, |(_, r)| r);
    let is_path = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
    };
    let (path, message) = match rest.split_once(": ") {
        Some((p, m)) if is_path(p) => (Some(p), m),
        _ => (None, rest),
    };
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|r| r.split('`').next());
    let path = path.map(|p| p.replace('[', ".").replace(']', ""));
    match (path, named) {
        (Some(p), Some(n)) => format!("{p}.{n}"),
        (Some(p), None) => p,
        (None, Some(n)) => n.to_owned(),
        (None, None) => "body".into(),
    }
}

/// Query parameters whose problems become a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de)
            .map(ApiQuery)
            .map_err(|e| {
                // The parameter is the error's path; an unknown one is named in the message.
                let path = e.path().to_string();
                let text = e.inner().to_string();
                let field = if path.is_empty() || path == "." || path == "?" {
                    text.split('`')
                        .nth(1)
                        .map(str::to_owned)
                        .unwrap_or_else(|| "query".into())
                } else {
                    path
                };
                ApiError(AppError::invalid(field, text))
            })
    }
}

/// The signed-in actor of a request, or 401.
pub struct Me(pub app::ssr::auth::Actor);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Me {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        auth.0
            .map(Me)
            .ok_or_else(|| ApiError(AppError::unauthorized()))
    }
}

/// The SPEC's error shape, for the API document.
#[derive(utoipa::ToSchema)]
pub struct ErrorBody {
    #[allow(dead_code)]
    error: ErrorDetail,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// `bad_request`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `invalid`, …
    code: String,
    message: String,
    /// With 422: each field and what is wrong with it.
    fields: Option<Vec<app::error::FieldError>>,
    /// With 422 from an import: every bad record, its field and the reason.
    records: Option<Vec<RecordProblem>>,
}

/// One bad record of an import.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct RecordProblem {
    /// The record's key (`ACT-7`), a user's e-mail, or e.g. `INC-3 timeline[4]`.
    record: String,
    field: String,
    reason: String,
}

/// The OpenAPI document of `/api/v1`, generated from the handlers and wire types.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Hindsight API",
        description = "Incidents, postmortems, known errors and corrective actions. Authenticate with the session cookie (POST /api/v1/session) or `Authorization: Bearer <token>`."
    ),
    paths(
        accounts::login,
        accounts::logout,
        accounts::whoami,
        accounts::list_users,
        accounts::create_user,
        accounts::get_user,
        accounts::update_user,
        accounts::list_tokens,
        accounts::create_token,
        accounts::revoke_token,
        accounts::history,
        accounts::get_me,
        accounts::update_me,
        accounts::list_my_tokens,
        accounts::create_my_token,
        accounts::revoke_my_token,
        incidents::list,
        incidents::create,
        incidents::show,
        incidents::update,
        incidents::timeline,
        incidents::add_event,
        incidents::correct_event,
        incidents::event_history,
        incidents::labels,
        actions::list,
        metrics::show,
        actions::mine,
        actions::create,
        actions::show,
        actions::update,
        actions::transition,
        actions::csv_export,
        actions::calendar,
        known_errors::list,
        known_errors::create,
        known_errors::show,
        known_errors::update,
        known_errors::link,
        known_errors::unlink,
        known_errors::of_incident,
        known_errors::link_from_incident,
        known_errors::unlink_from_incident,
        known_errors::suggested,
        postmortems::list,
        postmortems::show,
        postmortems::put,
        postmortems::transition,
        postmortems::approve,
        postmortems::export_md,
        postmortems::export_html,
        postmortems::settings,
        postmortems::update_settings,
        transfer::export,
        transfer::import,
        stream::stream,
        stream::presence,
        comments::list,
        comments::create,
        comments::update,
        comments::remove,
        comments::notifications_list,
        comments::read,
        hooks::create,
        hooks::list,
        hooks::show,
        hooks::remove,
        hooks::receive_delivery,
        hooks::of_incident,
        channels::create,
        channels::list,
        channels::show,
        channels::update,
        channels::remove,
        channels::test,
        channels::deliveries,
        trackers::create,
        trackers::list,
        trackers::show,
        trackers::update,
        trackers::remove,
        trackers::create_issue,
        trackers::receive,
    ),
    components(schemas(ErrorBody, ErrorDetail, RecordProblem))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}

/// Every `/api/v1` route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", axum::routing::get(openapi))
        .merge(accounts::router())
        .merge(incidents::router())
        .merge(postmortems::router())
        .merge(known_errors::router())
        .merge(actions::router())
        .merge(metrics::router())
        .merge(transfer::router())
        .merge(stream::router())
        .merge(comments::router())
        .merge(hooks::router())
        .merge(trackers::router())
        .merge(channels::router())
        .fallback(not_found)
}

async fn not_found(_: Option<Extension<Auth>>) -> ApiError {
    ApiError(AppError::NotFound {
        message: "no such API endpoint".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::json_error_field;

    #[test]
    fn nul_characters_are_found_with_their_field() {
        use super::nul_field;
        assert_eq!(
            nul_field(br#"{"title": "a\u0000b"}"#).as_deref(),
            Some("title")
        );
        assert_eq!(
            nul_field(br#"{"t": "ok", "body": ["x\u0000"]}"#).as_deref(),
            Some("body")
        );
        assert_eq!(
            nul_field(br#"{"title": "a\\u0000b"}"#),
            None,
            "an escaped backslash"
        );
        assert_eq!(nul_field(br#"{"title": "fine"}"#), None);
    }

    #[test]
    fn json_errors_name_the_field() {
        let p = "Failed to deserialize the JSON body into the target type: ";
        for (text, field) in [
            ("missing field `title` at line 1 column 20", "title"),
            (
                "severity: unknown variant `sev0`, expected one of `sev1`",
                "severity",
            ),
            (
                "contributing_factors[0]: missing field `description` at line 1",
                "contributing_factors.0.description",
            ),
            (
                "five_whys[2]: invalid type: integer `3`, expected a string",
                "five_whys.2",
            ),
            ("unknown field `bogus`, expected one of `title`", "bogus"),
            (
                "invalid type: string \"x\", expected struct NewIncident",
                "body",
            ),
        ] {
            assert_eq!(json_error_field(&format!("{p}{text}")), field, "{text}");
        }
    }
}
