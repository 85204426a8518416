//! Why a console request failed, shown as a page in words: every error the API can give
//! (an [`ApiError`] with its status, code, message and field) becomes a page with that
//! status; a request without a live session is sent to the sign-in page instead.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use elder_sync_http::ApiError;
use maud::html;

use crate::layout;

/// A failed console request.
#[derive(Debug)]
pub enum Failure {
    /// No live session: go and sign in.
    SignIn,
    /// What the API would have answered.
    Api(ApiError),
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<elder_sync_store::StoreError> for Failure {
    fn from(e: elder_sync_store::StoreError) -> Self {
        Failure::Api(e.into())
    }
}

impl From<elder_sync_engine::EngineError> for Failure {
    fn from(e: elder_sync_engine::EngineError) -> Self {
        Failure::Api(elder_sync_engine::routes::engine_error(e))
    }
}

/// The result of a console handler.
pub type Page<T = Response> = Result<T, Failure>;

/// An [`ApiError`] in words: what went wrong, the field to blame, and the code.
pub fn explain(e: &ApiError) -> maud::Markup {
    html! {
        p { (e.message) }
        @if let Some(field) = &e.field { p { "Field: " code { (field) } } }
        p.code { "Error code: " code { (e.code) } " (HTTP " (e.status.as_u16()) ")" }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::SignIn => Redirect::to("/sign-in").into_response(),
            Failure::Api(e) => {
                let title = e
                    .status
                    .canonical_reason()
                    .unwrap_or("Something went wrong");
                let status = if e.status.is_client_error() || e.status.is_server_error() {
                    e.status
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                let body = html! {
                    div.error role="alert" { (explain(&e)) }
                    p { a href="javascript:history.back()" { "Go back" } " · " a href="/" { "Dashboard" } }
                };
                (status, layout::bare(title, body)).into_response()
            }
        }
    }
}
