//! The shared wasmtime [`Engine`]: component model, async, pooling allocator sized by
//! [`PoolSizes`] (from [`RuntimeSettings`] and its [`PoolSettings`]), epoch interruption,
//! and the ticker thread that advances the epoch every [`TICK`]. A running guest yields to
//! the async executor at every tick (see the sandbox), so a spinning guest shares its
//! thread instead of pinning it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::{PoolError, PoolSetting, RuntimeError};
use crate::settings::{PoolSettings, RuntimeSettings};

/// How often the epoch advances: the longest stretch a guest runs before it yields its
/// thread to other tasks, and the granularity of the call deadline.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Default number of connector calls that may hold an instance at once
/// (`ELDER_CONNECTOR_MAX_CONCURRENT_CALLS`); further calls wait for a slot.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 256;

/// Defaults of the pool totals, per concurrent call.
const CORE_INSTANCES_PER_CALL_IN_POOL: u32 = 16;
const MEMORIES_PER_CALL_IN_POOL: u32 = 2;
const TABLES_PER_CALL_IN_POOL: u32 = 4;

/// The pooling allocator's capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolSizes {
    /// Component instances (one per running call).
    pub component_instances: u32,
    /// Core instances over all running calls.
    pub core_instances: u32,
    /// Linear memories over all running calls.
    pub memories: u32,
    /// Tables over all running calls.
    pub tables: u32,
    /// Fiber stacks (one per running async call).
    pub stacks: u32,
}

impl PoolSizes {
    /// The sizes for `max_concurrent_calls` and `pool`, or the first setting that cannot
    /// work: a pool too small for one call per slot, or a per-call maximum above the pool.
    pub(crate) fn new(
        max_concurrent_calls: usize,
        pool: &PoolSettings,
        memory_limit_bytes: usize,
    ) -> Result<Self, PoolError> {
        let err = |setting, message: String| PoolError { setting, message };
        let calls = u32::try_from(max_concurrent_calls)
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                err(
                    PoolSetting::MaxConcurrentCalls,
                    format!("must be between 1 and 1000000 (got {max_concurrent_calls})"),
                )
            })?;
        let total = |given: Option<u32>, per_call: u32| {
            given.unwrap_or_else(|| calls.saturating_mul(per_call))
        };
        let sizes = PoolSizes {
            component_instances: calls,
            core_instances: total(pool.total_core_instances, CORE_INSTANCES_PER_CALL_IN_POOL),
            memories: total(pool.total_memories, MEMORIES_PER_CALL_IN_POOL),
            tables: total(pool.total_tables, TABLES_PER_CALL_IN_POOL),
            stacks: calls,
        };
        for (setting, per_call, total_setting, in_pool) in [
            (
                PoolSetting::CoreInstancesPerCall,
                pool.core_instances_per_call,
                PoolSetting::TotalCoreInstances,
                sizes.core_instances,
            ),
            (
                PoolSetting::MemoriesPerCall,
                pool.memories_per_call,
                PoolSetting::TotalMemories,
                sizes.memories,
            ),
            (
                PoolSetting::TablesPerCall,
                pool.tables_per_call,
                PoolSetting::TotalTables,
                sizes.tables,
            ),
        ] {
            if per_call == 0 {
                return Err(err(setting, "must be at least 1".into()));
            }
            if in_pool < calls {
                return Err(err(
                    total_setting,
                    format!("{in_pool} is fewer than one per concurrent call ({calls})"),
                ));
            }
            if per_call > in_pool {
                return Err(err(
                    setting,
                    format!("{per_call} per call is more than the whole pool holds ({in_pool})"),
                ));
            }
        }
        for (setting, bytes) in [
            (
                PoolSetting::MemoryKeepResident,
                pool.memory_keep_resident_bytes,
            ),
            (
                PoolSetting::TableKeepResident,
                pool.table_keep_resident_bytes,
            ),
        ] {
            if bytes > memory_limit_bytes {
                return Err(err(
                    setting,
                    format!(
                        "{bytes} bytes is more than the memory cap of a call ({memory_limit_bytes})"
                    ),
                ));
            }
        }
        Ok(sizes)
    }
}

/// The engine, its epoch ticker (which stops when this is dropped) and the slots of the
/// instance pool: a call holds one while its store lives.
pub(crate) struct WasmEngine {
    pub engine: Engine,
    pub slots: tokio::sync::Semaphore,
    stop: Arc<AtomicBool>,
}

impl Drop for WasmEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Builds the engine and starts the ticker.
pub(crate) fn start(cfg: &RuntimeSettings) -> Result<WasmEngine, RuntimeError> {
    let sizes = PoolSizes::new(cfg.max_concurrent_calls, &cfg.pool, cfg.memory_limit_bytes)?;
    let mut pool = PoolingAllocationConfig::default();
    // One page above the cap so that the store's limiter, not the pool, refuses growth
    // (the limiter records it as a memory trap).
    let pool_memory = cfg.memory_limit_bytes.saturating_add(64 * 1024);
    pool.total_component_instances(sizes.component_instances)
        .total_core_instances(sizes.core_instances)
        .total_memories(sizes.memories)
        .total_tables(sizes.tables)
        .total_stacks(sizes.stacks)
        .max_core_instances_per_component(cfg.pool.core_instances_per_call)
        .max_memories_per_component(cfg.pool.memories_per_call)
        .max_tables_per_component(cfg.pool.tables_per_call)
        .max_memory_size(pool_memory)
        .linear_memory_keep_resident(cfg.pool.memory_keep_resident_bytes)
        .table_keep_resident(cfg.pool.table_keep_resident_bytes);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
    let stop = Arc::new(AtomicBool::new(false));
    spawn_ticker(engine.clone(), stop.clone())?;
    Ok(WasmEngine {
        engine,
        slots: tokio::sync::Semaphore::new(sizes.component_instances as usize),
        stop,
    })
}

fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) -> Result<(), RuntimeError> {
    std::thread::Builder::new()
        .name("elder-epoch-ticker".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            }
        })
        .map(|_| ())
        .map_err(|e| RuntimeError::Engine(format!("cannot start the epoch ticker: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: usize = 64 << 20;

    #[test]
    fn pool_scales_with_concurrent_calls() {
        let sizes = PoolSizes::new(10, &PoolSettings::default(), CAP).unwrap();
        assert_eq!(sizes.component_instances, 10);
        assert_eq!(sizes.stacks, 10);
        assert_eq!(sizes.memories, 20);
        assert_eq!(sizes.tables, 40);
        assert_eq!(sizes.core_instances, 160);
    }

    #[test]
    fn totals_can_be_set() {
        let pool = PoolSettings {
            total_memories: Some(30),
            total_tables: Some(20),
            total_core_instances: Some(100),
            ..PoolSettings::default()
        };
        let sizes = PoolSizes::new(10, &pool, CAP).unwrap();
        assert_eq!(
            (sizes.memories, sizes.tables, sizes.core_instances),
            (30, 20, 100)
        );
    }

    #[test]
    fn nonsense_names_the_setting() {
        let setting = |calls, pool: PoolSettings| PoolSizes::new(calls, &pool, CAP).unwrap_err();
        assert_eq!(
            setting(0, PoolSettings::default()).setting,
            PoolSetting::MaxConcurrentCalls
        );
        let few = PoolSettings {
            total_memories: Some(5),
            ..PoolSettings::default()
        };
        assert_eq!(setting(10, few).setting, PoolSetting::TotalMemories);
        let greedy = PoolSettings {
            tables_per_call: 50,
            ..PoolSettings::default()
        };
        assert_eq!(setting(10, greedy).setting, PoolSetting::TablesPerCall);
        let none = PoolSettings {
            memories_per_call: 0,
            ..PoolSettings::default()
        };
        assert_eq!(setting(10, none).setting, PoolSetting::MemoriesPerCall);
        let resident = PoolSettings {
            memory_keep_resident_bytes: CAP + 1,
            ..PoolSettings::default()
        };
        assert_eq!(
            setting(10, resident).setting,
            PoolSetting::MemoryKeepResident
        );
    }
}
