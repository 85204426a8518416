//! Who is using the console: the [`Operator`] behind the request's session cookie (the
//! session must be live and its API token still unrevoked), and the checks every form
//! action makes before it changes anything: the form's CSRF token must be the session's,
//! and the token must be an admin one.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Redirect;
use elder_sync_http::{ApiError, Caller, READ_ONLY_MESSAGE};
use elder_sync_store::Role;

use crate::ConsoleState;
use crate::failure::Failure;
use crate::form::FormData;
use crate::session::{Notice, SESSION_COOKIE};

/// The name of the hidden field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// The signed-in operator of a request.
#[derive(Debug, Clone)]
pub struct Operator {
    session_id: String,
    pub token_id: i64,
    pub role: Role,
    pub csrf: String,
    /// The message left by the previous action, shown once.
    pub notice: Option<Notice>,
}

/// The session id in the request's cookies.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

impl FromRequestParts<ConsoleState> for Operator {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        let id = session_cookie(&parts.headers).ok_or(Failure::SignIn)?;
        let session = state.sessions.find(&id).ok_or(Failure::SignIn)?;
        if state
            .api
            .store
            .active_token(session.token_id)
            .await?
            .is_none()
        {
            state.sessions.close(&id);
            return Err(Failure::SignIn);
        }
        let notice = state.sessions.take_notice(&id);
        Ok(Operator {
            session_id: id,
            token_id: session.token_id,
            role: session.role,
            csrf: session.csrf,
            notice,
        })
    }
}

impl Operator {
    /// Whether this operator may change things (an admin token).
    pub fn can_write(&self) -> bool {
        self.role == Role::Admin
    }

    /// The operator as the API records callers (`api-token:<id>`).
    pub fn caller(&self) -> Caller {
        Caller {
            token_id: self.token_id,
            role: self.role,
        }
    }

    /// Checks that `form` came from this session's pages (its CSRF token).
    pub fn check_origin(&self, form: &FormData) -> Result<(), Failure> {
        let sent = form.get(CSRF_FIELD).unwrap_or_default();
        if sent.len() == self.csrf.len() && constant_time_eq(sent.as_bytes(), self.csrf.as_bytes())
        {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this form did not come from your console session (its CSRF token is missing \
                 or out of date); reload the page and try again",
            )
            .into())
        }
    }

    /// Checks that `form` came from this session and that the operator may write.
    pub fn authorize(&self, form: &FormData) -> Result<(), Failure> {
        self.check_origin(form)?;
        if self.can_write() {
            Ok(())
        } else {
            Err(ApiError::forbidden(READ_ONLY_MESSAGE).into())
        }
    }

    /// Leaves the result of an action for the next page and goes there.
    pub fn done(&self, state: &ConsoleState, ok: bool, text: String, to: &str) -> Redirect {
        state.sessions.notify(&self.session_id, Notice { ok, text });
        Redirect::to(to)
    }

    /// Leaves an action's failure (an API error, in words) for the next page and goes there.
    pub fn failed(&self, state: &ConsoleState, e: &ApiError, to: &str) -> Redirect {
        let field = e
            .field
            .as_ref()
            .map(|f| format!(" (field {f})"))
            .unwrap_or_default();
        self.done(
            state,
            false,
            format!("{}{field} [{}]", e.message, e.code),
            to,
        )
    }

    /// Ends this operator's session.
    pub fn sign_out(&self, state: &ConsoleState) {
        state.sessions.close(&self.session_id);
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
