//! The dashboard's small chart of one config's last 24 hours, drawn on the server as SVG:
//! one bar pair per hour, items synced (and runs) above, failed items and failed runs in
//! red, from the config's sync history.

use chrono::{DateTime, Utc};
use elder_sync_store::HistoryEntry;
use maud::{Markup, html};

const HOURS: usize = 24;
const WIDTH: u32 = 240;
const HEIGHT: u32 = 48;

/// Operations and failures in each of the last 24 hours (oldest first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub ops: [i64; HOURS],
    pub failures: [i64; HOURS],
}

impl Activity {
    /// Buckets `runs` by hour before `now`; older runs are left out. A run counts as at
    /// least one operation, a failed run as at least one failure.
    pub fn of(runs: &[HistoryEntry], now: DateTime<Utc>) -> Activity {
        let mut a = Activity::default();
        for run in runs {
            let age = (now - run.started_at).num_hours();
            if !(0..HOURS as i64).contains(&age) {
                continue;
            }
            let slot = HOURS - 1 - age as usize;
            a.ops[slot] += run.items_synced.max(1);
            a.failures[slot] += if run.success {
                run.items_failed
            } else {
                run.items_failed.max(1)
            };
        }
        a
    }

    fn totals(&self) -> (i64, i64) {
        (self.ops.iter().sum(), self.failures.iter().sum())
    }
}

/// The chart, with a text equivalent for screen readers.
pub fn activity_svg(a: &Activity) -> Markup {
    let (ops, failures) = a.totals();
    let peak = a
        .ops
        .iter()
        .chain(&a.failures)
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = WIDTH / HOURS as u32;
    let bar = |n: i64| ((n as f64 / peak as f64) * f64::from(HEIGHT - 2)).ceil() as u32;
    let label = format!("Last 24 hours: {ops} operations, {failures} failures");
    html! {
        svg.chart role="img" aria-label=(label) width=(WIDTH) height=(HEIGHT)
            viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) xmlns="http://www.w3.org/2000/svg" {
            title { (label) }
            line x1="0" y1=(HEIGHT - 1) x2=(WIDTH) y2=(HEIGHT - 1) class="axis" {}
            @for (i, (&o, &f)) in a.ops.iter().zip(&a.failures).enumerate() {
                @let x = i as u32 * slot;
                @if o > 0 {
                    rect.ops x=(x) y=(HEIGHT - 1 - bar(o)) width=(slot / 2) height=(bar(o)) {}
                }
                @if f > 0 {
                    rect.failures x=(x + slot / 2) y=(HEIGHT - 1 - bar(f)) width=(slot / 2) height=(bar(f)) {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(hours_ago: i64, synced: i64, failed: i64, success: bool) -> HistoryEntry {
        HistoryEntry {
            id: 1,
            sync_config_id: 1,
            correlation_id: Default::default(),
            sync_type: "poll".into(),
            items_synced: synced,
            items_failed: failed,
            started_at: Utc::now() - chrono::Duration::minutes(hours_ago * 60 + 1),
            completed_at: None,
            success,
            error_message: None,
            sync_metadata: serde_json::json!({}),
        }
    }

    #[test]
    fn runs_land_in_their_hour_and_old_ones_are_left_out() {
        let a = Activity::of(
            &[run(0, 3, 0, true), run(2, 0, 0, false), run(30, 9, 9, true)],
            Utc::now(),
        );
        assert_eq!(a.ops[23], 3);
        assert_eq!((a.ops[21], a.failures[21]), (1, 1));
        assert_eq!(a.totals(), (4, 1));
        let svg = activity_svg(&a).into_string();
        assert!(svg.contains("4 operations, 1 failures"), "{svg}");
        assert_eq!(svg.matches("class=\"failures\"").count(), 1);
    }
}
