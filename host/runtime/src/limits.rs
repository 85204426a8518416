//! The per-call memory cap: [`MemoryCap`] is the store's `ResourceLimiter`. It caps the
//! *sum* of every linear memory of the store (a component may declare several, each of
//! which would otherwise get the whole cap) and remembers whether the guest hit the cap,
//! so the trap that follows (a Rust guest aborts when an allocation fails) is reported
//! as `TrapKind::Memory`. Table growth is left to the pool's per-table limit.

use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};

/// Caps the total linear memory of a store at `limit` bytes and records refusals.
pub(crate) struct MemoryCap {
    inner: StoreLimits,
    limit: usize,
    used: usize,
    hit: bool,
}

impl MemoryCap {
    pub(crate) fn new(limit: usize) -> Self {
        MemoryCap {
            inner: StoreLimitsBuilder::new().build(),
            limit,
            used: 0,
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
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let total = self.used.saturating_add(growth);
        if total > self.limit {
            self.hit = true;
            return Ok(false);
        }
        // Counted now; a growth that then fails is given back in `memory_grow_failed`
        // only as far as the bookkeeping goes (the cap stays conservative).
        self.used = total;
        Ok(true)
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Engine, Instance, Module, Store};

    const MIB: usize = 1 << 20;
    const PAGE: usize = 64 * 1024;

    /// A core module with two memories of one page each; `grow0`/`grow1` grow one of
    /// them by N pages and return the old size, or -1 when refused.
    const TWO_MEMORIES: &str = r#"(module
        (memory $a 1) (memory $b 1)
        (func (export "grow0") (param i32) (result i32) (memory.grow $a (local.get 0)))
        (func (export "grow1") (param i32) (result i32) (memory.grow $b (local.get 0))))"#;

    fn instance(limit: usize) -> (Store<MemoryCap>, Instance) {
        let engine = Engine::default();
        let module = Module::new(&engine, wat::parse_str(TWO_MEMORIES).unwrap()).unwrap();
        let mut store = Store::new(&engine, MemoryCap::new(limit));
        store.limiter(|cap| cap);
        let instance = Instance::new(&mut store, &module, &[]).unwrap();
        (store, instance)
    }

    fn grow(store: &mut Store<MemoryCap>, instance: &Instance, which: &str, bytes: usize) -> i32 {
        let f = instance
            .get_typed_func::<i32, i32>(&mut *store, which)
            .unwrap();
        f.call(&mut *store, i32::try_from(bytes / PAGE).unwrap())
            .unwrap()
    }

    #[test]
    fn two_memories_share_one_cap() {
        let (mut store, instance) = instance(4 * MIB);
        // Each growth alone is well under the cap; together they are over it.
        assert_eq!(grow(&mut store, &instance, "grow0", 3 * MIB), 1);
        assert!(!store.data().was_hit());
        assert_eq!(
            grow(&mut store, &instance, "grow1", 3 * MIB),
            -1,
            "the second memory got a cap of its own"
        );
        assert!(store.data().was_hit());
    }

    #[test]
    fn growth_up_to_the_cap_in_total_is_allowed() {
        let (mut store, instance) = instance(4 * MIB);
        // Two initial pages are already used; fill the rest across both memories.
        let rest = 4 * MIB - 2 * PAGE;
        assert_eq!(grow(&mut store, &instance, "grow0", rest / 2), 1);
        assert_eq!(grow(&mut store, &instance, "grow1", rest / 2), 1);
        assert_eq!(grow(&mut store, &instance, "grow1", PAGE), -1);
    }
}
