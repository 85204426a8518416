//! Request extractors whose failures are our JSON errors (never axum's plain-text rejections):
//! [`ApiJson`] for bodies, [`ApiQuery`] for query strings, [`ApiPath`] for ids.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::error::ApiError;

/// Largest accepted body.
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// A JSON body; errors name the offending field.
pub struct ApiJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

fn path_field(path: &serde_path_to_error::Path) -> Option<String> {
    let p = path.to_string();
    (p != "." && !p.is_empty()).then_some(p)
}

fn body_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> ApiError {
    let field = path_field(e.path());
    let msg = e.inner().to_string();
    let mut err = ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_body",
        format!("invalid JSON body: {msg}"),
    );
    err.field = field.or_else(|| unknown_field(&msg));
    err
}

fn unknown_field(msg: &str) -> Option<String> {
    let rest = msg
        .strip_prefix("unknown field `")
        .or_else(|| msg.strip_prefix("missing field `"))?;
    rest.split('`').next().map(str::to_string)
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&req) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body could not be read or exceeds {MAX_BODY} bytes"),
            )
        })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(de).map_err(body_error)?;
        Ok(ApiJson(value))
    }
}

/// A query string; errors name the offending parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let field = path_field(e.path()).or_else(|| unknown_field(&e.inner().to_string()));
                let mut err = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    format!("invalid query string: {}", e.inner()),
                );
                err.field = field;
                err
            })
    }
}

/// The query of an action that takes none (`ApiQuery<NoQuery>`): any parameter is a `400
/// invalid_query` naming it, never ignored (`run?dry_run=true` must not run for real).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// A numeric id from the path.
pub struct ApiPath(pub i64);

/// How [`ApiPath`] is documented: `{id}`, a positive 64-bit integer (anything else is
/// `400 invalid_path`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdParam {
    /// The record's id.
    #[param(minimum = 1)]
    pub id: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("missing id in the path").with_field("id"))?;
        raw.parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(ApiPath)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    "the id must be a positive integer",
                )
                .with_field("id")
            })
    }
}
