//! The API's error type and its JSON shape: `{"error": {"code", "message", "field"}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use elder_sync_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// Every `code` an error answer of the service can carry (API, engine, plugin host and the
/// HTTP server's own answers): the one vocabulary, documented in host/api/README.md.
pub const ERROR_CODES: &[&str] = &[
    "bad_request",
    "invalid_body",
    "invalid_query",
    "invalid_path",
    "unauthorized",
    "forbidden",
    "not_found",
    "route_not_found",
    "method_not_allowed",
    "request_timeout",
    "conflict",
    "unresolved_secret",
    "connector_unavailable",
    "unavailable",
    "nothing_pending",
    "no_previous_version",
    "platform_mismatch",
    "payload_too_large",
    "unsupported_media_type",
    "validation_failed",
    "secret_key_missing",
    "invalid_manifest",
    "not_a_component",
    "contract_version",
    "load_failed",
    "manifest_mismatch",
    "internal",
    "overloaded",
];

fn error_code_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(
            "Stable machine-readable code; the vocabulary is listed in host/api/README.md (Errors).",
        ))
        .enum_values(Some(ERROR_CODES.iter().copied()))
        .build()
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// Stable machine-readable code, one of [`ERROR_CODES`].
    pub code: &'static str,
    /// What went wrong, for a person; never holds a secret.
    pub message: String,
    /// The offending request field, when one is to blame.
    pub field: Option<String>,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, one of [`ERROR_CODES`] (host/api/README.md, "Errors").
    #[schema(schema_with = error_code_schema)]
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The offending field, when one is to blame.
    pub field: Option<String>,
}

impl ApiError {
    /// An error with `status`, `code` (one of [`ERROR_CODES`]) and `message`, blaming no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// The same error, blaming the request field `field`.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// 400 `bad_request`: the request itself is malformed (body, path or query cannot be read).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 422 `validation_failed`: the request was read but `field` has a bad value.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
        .with_field(field)
    }

    /// 401 `unauthorized`: no token, or an unknown or revoked one.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 `forbidden`: the token's role may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 500 `internal` with a fixed message; the caller logs the cause, which never reaches
    /// the client.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the service log",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Invalid { field, message } => ApiError::validation(field, message),
            StoreError::MissingSecretKey => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "secret_key_missing",
                "the server has no ELDER_SECRET_KEY, so secrets cannot be stored; set it or give \
                 secrets as {\"env\": \"VARIABLE\"}",
            ),
            StoreError::UnresolvedSecret { ref key, .. }
            | StoreError::ForbiddenSecretRef { ref key, .. } => {
                let field = format!("config_json.{key}");
                ApiError::new(StatusCode::CONFLICT, "unresolved_secret", e.to_string())
                    .with_field(field)
            }
            e => {
                tracing::error!(error = %e, "store failure");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
