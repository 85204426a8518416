//! Runtime settings ([`RuntimeSettings`]): deadlines, memory, concurrency and the instance
//! pool's capacity ([`PoolSettings`]), egress rules and the transport. The per-sync-config values handed to calls are
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
    /// What one call's component may declare and what the instance pool holds.
    pub pool: PoolSettings,
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
            pool: PoolSettings::default(),
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
            .field("pool", &self.pool)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http_timeout", &self.http_timeout)
            .field("allow_plain_http", &self.allow_plain_http)
            .field("allow_private_networks", &self.allow_private_networks)
            .field("custom_egress", &self.egress.is_some())
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// The instance pool's capacity and what one call may use of it. The pool is reserved
/// once at start (address space, not memory: pages are touched only by running calls);
/// a component that declares more than a per-call maximum fails to instantiate with an
/// error naming the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// Core wasm instances one call's component may create (a Rust component has a
    /// handful; the WASI adapter adds a few).
    pub core_instances_per_call: u32,
    /// Linear memories one call's component may declare (their sum is capped by
    /// [`RuntimeSettings::memory_limit_bytes`]).
    pub memories_per_call: u32,
    /// Tables one call's component may declare.
    pub tables_per_call: u32,
    /// Core instances over all running calls; `None`: 16 per concurrent call.
    pub total_core_instances: Option<u32>,
    /// Linear memories over all running calls; `None`: 2 per concurrent call.
    pub total_memories: Option<u32>,
    /// Tables over all running calls; `None`: 4 per concurrent call.
    pub total_tables: Option<u32>,
    /// Bytes of a freed linear memory kept mapped and zeroed by hand instead of given
    /// back to the kernel: the next call's first pages fault in no more (0: give back all).
    pub memory_keep_resident_bytes: usize,
    /// The same for tables.
    pub table_keep_resident_bytes: usize,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            core_instances_per_call: 16,
            memories_per_call: 8,
            tables_per_call: 16,
            total_core_instances: None,
            total_memories: None,
            total_tables: None,
            memory_keep_resident_bytes: 0,
            table_keep_resident_bytes: 0,
        }
    }
}

impl PoolSettings {
    /// Checks that these settings work with `max_concurrent_calls` and a per-call memory
    /// cap of `memory_limit_bytes` (what [`crate::Runtime::new`] checks too).
    pub fn check(
        &self,
        max_concurrent_calls: usize,
        memory_limit_bytes: usize,
    ) -> Result<(), crate::PoolError> {
        crate::wasm_engine::PoolSizes::new(max_concurrent_calls, self, memory_limit_bytes)
            .map(|_| ())
    }
}
