//! Signing in and out: an API token is exchanged for a session cookie (HttpOnly,
//! SameSite=Strict, `Secure` when `ELDER_PUBLIC_URL` is https) whose id the server keeps
//! only as a hash; signing out ends the session and clears the cookie.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use elder_sync_http::INVALID_TOKEN_MESSAGE;
use maud::{Markup, html};

use crate::failure::Page;
use crate::form::FormData;
use crate::layout;
use crate::operator::{Operator, session_cookie};
use crate::{ConsoleState, SESSION_COOKIE};

fn sign_in_page(problem: Option<&str>) -> Markup {
    layout::bare(
        "Sign in",
        html! {
            @if let Some(p) = problem { div.notice.error role="alert" { (p) } }
            form.card method="post" action="/sign-in" {
                p { "Sign in with an API token (" code { "elder-sync token create --role admin" } " or " code { "--role read-only" } ")." }
                label for="token" { "API token" }
                input id="token" name="token" type="password" autocomplete="off" required autofocus;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// `GET /sign-in`.
pub async fn form(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let signed_in = session_cookie(&headers).is_some_and(|id| state.sessions.find(&id).is_some());
    if signed_in {
        return Redirect::to("/").into_response();
    }
    sign_in_page(None).into_response()
}

fn cookie(state: &ConsoleState, value: &str, max_age_secs: u64) -> String {
    let secure = state
        .api
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `POST /sign-in`: a valid, unrevoked token opens a session.
pub async fn submit(State(state): State<ConsoleState>, body: Bytes) -> Page<Response> {
    let form = FormData::parse(&body);
    let token = form.text("token").unwrap_or_default();
    let Some(found) = state.api.store.authenticate(token).await? else {
        return Ok((
            StatusCode::UNAUTHORIZED,
            sign_in_page(Some(INVALID_TOKEN_MESSAGE)),
        )
            .into_response());
    };
    let id = state.sessions.open(found.id, found.role);
    let set = cookie(&state, &id, state.sessions.lifetime().as_secs());
    Ok(([(header::SET_COOKIE, set)], Redirect::to("/")).into_response())
}

/// `POST /sign-out`.
pub async fn sign_out(
    State(state): State<ConsoleState>,
    op: Operator,
    body: Bytes,
) -> Page<Response> {
    op.check_origin(&FormData::parse(&body))?;
    op.sign_out(&state);
    let clear = cookie(&state, "", 0);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/sign-in")).into_response())
}
