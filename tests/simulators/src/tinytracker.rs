//! Tinytracker simulator: a small third-party SaaS issue tracker, used to prove that a
//! connector which is not one of the five built-ins syncs end to end. This doc is the
//! platform's public API documentation; a connector author needs nothing else.
//!
//! # Tinytracker REST API v1
//!
//! All paths are under the instance's base URL (`https://<tenant>.tinytracker.example`,
//! in tests [`TinytrackerSim::base_url`]). Bodies are JSON (UTF-8). A project is named by
//! its key (e.g. `ELD`); tickets are numbered per project from 1.
//!
//! ## Authentication
//! Every request carries `Authorization: Bearer <api token>`. A missing or wrong token is
//! `401` with `WWW-Authenticate: Bearer realm="tinytracker"` and the usual error body.
//!
//! ## Errors
//! Every non-2xx answer has the body
//! `{"error": {"code": "<code>", "message": "<human text>"}}`. Codes: `unauthorized` (401),
//! `not_found` (404: unknown project, ticket or route), `invalid_json` (400),
//! `invalid_parameter` (400: a bad query parameter), `validation_failed` (422: a bad field,
//! an unknown field, a missing `revision`), `revision_conflict` (409), `rate_limited` (429).
//!
//! ## Tickets
//! ```json
//! {"number": 7, "project": "ELD", "title": "Printer on fire", "body": "Smoke.",
//!  "state": "open", "labels": ["bug", "p1"], "revision": 3,
//!  "created_at": "2026-11-30T12:00:00+00:00", "updated_at": "2026-11-30T12:34:56+00:00",
//!  "url": "<base>/p/ELD/tickets/7"}
//! ```
//! - `state` is `open` or `done`. `body` may be `null`. `labels` are plain strings: trimmed,
//!   empty ones dropped, duplicates removed, order kept.
//! - `revision` starts at 1 and grows by one on every change, whoever makes it.
//! - Timestamps are RFC 3339, always with a `+00:00` offset and **second precision**: several
//!   changes can share one `updated_at`.
//!
//! ## `GET /api/projects/{key}/tickets`
//! Query: `updated_since` (RFC 3339, inclusive: tickets with `updated_at >= updated_since`),
//! `page` (1-based, default 1), `per_page` (default 20, at most 50; larger values are
//! silently lowered to 50). Rows are ordered by `updated_at`, then `number`, ascending.
//! Pagination is page-number based: the answer's headers carry `X-Total-Pages`
//! (`ceil(total / per_page)`, `0` when nothing matches), `X-Total-Count`, `X-Page` and
//! `X-Per-Page`; the body is a bare JSON array. A page past the last is `200 []`.
//! Caveats a connector must handle:
//! - `+` in a query string means a space: percent-encode the offset (`%2B00:00`) or use
//!   `Z`. An unparsable `updated_since` is `400 invalid_parameter`.
//! - Pages are computed on every request over the live data: a ticket changed while you
//!   page moves to the end, shifting later rows back onto pages you already read. Prefer
//!   re-querying with `updated_since` set to the last `updated_at` you saw (which, being
//!   inclusive and second-precise, returns that second's tickets again: de-duplicate by
//!   `number` + `revision`).
//! - Deleted tickets simply disappear from listings; only the webhook tells you.
//!
//! ## `GET /api/projects/{key}/tickets/{number}`
//! The ticket, or `404 not_found` (also for deleted tickets).
//!
//! ## `POST /api/projects/{key}/tickets`
//! Body `{"title": "...", "body": "..." | null, "labels": ["..."]}`; `title` is required and
//! non-blank, the others optional. New tickets are `open`, revision 1. Answers `201` with the
//! ticket and a `Location` header. Unknown fields are `422 validation_failed`.
//!
//! ## `PATCH /api/projects/{key}/tickets/{number}`
//! Body: `revision` (required: the revision the client last saw) plus any of `title`,
//! `body` (string or `null`), `state` (`open`/`done`), `labels` (replaces the whole set).
//! Optimistic locking: if `revision` is not the current one the answer is `409` with
//! `{"error": {"code": "revision_conflict", ...}, "ticket": <the current ticket>}` and nothing
//! changes. A successful change answers `200` with the ticket (revision + 1, new `updated_at`);
//! a PATCH that changes nothing answers `200` with the unchanged ticket and sends no webhook.
//!
//! ## `DELETE /api/projects/{key}/tickets/{number}`
//! `204`; the ticket is gone (its number is never reused).
//!
//! ## Rate limiting
//! When over quota every request is answered `429 rate_limited` with `Retry-After: <seconds>`;
//! nothing is performed.
//!
//! ## Webhooks
//! Configured per project in the web UI (in tests: [`TinytrackerSim::set_webhook`]) with a
//! target URL and a secret. On every change (API or web UI) Tinytracker POSTs
//! `{"event": "ticket.created" | "ticket.updated" | "ticket.deleted", "delivery": "<uuid>",
//! "ticket": <the ticket as it was right after the change>}` with headers
//! `Content-Type: application/json`, `X-Tinytracker-Delivery: <uuid>` (the same on a
//! redelivery) and `X-Tinytracker-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw
//! body keyed with the secret>`. Deliveries are not retried automatically and may arrive
//! out of order: compare `revision`.
//! (In Elder's WIT terms: scheme `hmac` with header `X-Tinytracker-Signature`, prefix
//! `sha256=`, `sha256`, hex, over the raw body; delivery id header `X-Tinytracker-Delivery`.)
//!
//! # Test controls
//! [`TinytrackerSim`] seeds tickets, edits them "as a person in the web UI" (revision bump,
//! webhook), reads tickets, deliveries and the request log, counts requests by path and
//! turns rate limiting on and off.

mod model;
mod ops;
mod routes;
mod webhook;

use std::sync::{Arc, Mutex, MutexGuard};

pub use model::{RecordedRequest, Ticket, rfc3339};
pub use ops::{ApiError, TicketEdit};
pub use webhook::{Delivery, HookConfig, sign};

use crate::server::SimServer;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct TinytrackerOptions {
    /// The accepted API token (`Authorization: Bearer <token>`).
    pub token: String,
    /// The one project's key.
    pub project: String,
}

impl Default for TinytrackerOptions {
    fn default() -> Self {
        TinytrackerOptions {
            token: "tt_live_simulated0123456789".into(),
            project: "ELD".into(),
        }
    }
}

/// A ticket to seed directly (no webhook, no request counted).
#[derive(Debug, Clone, Default)]
pub struct SeedTicket {
    /// Title.
    pub title: String,
    /// Body.
    pub body: Option<String>,
    /// Labels.
    pub labels: Vec<String>,
    /// `done` instead of `open`.
    pub done: bool,
    /// `created_at` and `updated_at`, epoch seconds, instead of now.
    pub updated_at: Option<i64>,
}

/// A running Tinytracker simulator. Dropping it stops the server.
pub struct TinytrackerSim {
    state: Arc<Mutex<model::State>>,
    server: SimServer,
}

impl TinytrackerSim {
    /// Starts the simulator on a loopback port.
    pub async fn start(options: TinytrackerOptions) -> std::io::Result<TinytrackerSim> {
        let state = Arc::new(Mutex::new(model::State::new(options)));
        let server = SimServer::start(routes::router(state.clone())).await?;
        state.lock().expect("tinytracker sim state").base_url = server.base_url();
        Ok(TinytrackerSim { state, server })
    }

    fn lock(&self) -> MutexGuard<'_, model::State> {
        self.state.lock().expect("tinytracker sim state")
    }

    /// `http://127.0.0.1:<port>` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The accepted token.
    pub fn token(&self) -> String {
        self.lock().options.token.clone()
    }

    /// The project key.
    pub fn project(&self) -> String {
        self.lock().options.project.clone()
    }

    /// Moves the simulated clock forward by `secs`.
    pub fn advance_clock(&self, secs: i64) {
        self.lock().clock_offset += secs;
    }

    /// The simulated time, epoch seconds.
    pub fn now(&self) -> i64 {
        self.lock().now()
    }

    /// Seeds a ticket; returns its number.
    pub fn seed_ticket(&self, seed: SeedTicket) -> u64 {
        let mut st = self.lock();
        let (n, _) = ops::create(&mut st, &seed.title, seed.body, seed.labels)
            .expect("seeded ticket is valid");
        let t = st.tickets.get_mut(&n).expect("just created");
        if seed.done {
            t.state = "done".into();
        }
        if let Some(at) = seed.updated_at {
            t.created_at = at;
            t.updated_at = at;
        }
        n
    }

    /// Opens a ticket as a person in the web UI would (a webhook is emitted).
    pub fn person_create(
        &self,
        title: &str,
        body: Option<String>,
        labels: Vec<String>,
    ) -> Result<u64, ApiError> {
        let mut st = self.lock();
        let (n, event) = ops::create(&mut st, title, body, labels)?;
        self.emit(&mut st, event);
        Ok(n)
    }

    /// Edits a ticket as a person in the web UI would: no revision check, the revision is
    /// bumped and a webhook emitted when something changed.
    pub fn person_edit(&self, number: u64, edit: TicketEdit) -> Result<(), ApiError> {
        let mut st = self.lock();
        if let Some(event) = ops::edit(&mut st, number, None, edit)? {
            self.emit(&mut st, event);
        }
        Ok(())
    }

    /// Deletes a ticket as a person would (a webhook is emitted).
    pub fn person_delete(&self, number: u64) -> Result<(), ApiError> {
        let mut st = self.lock();
        let event = ops::delete(&mut st, number)?;
        self.emit(&mut st, event);
        Ok(())
    }

    fn emit(&self, st: &mut model::State, event: ops::Event) {
        webhook::emit(&self.state, st, event);
    }

    /// A ticket as stored (`None` when never created or deleted).
    pub fn ticket(&self, number: u64) -> Option<Ticket> {
        self.lock().tickets.get(&number).cloned()
    }

    /// Every live ticket, by number.
    pub fn tickets(&self) -> Vec<Ticket> {
        self.lock().tickets.values().cloned().collect()
    }

    /// Every request received (refused ones included), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Number of requests received.
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// Number of requests whose path (without query) is `path`, any method.
    pub fn count_requests(&self, path: &str) -> usize {
        self.lock()
            .requests
            .iter()
            .filter(|r| r.path() == path)
            .count()
    }

    /// Turns rate limiting on (`Some(retry_after_secs)`: every request is 429) or off.
    pub fn set_rate_limited(&self, retry_after_secs: Option<u64>) {
        self.lock().rate_limited = retry_after_secs;
    }

    /// The next `n` requests are answered 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, n: u32, retry_after_secs: u64) {
        let mut st = self.lock();
        st.rate_limit_plan
            .extend(std::iter::repeat_n(retry_after_secs, n as usize));
    }

    /// Configures the project's webhook (`None`: no webhook).
    pub fn set_webhook(&self, hook: Option<HookConfig>) {
        self.lock().hook = hook;
    }

    /// Deliveries built so far, oldest first (with the receiver's status once sent).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// Sends an earlier delivery again, byte for byte (same delivery id and signature), as
    /// the web UI's "redeliver" button does. Returns false when there is no such delivery
    /// or no hook URL.
    pub fn redeliver(&self, delivery_id: &str) -> bool {
        let st = self.lock();
        let url = st.hook.as_ref().and_then(|h| h.url.clone());
        let found = st
            .deliveries
            .iter()
            .find(|d| d.delivery_id == delivery_id)
            .cloned();
        match (url, found) {
            (Some(url), Some(d)) => {
                tokio::spawn(webhook::send(self.state.clone(), vec![(url, d)]));
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;
