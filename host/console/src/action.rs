//! A form action about one thing (`POST /configs/{id}/run`, `/conflicts/{id}/resolve`, ...):
//! the [`Posted`] extractor reads the signed-in operator, the numeric id in the path and the
//! form, and lets the handler run only when the form came from the operator's session (its
//! CSRF token) and the operator may write; otherwise the request ends in a 403 page in words.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use elder_sync_http::ApiError;

use crate::ConsoleState;
use crate::failure::Failure;
use crate::form::FormData;
use crate::operator::Operator;

/// A page about the thing with id `id`, seen by `op`.
pub struct Viewing {
    pub op: Operator,
    pub id: i64,
}

impl FromRequestParts<ConsoleState> for Viewing {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &ConsoleState) -> Result<Self, Failure> {
        let op = Operator::from_request_parts(parts, state).await?;
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text()))?;
        Ok(Viewing {
            op,
            id: path_id(&raw)?,
        })
    }
}

/// An authorized form post about the thing with id `id`.
pub struct Posted {
    pub op: Operator,
    pub id: i64,
    pub form: FormData,
}

/// A path id, or a `400 invalid_path` page.
pub fn path_id(raw: &str) -> Result<i64, Failure> {
    raw.parse::<i64>().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            format!("the id must be a whole number, got {raw:?}"),
        )
        .into()
    })
}

impl FromRequest<ConsoleState> for Posted {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &ConsoleState) -> Result<Self, Failure> {
        let (mut parts, body) = req.into_parts();
        let Viewing { op, id } = Viewing::from_request_parts(&mut parts, state).await?;
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text()))?;
        let form = FormData::parse(&body);
        op.authorize(&form)?;
        Ok(Posted { op, id, form })
    }
}
