//! The shared wasmtime [`Engine`]: component model, async, pooling allocator, epoch
//! interruption, and the ticker thread that advances the epoch every [`TICK`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::RuntimeError;

/// How often the epoch advances; deadlines are rounded up to whole ticks.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// The engine plus its epoch ticker, which stops when this is dropped.
pub(crate) struct EngineHandle {
    pub engine: Engine,
    stop: Arc<AtomicBool>,
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Builds the engine and starts the ticker.
pub(crate) fn start(memory_limit_bytes: usize) -> Result<EngineHandle, RuntimeError> {
    let mut pool = PoolingAllocationConfig::default();
    // One page above the cap so that the store's limiter, not the pool, refuses growth
    // (the limiter records it as a memory trap).
    let pool_memory = memory_limit_bytes.saturating_add(64 * 1024);
    pool.total_component_instances(256)
        .total_core_instances(4096)
        .total_memories(512)
        .total_tables(1024)
        .total_stacks(256)
        .max_memories_per_component(8)
        .max_tables_per_component(16)
        .max_memory_size(pool_memory);
    let mut config = Config::new();
    config
        .wasm_component_model(true)
        .epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    let engine = Engine::new(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
    let stop = Arc::new(AtomicBool::new(false));
    spawn_ticker(engine.clone(), stop.clone())?;
    Ok(EngineHandle { engine, stop })
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

/// The epoch deadline, in ticks, for a call budget (at least one tick, rounded up,
/// plus one because the current tick may be nearly over).
pub(crate) fn deadline_ticks(budget: Duration) -> u64 {
    let ticks = budget.as_nanos().div_ceil(TICK.as_nanos()).max(1);
    u64::try_from(ticks).unwrap_or(u64::MAX - 1) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_ticks() {
        assert_eq!(deadline_ticks(Duration::ZERO), 2);
        assert_eq!(deadline_ticks(Duration::from_millis(10)), 2);
        assert_eq!(deadline_ticks(Duration::from_millis(11)), 3);
        assert_eq!(deadline_ticks(Duration::from_secs(30)), 3001);
    }
}
