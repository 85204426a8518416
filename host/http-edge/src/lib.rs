//! The HTTP edge every Elder Sync route crate (the API, the sync engine's routes, the plugin
//! host's routes) shares, so none of them depends on another: who is calling ([`Caller`],
//! put there by [`require_token`]), the one error answer ([`ApiError`] and its envelope
//! `{"error": {"code", "message", "field"}}`, with the code vocabulary [`ERROR_CODES`]),
//! extractors whose failures are that envelope ([`ApiJson`], [`ApiQuery`], [`ApiPath`]), and
//! the OpenAPI answers every operation shares ([`finish`]).

mod auth;
mod error;
mod extract;
mod responses;

pub use auth::{Caller, INVALID_TOKEN_MESSAGE, READ_ONLY_MESSAGE, require_token};
pub use error::{ApiError, ApiResult, ERROR_CODES, ErrorBody, ErrorDetail};
pub use extract::{ApiJson, ApiPath, ApiQuery, IdParam, MAX_BODY, NoQuery};
pub use responses::finish;
