//! Running one call in isolation: a slot from the engine's bounded pool of concurrent
//! calls, a fresh [`Store`] per call with the memory cap and the epoch deadline (the guest
//! yields to the executor at every epoch tick and traps once the deadline has passed,
//! plus a wall-clock bound when a tokio runtime is present, covering time spent in host
//! calls), instantiation from the `InstancePre`, captured WASI stdio flushed to the log,
//! and classification of traps into [`TrapKind`]. [`batch`] serves many calls of a pure
//! export in one instance.

use std::sync::Arc;
use std::time::Instant;

use elder_sync_model::{ConnectorInfo, Kind};
use wasmtime::{Store, StoreContextMut, UpdateDeadline};

use crate::bindings::{ContractPre, Exports};
use crate::convert;
use crate::egress::EgressContext;
use crate::egress::policy::EgressPolicy;
use crate::error::{CallError, TrapKind};
use crate::shared::Shared;
use crate::state::HostState;

mod batch;

/// A linked, ready-to-instantiate connector.
pub(crate) struct Sandbox {
    shared: Arc<Shared>,
    pre: ContractPre,
    name: String,
}

enum Failure {
    Instantiate(wasmtime::Error),
    Call(wasmtime::Error),
    WallClock,
}

impl Sandbox {
    pub(crate) fn new(shared: Arc<Shared>, pre: ContractPre) -> Self {
        Sandbox {
            shared,
            pre,
            name: "(loading)".into(),
        }
    }

    /// The same sandbox, logging under the connector's id.
    pub(crate) fn named(self, id: &str) -> Self {
        Sandbox {
            name: id.to_string(),
            ..self
        }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Calls `describe` and, when the component has the `comments` export,
    /// `comment-kinds`, in one instance with all egress refused (a 1.0 component syncs no
    /// comments). It runs to its deadline without yielding: loading calls it from
    /// synchronous code (`futures::executor::block_on`, possibly on a tokio worker),
    /// where a tokio yield would never be woken.
    pub(crate) async fn describe(&self) -> Result<(ConnectorInfo, Vec<Kind>), CallError> {
        self.run_with(
            EpochMode::Trap,
            EgressPolicy::deny_all(),
            async |store, exports| {
                let info = exports.connector().call_describe(store).await?;
                let comment_kinds = match exports.comments() {
                    Some(comments) => comments.call_comment_kinds(&mut *store).await?,
                    None => Vec::new(),
                };
                let comment_kinds = comment_kinds.into_iter().map(convert::kind_from_wit);
                Ok((info, comment_kinds.collect()))
            },
        )
        .await
    }

    fn store(&self, policy: EgressPolicy, mode: EpochMode) -> Store<HostState> {
        let cfg = &self.shared.cfg;
        let egress = EgressContext {
            connector: self.name.clone(),
            policy,
            egress: self.shared.egress.clone(),
            observer: self.shared.observer.clone(),
            timeout: cfg.http_timeout,
            max_response_bytes: cfg.max_response_bytes,
        };
        let deadline = Instant::now() + cfg.call_deadline;
        let mut store = Store::new(
            &self.shared.engine.engine,
            HostState::new(egress, cfg.memory_limit_bytes, deadline),
        );
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(epoch_callback(mode));
        store
    }

    /// Gives the next call in a reused store a whole deadline of its own.
    fn restart_deadline(&self, store: &mut Store<HostState>) {
        store.data_mut().deadline = Instant::now() + self.shared.cfg.call_deadline;
        store.set_epoch_deadline(1);
    }

    /// A slot of the engine's bounded pool of concurrent calls, held while a store lives.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, CallError> {
        self.shared
            .engine
            .slots
            .acquire()
            .await
            .map_err(|_| CallError::Runtime("the runtime is shutting down".into()))
    }

    /// Instantiates the connector in a fresh store and runs `f` against its exports; the
    /// guest yields its thread at every epoch tick.
    pub(crate) async fn run<T>(
        &self,
        policy: EgressPolicy,
        f: impl AsyncFnOnce(&mut Store<HostState>, &Exports) -> wasmtime::Result<T>,
    ) -> Result<T, CallError> {
        self.run_with(EpochMode::Yield, policy, f).await
    }

    async fn run_with<T>(
        &self,
        mode: EpochMode,
        policy: EgressPolicy,
        f: impl AsyncFnOnce(&mut Store<HostState>, &Exports) -> wasmtime::Result<T>,
    ) -> Result<T, CallError> {
        // Waiting for a slot is not the call's time: the deadline starts with the store.
        let _slot = self.slot().await?;
        let mut store = self.store(policy, mode);
        let deadline = store.data().deadline;
        let work = async {
            let exports = self
                .pre
                .instantiate(&mut store)
                .await
                .map_err(Failure::Instantiate)?;
            f(&mut store, &exports).await.map_err(Failure::Call)
        };
        let outcome = within(deadline, work).await;
        store.data().stdio.flush_to_log(&self.name);
        outcome.map_err(|failure| self.classify(failure, store.data().limits.was_hit()))
    }

    fn classify(&self, failure: Failure, memory_hit: bool) -> CallError {
        match failure {
            Failure::Instantiate(e) if memory_hit => CallError::Trap {
                kind: TrapKind::Memory,
                message: format!("instantiation exceeded the memory cap: {e:#}"),
            },
            Failure::Instantiate(e) => CallError::Runtime(format!("instantiating: {e:#}")),
            Failure::WallClock => CallError::Trap {
                kind: TrapKind::Deadline,
                message: format!(
                    "call exceeded its deadline of {:?}",
                    self.shared.cfg.call_deadline
                ),
            },
            Failure::Call(e) => trap_of(&e, memory_hit),
        }
    }
}

/// What a guest does at an epoch tick before its deadline.
#[derive(Clone, Copy)]
enum EpochMode {
    /// Yields its thread to the executor (every call made from async code).
    Yield,
    /// Keeps running (calls made from synchronous code).
    Trap,
}

/// Bounds `work` by the wall clock at `deadline` when a tokio runtime is present (this
/// also covers time spent in host calls, where no epoch check runs).
async fn within<T>(
    deadline: Instant,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::time::timeout_at(deadline.into(), work)
            .await
            .unwrap_or(Err(Failure::WallClock))
    } else {
        work.await
    }
}

/// Checks the store's deadline at every epoch tick: past it, the guest traps with
/// `Trap::Interrupt`; before it, it yields (in [`EpochMode::Yield`]) or continues.
fn epoch_callback(
    mode: EpochMode,
) -> impl FnMut(StoreContextMut<'_, HostState>) -> wasmtime::Result<UpdateDeadline> + Send + Sync + 'static
{
    move |ctx| {
        Ok(match mode {
            _ if Instant::now() >= ctx.data().deadline => UpdateDeadline::Interrupt,
            EpochMode::Trap => UpdateDeadline::Continue(1),
            // tokio's yield lets the I/O driver and every other ready task run first.
            EpochMode::Yield if tokio::runtime::Handle::try_current().is_ok() => {
                UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
            }
            EpochMode::Yield => UpdateDeadline::Yield(1),
        })
    }
}

fn trap_of(e: &wasmtime::Error, memory_hit: bool) -> CallError {
    let kind = if memory_hit {
        TrapKind::Memory
    } else {
        match e.downcast_ref::<wasmtime::Trap>() {
            Some(wasmtime::Trap::Interrupt) => TrapKind::Deadline,
            Some(wasmtime::Trap::UnreachableCodeReached) => TrapKind::Panic,
            _ => TrapKind::Other,
        }
    };
    let message = match kind {
        TrapKind::Deadline => "call exceeded its deadline (interrupted)".to_string(),
        TrapKind::Memory => format!("guest exceeded its memory cap: {e:#}"),
        _ => format!("{e:#}"),
    };
    CallError::Trap { kind, message }
}
