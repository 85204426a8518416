//! What a change to a ticket does, whoever makes it (API or "a person in the web UI"):
//! validation, revision checks, revision and `updated_at` bumps, and the webhook event
//! it produces. Also the parsing of request bodies into changes.

use serde_json::{Map, Value};

use super::model::{State, Ticket, normalize_labels};

/// An API error: status, machine code and message, plus the current ticket on a
/// revision conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `error.code`.
    pub code: &'static str,
    /// `error.message`.
    pub message: String,
    /// The current ticket (409 only).
    pub ticket: Option<Value>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            ticket: None,
        }
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }

    /// 422 `validation_failed`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(422, "validation_failed", message)
    }

    /// 400 `invalid_json`.
    pub fn bad_json() -> Self {
        Self::new(400, "invalid_json", "the body is not a JSON object")
    }

    /// 400 `invalid_parameter`.
    pub fn bad_parameter(name: &str) -> Self {
        Self::new(
            400,
            "invalid_parameter",
            format!("invalid value for `{name}`"),
        )
    }
}

/// A change to a ticket; `None` fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketEdit {
    /// New title (non-blank).
    pub title: Option<String>,
    /// New body (`Some(None)` clears it).
    pub body: Option<Option<String>>,
    /// `open` or `done`.
    pub state: Option<String>,
    /// Replaces every label.
    pub labels: Option<Vec<String>>,
}

/// A webhook event: its name and the ticket's JSON right after the change.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `ticket.created`, `ticket.updated` or `ticket.deleted`.
    pub name: &'static str,
    /// The ticket as the API shows it.
    pub ticket: Value,
}

fn object(v: &Value) -> Result<&Map<String, Value>, ApiError> {
    v.as_object().ok_or_else(ApiError::bad_json)
}

fn reject_unknown(o: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(ApiError::invalid(format!("unknown field `{k}`"))),
        None => Ok(()),
    }
}

fn string_field(o: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match o.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(format!("`{key}` must be a string"))),
    }
}

fn body_field(o: &Map<String, Value>) -> Result<Option<Option<String>>, ApiError> {
    match o.get("body") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::invalid("`body` must be a string or null")),
    }
}

fn labels_field(o: &Map<String, Value>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(v) = o.get("labels") else {
        return Ok(None);
    };
    let invalid = || ApiError::invalid("`labels` must be an array of strings");
    let items = v.as_array().ok_or_else(invalid)?;
    items
        .iter()
        .map(|l| l.as_str().map(str::to_string).ok_or_else(invalid))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A `POST .../tickets` body: `(title, body, labels)`.
pub fn parse_create(v: &Value) -> Result<(String, Option<String>, Vec<String>), ApiError> {
    let o = object(v)?;
    reject_unknown(o, &["title", "body", "labels"])?;
    let title =
        string_field(o, "title")?.ok_or_else(|| ApiError::invalid("`title` is required"))?;
    let body = body_field(o)?.flatten();
    let labels = labels_field(o)?.unwrap_or_default();
    Ok((title, body, labels))
}

/// A `PATCH .../tickets/{n}` body: `(revision, edit)`.
pub fn parse_patch(v: &Value) -> Result<(u64, TicketEdit), ApiError> {
    let o = object(v)?;
    reject_unknown(o, &["revision", "title", "body", "state", "labels"])?;
    let revision = match o.get("revision") {
        None => return Err(ApiError::invalid("`revision` is required")),
        Some(r) => r
            .as_u64()
            .ok_or_else(|| ApiError::invalid("`revision` must be a positive integer"))?,
    };
    let edit = TicketEdit {
        title: string_field(o, "title")?,
        body: body_field(o)?,
        state: string_field(o, "state")?,
        labels: labels_field(o)?,
    };
    Ok((revision, edit))
}

fn check_title(title: &str) -> Result<String, ApiError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(ApiError::invalid("`title` must not be blank"));
    }
    Ok(t.to_string())
}

fn check_state(state: &str) -> Result<(), ApiError> {
    match state {
        "open" | "done" => Ok(()),
        _ => Err(ApiError::invalid("`state` must be `open` or `done`")),
    }
}

/// Creates an open ticket; returns its number and the `ticket.created` event.
pub fn create(
    st: &mut State,
    title: &str,
    body: Option<String>,
    labels: Vec<String>,
) -> Result<(u64, Event), ApiError> {
    let title = check_title(title)?;
    let number = st.next_number;
    st.next_number += 1;
    let now = st.now();
    let ticket = Ticket {
        number,
        title,
        body,
        state: "open".into(),
        labels: normalize_labels(labels),
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    let event = Event {
        name: "ticket.created",
        ticket: st.ticket_json(&ticket),
    };
    st.tickets.insert(number, ticket);
    Ok((number, event))
}

/// Applies `edit` to ticket `number`. With `expected_revision`, a different current
/// revision is a 409 carrying the current ticket. Returns the `ticket.updated` event, or
/// `None` when nothing changed (no bump).
pub fn edit(
    st: &mut State,
    number: u64,
    expected_revision: Option<u64>,
    edit: TicketEdit,
) -> Result<Option<Event>, ApiError> {
    let current = st
        .tickets
        .get(&number)
        .ok_or_else(|| ApiError::not_found("ticket"))?
        .clone();
    if expected_revision.is_some_and(|r| r != current.revision) {
        return Err(ApiError {
            ticket: Some(st.ticket_json(&current)),
            ..ApiError::new(
                409,
                "revision_conflict",
                format!(
                    "ticket {number} is at revision {}, not {}",
                    current.revision,
                    expected_revision.unwrap_or_default()
                ),
            )
        });
    }
    let changed = apply(&current, edit)?;
    if changed == current {
        return Ok(None);
    }
    let now = st.now();
    let ticket = Ticket {
        revision: current.revision + 1,
        updated_at: now,
        ..changed
    };
    let event = Event {
        name: "ticket.updated",
        ticket: st.ticket_json(&ticket),
    };
    st.tickets.insert(number, ticket);
    Ok(Some(event))
}

fn apply(current: &Ticket, edit: TicketEdit) -> Result<Ticket, ApiError> {
    let mut t = current.clone();
    if let Some(title) = edit.title {
        t.title = check_title(&title)?;
    }
    if let Some(body) = edit.body {
        t.body = body;
    }
    if let Some(state) = edit.state {
        check_state(&state)?;
        t.state = state;
    }
    if let Some(labels) = edit.labels {
        t.labels = normalize_labels(labels);
    }
    Ok(t)
}

/// Deletes ticket `number`; returns the `ticket.deleted` event (the ticket as it was).
pub fn delete(st: &mut State, number: u64) -> Result<Event, ApiError> {
    let ticket = st
        .tickets
        .remove(&number)
        .ok_or_else(|| ApiError::not_found("ticket"))?;
    Ok(Event {
        name: "ticket.deleted",
        ticket: st.ticket_json(&ticket),
    })
}
