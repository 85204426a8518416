//! Bearer-token authentication and role checks: every `/api/v1` route needs a valid token;
//! anything but GET/HEAD needs the `admin` role. The OpenAPI document stays open.

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use elder_sync_store::{Role, Store};

use crate::error::ApiError;

/// Who is calling, put in the request extensions for handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Row id of the API token the request presented (`api_tokens.id`).
    pub token_id: i64,
    /// What that token may do.
    pub role: Role,
}

impl Caller {
    /// How the caller is recorded (e.g. in `resolved_by`).
    pub fn label(&self) -> String {
        format!("api-token:{}", self.token_id)
    }
}

fn bearer(req: &Request) -> Result<&str, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "missing API token: send the header `Authorization: Bearer <token>`",
            )
        })?
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not valid text"))?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| {
        ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ));
    }
    Ok(token.trim())
}

/// The answer to a token that is unknown, malformed or revoked (the API's 401 and the
/// console's sign-in page).
pub const INVALID_TOKEN_MESSAGE: &str = "invalid or revoked API token";

/// Why a read-only token may not write (the API's 403 and the console's refusal page).
pub const READ_ONLY_MESSAGE: &str = "this token is read-only; writes need an admin token";

fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// The middleware (its state is the store the tokens live in); puts the [`Caller`] in the
/// request's extensions.
pub async fn require_token(State(store): State<Store>, mut req: Request, next: Next) -> Response {
    let token = match bearer(&req) {
        Ok(t) => t.to_string(),
        Err(e) => return e.into_response(),
    };
    let found = match store.authenticate(&token).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            return ApiError::unauthorized(INVALID_TOKEN_MESSAGE).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    if found.role != Role::Admin && !is_read(req.method()) {
        return ApiError::forbidden(READ_ONLY_MESSAGE).into_response();
    }
    req.extensions_mut().insert(Caller {
        token_id: found.id,
        role: found.role,
    });
    next.run(req).await
}
