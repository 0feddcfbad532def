//! The one error type of Hindsight: what services, server functions and REST handlers return,
//! and what the UI shows. Causes of internal errors are logged on the server, never sent.

use serde::{Deserialize, Serialize};

/// One problem with one field (and, for imports, one record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The record the problem is in, e.g. `INC-4` (imports and batch writes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            record: None,
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    /// 400: the request itself is malformed (not JSON, unknown parameter …).
    #[error("{message}")]
    BadRequest { message: String },
    /// 401: no valid session or token.
    #[error("{message}")]
    Unauthorized { message: String },
    /// 403: authenticated, but not allowed.
    #[error("{message}")]
    Forbidden { message: String },
    /// 404
    #[error("{message}")]
    NotFound { message: String },
    /// 409: a stale `version`, or a state that does not allow the change.
    #[error("{message}")]
    Conflict { message: String },
    /// 422: a value breaks a rule; `fields` names each one.
    #[error("{message}")]
    Invalid {
        message: String,
        fields: Vec<FieldError>,
    },
    /// 413: the body is larger than the endpoint takes.
    #[error("{message}")]
    PayloadTooLarge { message: String },
    /// 429: too many attempts.
    #[error("{message}")]
    TooManyRequests { message: String },
    /// 502: a service Hindsight called (a tracker) refused or failed; the message says
    /// what it answered, never a credential.
    #[error("{message}")]
    Upstream { message: String },
    /// 500: the cause is in the server's log only.
    #[error("{message}")]
    Internal { message: String },
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
        }
    }
    pub fn unauthorized() -> Self {
        Self::Unauthorized {
            message: "authentication required".into(),
        }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            message: message.into(),
        }
    }
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        Self::NotFound {
            message: format!("{what} not found"),
        }
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
        }
    }
    /// The record changed since it was read: the client must reload and redo its change.
    pub fn stale(what: impl std::fmt::Display) -> Self {
        Self::Conflict {
            message: format!("{what} was changed by someone else; reload and try again"),
        }
    }
    /// A 422 naming one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self::Invalid {
            message: format!("{field}: {message}"),
            fields: vec![FieldError::new(field, message)],
        }
    }
    /// A 422 listing several problems at once.
    pub fn invalid_many(fields: Vec<FieldError>) -> Self {
        let message = match fields.len() {
            1 => format!("{}: {}", fields[0].field, fields[0].message),
            n => format!("{n} problems found"),
        };
        Self::Invalid { message, fields }
    }
    pub fn too_many(message: impl Into<String>) -> Self {
        Self::TooManyRequests {
            message: message.into(),
        }
    }
    pub fn internal() -> Self {
        Self::Internal {
            message: "internal error; the cause has been logged".into(),
        }
    }

    /// The HTTP status code for this error.
    pub const fn status(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::Unauthorized { .. } => 401,
            Self::Forbidden { .. } => 403,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::Invalid { .. } => 422,
            Self::PayloadTooLarge { .. } => 413,
            Self::TooManyRequests { .. } => 429,
            Self::Upstream { .. } => 502,
            Self::Internal { .. } => 500,
        }
    }

    /// The machine-readable code of the SPEC's error shape.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad_request",
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::Invalid { .. } => "invalid",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Upstream { .. } => "upstream",
            Self::Internal { .. } => "internal",
        }
    }

    /// The fields named by a 422, if any.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            Self::Invalid { fields, .. } => fields,
            _ => &[],
        }
    }

    /// The SPEC's wire shape: `{"error": {"code", "message", "fields"?}}`, plus `records`
    /// (`[{record, field, reason}]`) when the problems are in records of an import.
    pub fn to_body(&self) -> serde_json::Value {
        let mut inner = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        if let Self::Invalid { fields, .. } = self {
            inner["fields"] = serde_json::to_value(fields).unwrap_or_default();
            // Imports and batch writes: the same problems as a list of `{record, field, reason}`.
            if fields.iter().any(|f| f.record.is_some()) {
                inner["records"] = fields
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "record": f.record.as_deref().unwrap_or(""),
                            "field": f.field,
                            "reason": f.message,
                        })
                    })
                    .collect();
            }
        }
        serde_json::json!({ "error": inner })
    }
}

impl server_fn::error::FromServerFnError for AppError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: server_fn::error::ServerFnErrorErr) -> Self {
        use server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Args(m) | E::MissingArg(m) => AppError::bad_request(m),
            // Transport problems: the browser could not reach the server or read its answer.
            E::Request(m) => AppError::Internal {
                message: format!("server unreachable: {m}"),
            },
            other => AppError::Internal {
                message: other.to_string(),
            },
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    /// Database failures are the server's business: log the cause, tell the client little.
    fn from(e: sea_orm::DbErr) -> Self {
        tracing::error!(error = %e, "database error");
        AppError::internal()
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_spec() {
        assert_eq!(AppError::bad_request("x").status(), 400);
        assert_eq!(AppError::unauthorized().status(), 401);
        assert_eq!(AppError::forbidden("x").status(), 403);
        assert_eq!(AppError::not_found("INC-1").status(), 404);
        assert_eq!(AppError::stale("INC-1").status(), 409);
        assert_eq!(AppError::invalid("title", "too long").status(), 422);
        assert_eq!(AppError::internal().status(), 500);
    }

    #[test]
    fn invalid_body_names_the_field() {
        let body = AppError::invalid("detected_at", "must not be before started_at").to_body();
        assert_eq!(body["error"]["code"], "invalid");
        assert_eq!(body["error"]["fields"][0]["field"], "detected_at");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("detected_at")
        );
        let not_found = AppError::not_found("INC-9").to_body();
        assert!(not_found["error"].get("fields").is_none());
    }
}
