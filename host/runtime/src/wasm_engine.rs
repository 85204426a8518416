//! The shared wasmtime [`Engine`]: component model, async, pooling allocator sized by
//! [`PoolSizes`], epoch interruption, and the ticker thread that advances the epoch every
//! [`TICK`]. A running guest yields to the async executor at every tick (see the sandbox),
//! so a spinning guest shares its thread instead of pinning it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::RuntimeError;

/// How often the epoch advances: the longest stretch a guest runs before it yields its
/// thread to other tasks, and the granularity of the call deadline.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Default number of connector calls that may hold an instance at once
/// (`ELDER_CONNECTOR_MAX_CONCURRENT_CALLS`); further calls wait for a slot.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 256;

/// Core wasm instances one component may create (a Rust component has a handful; the
/// WASI adapter adds a few).
const CORE_INSTANCES_PER_COMPONENT: usize = 16;

/// Linear memories one component instance may declare; their sum is capped per call by
/// the store's limiter.
const MEMORIES_PER_COMPONENT: u32 = 8;

/// Tables one component instance may declare.
const TABLES_PER_COMPONENT: u32 = 16;

/// The pooling allocator's capacity, derived from how many calls may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolSizes {
    /// Component instances (one per running call).
    pub component_instances: u32,
    /// Core instances over all running calls.
    pub core_instances: u32,
    /// Linear memories over all running calls (two per call on average).
    pub memories: u32,
    /// Tables over all running calls (four per call on average).
    pub tables: u32,
    /// Fiber stacks (one per running async call).
    pub stacks: u32,
}

impl PoolSizes {
    pub(crate) fn for_calls(max_concurrent_calls: usize) -> Self {
        let calls = u32::try_from(max_concurrent_calls.max(1)).unwrap_or(u32::MAX / 64);
        let per = |n: usize| calls.saturating_mul(u32::try_from(n).unwrap_or(1));
        PoolSizes {
            component_instances: calls,
            core_instances: per(CORE_INSTANCES_PER_COMPONENT),
            memories: per(2),
            tables: per(4),
            stacks: calls,
        }
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
pub(crate) fn start(
    memory_limit_bytes: usize,
    max_concurrent_calls: usize,
) -> Result<WasmEngine, RuntimeError> {
    let sizes = PoolSizes::for_calls(max_concurrent_calls);
    let mut pool = PoolingAllocationConfig::default();
    // One page above the cap so that the store's limiter, not the pool, refuses growth
    // (the limiter records it as a memory trap).
    let pool_memory = memory_limit_bytes.saturating_add(64 * 1024);
    pool.total_component_instances(sizes.component_instances)
        .total_core_instances(sizes.core_instances)
        .total_memories(sizes.memories)
        .total_tables(sizes.tables)
        .total_stacks(sizes.stacks)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .max_memory_size(pool_memory);
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

    #[test]
    fn pool_scales_with_concurrent_calls() {
        let sizes = PoolSizes::for_calls(10);
        assert_eq!(sizes.component_instances, 10);
        assert_eq!(sizes.stacks, 10);
        assert_eq!(sizes.memories, 20);
        assert_eq!(sizes.core_instances, 160);
        assert_eq!(PoolSizes::for_calls(0).component_instances, 1);
    }
}
