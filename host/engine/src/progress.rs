//! The progress a running poll reports after every page: items handled so far, and an
//! estimate of the run's total when the items' change times allow one. Recorded on the
//! run's history row (the store derives rate and ETA for `GET /api/v1/sync/status`).
//!
//! The estimate: `list-changes` pages come oldest change first (the contract), so while a
//! kind is walked, how far the change times of its items have advanced from the first one
//! toward the run's start is the fraction of that kind already read. It assumes changes
//! spread evenly over time, so it is only made once that fraction is at least
//! [`MIN_FRACTION`] of a span of at least [`MIN_SPAN_MS`]; otherwise (e.g. labels, which carry
//! no change time) there is no estimate and no ETA.

use elder_sync_model::{Item, Kind};
use uuid::Uuid;

use crate::engine::SyncEngine;

/// The smallest share of a kind's time span read before a total is estimated.
pub const MIN_FRACTION: f64 = 0.01;

/// The shortest time span (first item's change to the run's start) an estimate is made on.
pub const MIN_SPAN_MS: i64 = 60_000;

/// What a running poll has done so far.
#[derive(Debug, Clone)]
pub struct Progress {
    correlation_id: Uuid,
    started_ms: i64,
    done: i64,
    kind: Option<Kind>,
    done_before_kind: i64,
    first_change_ms: Option<i64>,
    last_change_ms: i64,
}

impl Progress {
    /// The progress of the operation `correlation_id` that started at `started_ms`.
    pub fn new(correlation_id: Uuid, started_ms: i64) -> Progress {
        Progress {
            correlation_id,
            started_ms,
            done: 0,
            kind: None,
            done_before_kind: 0,
            first_change_ms: None,
            last_change_ms: i64::MIN,
        }
    }

    /// Counts one handled page of `kind`: its items and `deleted` deletions.
    pub fn page(&mut self, kind: Kind, items: &[Item], deleted: usize) {
        if self.kind != Some(kind) {
            self.kind = Some(kind);
            self.done_before_kind = self.done;
            self.first_change_ms = None;
            self.last_change_ms = i64::MIN;
        }
        for i in items {
            let first = self.first_change_ms.get_or_insert(i.updated_at);
            *first = (*first).min(i.updated_at);
            self.last_change_ms = self.last_change_ms.max(i.updated_at);
        }
        self.done += i64::try_from(items.len() + deleted).unwrap_or(i64::MAX);
    }

    /// Items (and deletions) handled so far.
    pub fn done(&self) -> i64 {
        self.done
    }

    /// The estimated number of items of the whole run, when one can be made (module doc).
    pub fn estimated_total(&self) -> Option<i64> {
        let first = self.first_change_ms?;
        let span = self.started_ms - first;
        if span < MIN_SPAN_MS {
            return None;
        }
        let fraction = ((self.last_change_ms - first).max(0) as f64 / span as f64).min(1.0);
        if fraction < MIN_FRACTION {
            return None;
        }
        let in_kind = (self.done - self.done_before_kind) as f64;
        Some(self.done_before_kind + (in_kind / fraction).ceil() as i64)
    }

    /// Records the progress on the run's history row; a failure is logged, never fatal.
    pub async fn record(&self, engine: &SyncEngine) {
        if let Err(e) = engine
            .store
            .record_progress(self.correlation_id, self.done, self.estimated_total())
            .await
        {
            tracing::warn!(error = %e, "the run's progress could not be recorded");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(updated_at: i64) -> Item {
        Item {
            kind: Kind::Issue,
            external_id: updated_at.to_string(),
            title: "t".into(),
            body: String::new(),
            state: elder_sync_model::ItemState::Open,
            status_name: None,
            labels: vec![],
            assignees: vec![],
            milestone_ref: None,
            parent_ref: None,
            url: None,
            updated_at,
            version: None,
            extras: "{}".into(),
        }
    }

    #[test]
    fn a_total_is_estimated_from_how_far_change_times_have_advanced() {
        // Changes one per second over 1,000 s before the run started; 250 read so far.
        let mut p = Progress::new(Uuid::nil(), 1_000_000);
        let page: Vec<Item> = (0..250).map(|i| item(i * 1_000)).collect();
        p.page(Kind::Issue, &page, 0);
        assert_eq!(p.done(), 250);
        let total = p.estimated_total().expect("an estimate");
        assert!((990..=1010).contains(&total), "{total}");
    }

    #[test]
    fn no_estimate_without_a_time_span_to_go_by() {
        let mut p = Progress::new(Uuid::nil(), 1_000_000);
        // Labels: every item "changed" at the run's start.
        p.page(Kind::Label, &[item(1_000_000), item(1_000_000)], 0);
        assert_eq!(p.estimated_total(), None);
        // A new kind starts its own span; too little of it read yet.
        let mut p = Progress::new(Uuid::nil(), 10_000_000);
        p.page(Kind::Issue, &[item(0), item(10)], 0);
        assert_eq!(p.estimated_total(), None);
    }

    #[test]
    fn earlier_kinds_count_in_full() {
        let mut p = Progress::new(Uuid::nil(), 1_000_000);
        p.page(Kind::Milestone, &[item(5), item(6), item(7)], 0);
        let page: Vec<Item> = (0..500).map(|i| item(i * 1_000)).collect();
        p.page(Kind::Issue, &page, 0);
        let total = p.estimated_total().expect("an estimate");
        assert!((995..=1010).contains(&total), "{total}");
    }
}
