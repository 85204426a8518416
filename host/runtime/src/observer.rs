//! Metrics hooks: the runtime reports calls, traps and egress to a [`RuntimeObserver`].

use crate::error::TrapKind;

/// Receives runtime events (for metrics). Every method defaults to doing nothing.
pub trait RuntimeObserver: Send + Sync {
    /// A call finished; `outcome` is `ok`, `error` or `trap`.
    fn call_finished(&self, _connector: &str, _function: &str, _outcome: &str, _secs: f64) {}
    /// A guest trapped.
    fn trapped(&self, _connector: &str, _kind: TrapKind) {}
    /// An egress request finished; `status` is `None` when it failed or was refused.
    fn egress(&self, _connector: &str, _status: Option<u16>) {}
}

/// The observer used when none is configured.
pub(crate) struct NoopObserver;

impl RuntimeObserver for NoopObserver {}
