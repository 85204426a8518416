//! Group commit of webhook inbox writes: deliveries arriving together are written by one
//! task, as many as are waiting (up to [`GROUP_MAX`]) in one transaction, and each caller is
//! answered once that transaction has committed, so a 2xx still means "durably stored". One
//! commit for many deliveries instead of one each, and webhook requests no longer queue (and
//! sleep) one by one for SQLite's single write lock. On PostgreSQL, which takes concurrent
//! writers well and where one writer's statements would be sequential round trips, each
//! delivery is written directly on its own connection. A failed group is written again one
//! delivery at a time, so one bad row fails only its own request.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::inbox::{InboxInsert, insert_row};
use crate::webhook_gate::{GateStamp, WebhookGate};
use crate::{Backend, Store, StoreError};

/// The most deliveries written in one transaction.
pub const GROUP_MAX: usize = 64;

/// Deliveries waiting for the writer beyond which callers wait to hand theirs over.
const QUEUE: usize = 1024;

/// The writer of one store; cheap to clone. Its task starts with the first write (on the
/// caller's runtime) and ends when every handle is dropped.
#[derive(Clone, Debug)]
pub struct InboxWriter {
    store: Store,
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
}

/// One delivery to write, owned.
#[derive(Debug)]
pub(crate) struct OwnedInsert {
    pub(crate) config_id: i64,
    pub(crate) delivery_id: String,
    pub(crate) headers: String,
    pub(crate) body: Vec<u8>,
    /// Written only while the config's row still has this stamp (a kept gate).
    pub(crate) stamp: Option<GateStamp>,
}

#[derive(Debug)]
struct Job {
    row: OwnedInsert,
    answer: oneshot::Sender<Result<bool, StoreError>>,
}

impl InboxWriter {
    /// A writer over `store`.
    pub fn new(store: Store) -> InboxWriter {
        InboxWriter {
            store,
            queue: Arc::default(),
        }
    }

    /// Stores a delivery like `insert_inbox`: `false` when the same (config, delivery id)
    /// is already there.
    pub async fn insert(&self, d: &InboxInsert<'_>) -> Result<bool, StoreError> {
        self.write(OwnedInsert::of(d, None)?).await
    }

    /// Stores a delivery only while the config still has `gate` (see `webhook_gate`):
    /// `false` when the delivery is already there or the gate changed since it was read.
    pub async fn insert_if_current(
        &self,
        d: &InboxInsert<'_>,
        gate: &WebhookGate,
    ) -> Result<bool, StoreError> {
        self.write(OwnedInsert::of(d, Some(gate.stamp().clone()))?)
            .await
    }

    async fn write(&self, row: OwnedInsert) -> Result<bool, StoreError> {
        if self.store.backend() == Backend::Postgres {
            // PostgreSQL takes concurrent writers well, and one writer's statements would be
            // sequential round trips: each delivery is written on its own connection.
            return insert_row(&self.store, &row).await;
        }
        let (answer, answered) = oneshot::channel();
        let queue = self.queue.get_or_init(|| self.spawn());
        match queue.send(Job { row, answer }).await {
            Ok(()) => match answered.await {
                Ok(result) => result,
                // The writer stopped (its runtime ended) before answering: the caller answers
                // 5xx and the platform delivers again (a duplicate if the row was committed).
                Err(_) => Err(StoreError::Corrupt(
                    "the inbox writer stopped before answering".into(),
                )),
            },
            Err(mpsc::error::SendError(job)) => insert_row(&self.store, &job.row).await,
        }
    }

    fn spawn(&self) -> mpsc::Sender<Job> {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(self.store.clone(), rx));
        tx
    }
}

impl OwnedInsert {
    fn of(d: &InboxInsert<'_>, stamp: Option<GateStamp>) -> Result<OwnedInsert, StoreError> {
        Ok(OwnedInsert {
            config_id: d.config_id,
            delivery_id: d.delivery_id.to_string(),
            headers: serde_json::to_string(d.headers)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            body: d.body.to_vec(),
            stamp,
        })
    }
}

/// The writer's loop: waits for a delivery, takes every other one waiting (up to
/// [`GROUP_MAX`]), writes them in one transaction, answers each.
async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(GROUP_MAX);
    while let Some(first) = rx.recv().await {
        jobs.push(first);
        while jobs.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let rows: Vec<&OwnedInsert> = jobs.iter().map(|j| &j.row).collect();
        match write_group(&store, &rows).await {
            Ok(stored) => {
                for (job, stored) in jobs.drain(..).zip(stored) {
                    let _ = job.answer.send(Ok(stored));
                }
            }
            Err(_) => {
                for job in jobs.drain(..) {
                    let result = insert_row(&store, &job.row).await;
                    let _ = job.answer.send(result);
                }
            }
        }
    }
}

/// Writes `rows` in one transaction; for each, whether it was stored.
async fn write_group(store: &Store, rows: &[&OwnedInsert]) -> Result<Vec<bool>, StoreError> {
    if let [row] = rows {
        return Ok(vec![insert_row(store, row).await?]);
    }
    let mut tx = store.pool.begin().await?;
    let mut stored = Vec::with_capacity(rows.len());
    for row in rows {
        stored.push(crate::inbox::insert_with(&mut tx, row).await?);
    }
    tx.commit().await?;
    Ok(stored)
}
