//! The Tinytracker simulator's state (tickets, clock, request log, rate-limit settings,
//! webhook configuration and deliveries) and the JSON shape of a ticket.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::TinytrackerOptions;
use super::webhook::{Delivery, HookConfig};

/// A ticket as the simulator stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// Project-scoped number.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: Option<String>,
    /// `open` or `done`.
    pub state: String,
    /// Labels, de-duplicated, in order.
    pub labels: Vec<String>,
    /// Starts at 1, +1 per change.
    pub revision: u64,
    /// Creation time, epoch seconds.
    pub created_at: i64,
    /// Last change, epoch seconds.
    pub updated_at: i64,
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// All headers, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }
}

/// The whole simulated tracker (one project).
pub struct State {
    /// Options the simulator was started with.
    pub options: TinytrackerOptions,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Seconds added to the wall clock.
    pub clock_offset: i64,
    /// Live tickets by number.
    pub tickets: BTreeMap<u64, Ticket>,
    /// The next ticket number (never reused).
    pub next_number: u64,
    /// Requests received.
    pub requests: Vec<RecordedRequest>,
    /// `Some(retry_after)`: every request is rate limited.
    pub rate_limited: Option<u64>,
    /// `Retry-After` values for the next requests, each answered 429 once.
    pub rate_limit_plan: VecDeque<u64>,
    /// Webhook configuration.
    pub hook: Option<HookConfig>,
    /// Deliveries built (and sent when the hook has a URL).
    pub deliveries: Vec<Delivery>,
}

impl State {
    /// A tracker with an empty project.
    pub fn new(options: TinytrackerOptions) -> Self {
        State {
            options,
            base_url: String::new(),
            clock_offset: 0,
            tickets: BTreeMap::new(),
            next_number: 1,
            requests: Vec::new(),
            rate_limited: None,
            rate_limit_plan: VecDeque::new(),
            hook: None,
            deliveries: Vec::new(),
        }
    }

    /// The simulated time, epoch seconds.
    pub fn now(&self) -> i64 {
        Utc::now().timestamp() + self.clock_offset
    }

    /// The `Retry-After` for the current request when it is rate limited.
    pub fn take_rate_limit(&mut self) -> Option<u64> {
        self.rate_limit_plan.pop_front().or(self.rate_limited)
    }

    /// The ticket's JSON, as the API and webhooks show it.
    pub fn ticket_json(&self, t: &Ticket) -> Value {
        let key = &self.options.project;
        json!({
            "number": t.number,
            "project": key,
            "title": t.title,
            "body": t.body,
            "state": t.state,
            "labels": t.labels,
            "revision": t.revision,
            "created_at": rfc3339(t.created_at),
            "updated_at": rfc3339(t.updated_at),
            "url": format!("{}/p/{key}/tickets/{}", self.base_url, t.number),
        })
    }
}

/// RFC 3339 with a `+00:00` offset and second precision, as Tinytracker writes it.
pub fn rfc3339(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// Parses an RFC 3339 timestamp (any offset) to epoch seconds, dropping sub-seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp())
}

/// Trims labels, drops empty ones and duplicates, keeps order.
pub fn normalize_labels(labels: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        let l = l.trim().to_string();
        if !l.is_empty() && !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_plus_zero_offset_at_second_precision() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20+00:00");
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20+00:00"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_rfc3339("2023-11-14T23:13:20.9+01:00"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20 00:00"), None);
    }

    #[test]
    fn labels_are_trimmed_and_deduplicated_in_order() {
        let got = normalize_labels(vec![" b".into(), "a".into(), "b".into(), "  ".into()]);
        assert_eq!(got, vec!["b".to_string(), "a".to_string()]);
    }
}
