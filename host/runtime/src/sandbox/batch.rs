//! Many calls of one pure export in one instance ([`Sandbox::run_batch`]). The calls of a
//! batch share one store and one instance, so instantiation is paid once; each call still
//! gets a whole deadline of its own (epoch and wall clock), and the memory cap holds for
//! the instance. The first call that traps or runs out of time or memory ends the
//! instance: it fails alone, and every call after it runs again in a fresh instance of its
//! own, exactly as an unbatched call would. A memory trap after earlier calls may be due to
//! what they left in memory, so that call gets a fresh instance too. Callers batch only
//! exports the contract declares pure (`parse-webhook`), and only within one config: the
//! instance sees one config's calls and dies with the batch.

use std::time::{Duration, Instant};

use wasmtime::Store;

use super::{EpochMode, Failure, Sandbox, within};
use crate::bindings::guest::Guest;
use crate::egress::policy::EgressPolicy;
use crate::error::CallError;
use crate::state::HostState;

/// One call's result and how long it took.
pub(crate) type Timed<T> = (Result<T, CallError>, Duration);

impl Sandbox {
    /// Runs `f` for every input, in order, in one fresh instance as far as it goes; the
    /// inputs after a failed call each run in a fresh instance. One result per input.
    pub(crate) async fn run_batch<I, T>(
        &self,
        policy: &EgressPolicy,
        inputs: &[I],
        f: impl AsyncFn(&mut Store<HostState>, &Guest, &I) -> wasmtime::Result<T>,
    ) -> Vec<Timed<T>> {
        let mut done = Vec::with_capacity(inputs.len());
        if inputs.is_empty() {
            return done;
        }
        self.serve_in_one_instance(policy, inputs, &f, &mut done)
            .await;
        for input in &inputs[done.len()..] {
            let started = Instant::now();
            let result = self
                .run(policy.clone(), async |store, guest| {
                    f(store, guest, input).await
                })
                .await;
            done.push((result, started.elapsed()));
        }
        done
    }

    /// Serves `inputs` in order in one instance until a call fails to complete, pushing
    /// the results that stand to `done`; the rest is left to fresh instances.
    async fn serve_in_one_instance<I, T>(
        &self,
        policy: &EgressPolicy,
        inputs: &[I],
        f: &impl AsyncFn(&mut Store<HostState>, &Guest, &I) -> wasmtime::Result<T>,
        done: &mut Vec<Timed<T>>,
    ) {
        let Ok(_slot) = self.slot().await else {
            return;
        };
        let mut store = self.store(policy.clone(), EpochMode::Yield);
        let mut started = Instant::now();
        let deadline = store.data().deadline;
        let instantiate = async {
            self.pre
                .instantiate_async(&mut store)
                .await
                .map_err(Failure::Instantiate)
        };
        // A failed instantiation is reported by each input's own fresh attempt.
        let Ok(world) = within(deadline, instantiate).await else {
            return;
        };
        let guest = world.elder_connector_connector();
        for (served, input) in inputs.iter().enumerate() {
            if served > 0 {
                self.restart_deadline(&mut store);
                started = Instant::now();
            }
            let deadline = store.data().deadline;
            let call = async { f(&mut store, guest, input).await.map_err(Failure::Call) };
            match within(deadline, call).await {
                Ok(value) => done.push((Ok(value), started.elapsed())),
                Err(failure) => {
                    let memory_hit = store.data().limits.was_hit();
                    if !(memory_hit && served > 0) {
                        done.push((Err(self.classify(failure, memory_hit)), started.elapsed()));
                    }
                    break;
                }
            }
        }
        store.data().stdio.flush_to_log(&self.name);
    }
}
