//! The runtime's error types: load failures ([`RuntimeError`]) and call failures
//! ([`CallError`], with [`TrapKind`] saying why a guest trapped).

use elder_sync_model::ConnectorError;

/// Why a guest trapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// The call ran past its deadline (epoch interruption or wall-clock timeout).
    Deadline,
    /// The guest tried to grow its memory beyond the store's cap.
    Memory,
    /// The guest panicked or aborted (`unreachable`).
    Panic,
    /// Any other trap (stack overflow, out-of-bounds access, host-side trap...).
    Other,
}

impl TrapKind {
    /// A short lowercase name for logs and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            TrapKind::Deadline => "deadline",
            TrapKind::Memory => "memory",
            TrapKind::Panic => "panic",
            TrapKind::Other => "other",
        }
    }
}

impl std::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a call into a loaded connector failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The guest returned its `connector-error` variant.
    #[error("connector error: {0}")]
    Connector(ConnectorError),
    /// The guest trapped; only this call was lost.
    #[error("connector trapped ({kind}): {message}")]
    Trap {
        /// What kind of trap it was.
        kind: TrapKind,
        /// The trap's message from the runtime.
        message: String,
    },
    /// The runtime could not run the call (instantiation failed, pool exhausted...).
    #[error("runtime error: {0}")]
    Runtime(String),
}

impl CallError {
    /// `ok`-less outcome label for metrics: `error` or `trap`.
    pub fn outcome(&self) -> &'static str {
        match self {
            CallError::Trap { .. } => "trap",
            _ => "error",
        }
    }
}

/// Why a component could not be loaded, or a configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The wasmtime engine could not be created with the requested settings.
    #[error("cannot create the wasm engine: {0}")]
    Engine(String),
    /// The bytes are not a valid WebAssembly component.
    #[error("not a valid WebAssembly component: {0}")]
    Compile(String),
    /// The component imports something the host does not provide, or does not export
    /// the `elder:connector/connector` interface.
    #[error("the component does not fit the elder:connector@1 contract: {0}")]
    Link(String),
    /// `describe` could not be called (the guest trapped or failed to instantiate).
    #[error("calling describe failed: {0}")]
    Describe(String),
    /// `describe` answered with something unusable.
    #[error("invalid describe answer: {0}")]
    InvalidInfo(String),
    /// A connector configuration could not be read.
    #[error("invalid connector config: {0}")]
    InvalidConfig(String),
    /// The instance pool's settings do not fit together.
    #[error("invalid instance pool settings: {0}")]
    Pool(#[from] PoolError),
}

/// Which instance-pool setting a [`PoolError`] is about (the service maps it to its
/// environment variable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolSetting {
    /// `RuntimeSettings::max_concurrent_calls`.
    MaxConcurrentCalls,
    /// `PoolSettings::core_instances_per_call`.
    CoreInstancesPerCall,
    /// `PoolSettings::memories_per_call`.
    MemoriesPerCall,
    /// `PoolSettings::tables_per_call`.
    TablesPerCall,
    /// `PoolSettings::total_core_instances`.
    TotalCoreInstances,
    /// `PoolSettings::total_memories`.
    TotalMemories,
    /// `PoolSettings::total_tables`.
    TotalTables,
    /// `PoolSettings::memory_keep_resident_bytes`.
    MemoryKeepResident,
    /// `PoolSettings::table_keep_resident_bytes`.
    TableKeepResident,
}

/// Instance-pool settings that cannot work together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting:?}: {message}")]
pub struct PoolError {
    /// The setting at fault.
    pub setting: PoolSetting,
    /// Why, with the values involved.
    pub message: String,
}
