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
use crate::bindings::ConnectorExport;
use crate::bindings::types as t;
use crate::egress::policy::EgressPolicy;
use crate::error::CallError;
use crate::state::HostState;

/// One call's result and how long it took.
pub(crate) type Timed<T> = (Result<T, CallError>, Duration);

pub(crate) use crate::connector::WebhookDelivery as Delivery;

/// What the guest answered to one `parse-webhook`.
pub(crate) type ParseAnswer = Result<Vec<t::Change>, t::ConnectorError>;

/// One `parse-webhook` call in `guest`. A plain function, not a closure passed around:
/// the future must be provably `Send` (the engine runs it on spawned tasks).
async fn parse_one(
    store: &mut Store<HostState>,
    guest: ConnectorExport<'_>,
    config: &t::Config,
    (headers, body): &Delivery,
) -> wasmtime::Result<ParseAnswer> {
    guest.call_parse_webhook(store, config, headers, body).await
}

impl Sandbox {
    /// Runs `parse-webhook` for every delivery, in order, in one fresh instance as far as
    /// it goes; the deliveries after a failed call each run in a fresh instance. One result
    /// per delivery.
    pub(crate) async fn run_parse_batch(
        &self,
        policy: &EgressPolicy,
        config: &t::Config,
        inputs: &[Delivery],
    ) -> Vec<Timed<ParseAnswer>> {
        let mut done = Vec::with_capacity(inputs.len());
        if inputs.is_empty() {
            return done;
        }
        self.serve_in_one_instance(policy, config, inputs, &mut done)
            .await;
        for input in &inputs[done.len()..] {
            let started = Instant::now();
            let result = self
                .run(policy.clone(), async |store, exports| {
                    parse_one(store, exports.connector(), config, input).await
                })
                .await;
            done.push((result, started.elapsed()));
        }
        done
    }

    /// Serves `inputs` in order in one instance until a call fails to complete, pushing
    /// the results that stand to `done`; the rest is left to fresh instances.
    async fn serve_in_one_instance(
        &self,
        policy: &EgressPolicy,
        config: &t::Config,
        inputs: &[Delivery],
        done: &mut Vec<Timed<ParseAnswer>>,
    ) {
        let Ok(_slot) = self.slot().await else {
            return;
        };
        let mut store = self.store(policy.clone(), EpochMode::Yield);
        let mut started = Instant::now();
        let deadline = store.data().deadline;
        let instantiate = async {
            self.pre
                .instantiate(&mut store)
                .await
                .map_err(Failure::Instantiate)
        };
        // A failed instantiation is reported by each input's own fresh attempt.
        let Ok(exports) = within(deadline, instantiate).await else {
            return;
        };
        let guest = exports.connector();
        for (served, input) in inputs.iter().enumerate() {
            if served > 0 {
                self.restart_deadline(&mut store);
                started = Instant::now();
            }
            let deadline = store.data().deadline;
            let call = async {
                parse_one(&mut store, guest, config, input)
                    .await
                    .map_err(Failure::Call)
            };
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
