//! The REST API under `/api/v1`: thin handlers over the service layer, errors in the SPEC's
//! shape `{"error": {"code", "message", "fields"?}}`.

mod accounts;
mod incidents;

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
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                // serde names the offending field in backticks or after "at"; keep what it says.
                let field = text
                    .split('`')
                    .nth(1)
                    .map(str::to_owned)
                    .unwrap_or_else(|| "body".into());
                Err(ApiError(AppError::invalid(field, text)))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(AppError::bad_request(
                "send JSON with Content-Type: application/json",
            ))),
            Err(e) => Err(ApiError(AppError::bad_request(e.body_text()))),
        }
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
        serde_urlencoded::from_str::<T>(query)
            .map(ApiQuery)
            .map_err(|e| {
                let text = e.to_string();
                let field = text
                    .split('`')
                    .nth(1)
                    .map(str::to_owned)
                    .unwrap_or_else(|| "query".into());
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
        incidents::list,
        incidents::create,
        incidents::show,
        incidents::update,
        incidents::timeline,
        incidents::add_event,
    ),
    components(schemas(ErrorBody, ErrorDetail))
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
        .fallback(not_found)
}

async fn not_found(_: Option<Extension<Auth>>) -> ApiError {
    ApiError(AppError::NotFound {
        message: "no such API endpoint".into(),
    })
}
