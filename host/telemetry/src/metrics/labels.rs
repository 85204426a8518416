//! Label values for metrics: enums with fixed spellings, and a normaliser that keeps free-form
//! identifiers (platform, connector, function names) to a small bounded set.

use std::collections::HashSet;
use std::sync::Mutex;

/// The value used for any identifier that is malformed or beyond the distinct-value cap.
pub const OTHER: &str = "other";

/// Result of one sync operation (`sync_operations_total{status}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncStatus {
    /// The operation completed and both sides agree.
    Success,
    /// The operation failed.
    Failure,
    /// Nothing needed doing (echo of our own write, unchanged item).
    Skipped,
}

impl SyncStatus {
    /// Every status.
    pub const ALL: [SyncStatus; 3] = [Self::Success, Self::Failure, Self::Skipped];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Skipped => "skipped",
        }
    }
}

/// Kind of conflict detected by the resolver (`sync_conflicts_total{type}`); the same set the
/// sync engine's resolver and the store's conflict records use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictType {
    /// Fields changed on both sides with equal `updated_at`: time could not decide.
    Timestamp,
    /// Fields changed on both sides to different values.
    FieldMismatch,
    /// Deleted in Elder, changed on the external platform.
    DeletedLocal,
    /// Deleted on the external platform, changed in Elder.
    DeletedExternal,
    /// A state or status change the receiving side cannot make.
    InvalidTransition,
}

impl ConflictType {
    /// Every conflict type.
    pub const ALL: [ConflictType; 5] = [
        Self::Timestamp,
        Self::FieldMismatch,
        Self::DeletedLocal,
        Self::DeletedExternal,
        Self::InvalidTransition,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timestamp => "timestamp",
            Self::FieldMismatch => "field_mismatch",
            Self::DeletedLocal => "deleted_local",
            Self::DeletedExternal => "deleted_external",
            Self::InvalidTransition => "invalid_transition",
        }
    }
}

/// What happened to one incoming webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookOutcome {
    /// Verified and queued.
    Accepted,
    /// The signature or token did not verify.
    BadSignature,
    /// Already seen (same delivery id).
    Duplicate,
    /// Refused for another reason (unknown config, malformed body, too large).
    Rejected,
}

impl WebhookOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::BadSignature => "bad_signature",
            Self::Duplicate => "duplicate",
            Self::Rejected => "rejected",
        }
    }
}

/// Why a connector call trapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// The call ran past its deadline (epoch interruption / fuel).
    Deadline,
    /// The guest hit its memory limit.
    Memory,
    /// The guest panicked or hit `unreachable`.
    Panic,
    /// Any other trap.
    Other,
}

impl TrapKind {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deadline => "deadline",
            Self::Memory => "memory",
            Self::Panic => "panic",
            Self::Other => OTHER,
        }
    }

    /// Parses a kind name as the runtime spells it (case-insensitive); unknown names are `Other`.
    pub fn parse(kind: &str) -> Self {
        match kind.trim().to_ascii_lowercase().as_str() {
            "deadline" | "timeout" | "interrupt" => Self::Deadline,
            "memory" | "oom" | "out_of_memory" => Self::Memory,
            "panic" | "unreachable" => Self::Panic,
            _ => Self::Other,
        }
    }
}

/// HTTP status class of an egress request; `None` status means the request never got a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusClass {
    /// 1xx
    Informational,
    /// 2xx
    Success,
    /// 3xx
    Redirect,
    /// 4xx
    ClientError,
    /// 5xx
    ServerError,
    /// No response: connection failure, timeout, or a status outside 100..=599.
    Failed,
}

impl StatusClass {
    /// Classifies an optional status code.
    pub fn of(status: Option<u16>) -> Self {
        match status {
            Some(100..=199) => Self::Informational,
            Some(200..=299) => Self::Success,
            Some(300..=399) => Self::Redirect,
            Some(400..=499) => Self::ClientError,
            Some(500..=599) => Self::ServerError,
            _ => Self::Failed,
        }
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Informational => "1xx",
            Self::Success => "2xx",
            Self::Redirect => "3xx",
            Self::ClientError => "4xx",
            Self::ServerError => "5xx",
            Self::Failed => "error",
        }
    }
}

/// Keeps a free-form label to at most `cap` distinct well-formed values; the rest become `other`.
///
/// Well-formed: 1..=48 characters of `[a-z0-9_.-]` after lowercasing. This stops ids, URLs or
/// user text from creating unbounded time series.
#[derive(Debug)]
pub(crate) struct BoundedLabel {
    cap: usize,
    seen: Mutex<HashSet<String>>,
}

impl BoundedLabel {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            seen: Mutex::new(HashSet::new()),
        }
    }

    /// The label value to use for `raw`.
    pub(crate) fn value(&self, raw: &str) -> String {
        let value = raw.trim().to_ascii_lowercase();
        if !well_formed(&value) {
            return OTHER.to_owned();
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.contains(&value) {
            return value;
        }
        if seen.len() >= self.cap {
            return OTHER.to_owned();
        }
        seen.insert(value.clone());
        value
    }
}

fn well_formed(value: &str) -> bool {
    (1..=48).contains(&value.len())
        && value.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_and_excess_values_become_other() {
        let label = BoundedLabel::new(2);
        assert_eq!(label.value("GitHub"), "github");
        assert_eq!(label.value("https://x.test/a"), OTHER);
        assert_eq!(label.value("gitlab"), "gitlab");
        assert_eq!(label.value("jira"), OTHER);
        assert_eq!(label.value("github"), "github");
    }

    #[test]
    fn status_classes() {
        assert_eq!(StatusClass::of(Some(204)).as_str(), "2xx");
        assert_eq!(StatusClass::of(Some(429)).as_str(), "4xx");
        assert_eq!(StatusClass::of(None).as_str(), "error");
        assert_eq!(StatusClass::of(Some(42)).as_str(), "error");
    }

    #[test]
    fn trap_kinds_parse_case_insensitively() {
        assert_eq!(TrapKind::parse("Deadline"), TrapKind::Deadline);
        assert_eq!(TrapKind::parse("memory"), TrapKind::Memory);
        assert_eq!(TrapKind::parse("PANIC"), TrapKind::Panic);
        assert_eq!(TrapKind::parse("weird"), TrapKind::Other);
    }
}
