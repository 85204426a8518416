//! The per-store memory cap: [`MemoryCap`] wraps wasmtime's `StoreLimits` and remembers
//! whether the guest hit the cap, so the trap that follows (a Rust guest aborts when an
//! allocation fails) is reported as `TrapKind::Memory`.

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// Caps each linear memory of a store at `limit` bytes and records refusals.
pub(crate) struct MemoryCap {
    inner: StoreLimits,
    hit: bool,
}

impl MemoryCap {
    pub(crate) fn new(limit: usize) -> Self {
        MemoryCap {
            inner: StoreLimitsBuilder::new().memory_size(limit).build(),
            hit: false,
        }
    }

    /// Whether the guest asked for more memory than allowed.
    pub(crate) fn was_hit(&self) -> bool {
        self.hit
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        if !allowed {
            self.hit = true;
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.hit = true;
        self.inner.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}
