//! Runtime settings ([`RuntimeSettings`]): deadlines, memory, concurrency, egress rules and
//! the transport. The per-sync-config values handed to calls are
//! [`crate::connector_settings`].

use std::sync::Arc;
use std::time::Duration;

use crate::egress::Egress;
use crate::observer::RuntimeObserver;

/// How the runtime runs connectors.
#[derive(Clone)]
pub struct RuntimeSettings {
    /// Wall-clock budget of one call (epoch-based inside wasm, also enforced around host calls).
    pub call_deadline: Duration,
    /// Maximum linear memory of one call: the sum over all memories of its store.
    pub memory_limit_bytes: usize,
    /// Calls that may hold an instance at once (sizes the instance pool); more wait.
    pub max_concurrent_calls: usize,
    /// Maximum response body size accepted at egress.
    pub max_response_bytes: usize,
    /// Timeout of one HTTP request at egress.
    pub http_timeout: Duration,
    /// Whether `http://` URLs are allowed (loopback simulators in tests); otherwise https only.
    pub allow_plain_http: bool,
    /// Whether egress may reach loopback, link-local, private, unique-local and other
    /// internal addresses (`ELDER_EGRESS_ALLOW_PRIVATE`: a self-hosted platform on a
    /// private network, or local simulators in tests). Off by default.
    pub allow_private_networks: bool,
    /// The HTTP transport; `None` uses the real reqwest (rustls) egress.
    pub egress: Option<Arc<dyn Egress>>,
    /// Metrics hooks; `None` observes nothing.
    pub observer: Option<Arc<dyn RuntimeObserver>>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        RuntimeSettings {
            call_deadline: Duration::from_secs(30),
            memory_limit_bytes: 64 << 20,
            max_concurrent_calls: crate::wasm_engine::DEFAULT_MAX_CONCURRENT_CALLS,
            max_response_bytes: 10 << 20,
            http_timeout: Duration::from_secs(20),
            allow_plain_http: false,
            allow_private_networks: false,
            egress: None,
            observer: None,
        }
    }
}

impl std::fmt::Debug for RuntimeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeSettings")
            .field("call_deadline", &self.call_deadline)
            .field("memory_limit_bytes", &self.memory_limit_bytes)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http_timeout", &self.http_timeout)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("allow_private_networks", &self.allow_private_networks)
            .field("custom_egress", &self.egress.is_some())
            .field("observer", &self.observer.is_some())
            .finish()
    }
}
