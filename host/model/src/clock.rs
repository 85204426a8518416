//! The host's one wall clock reading: milliseconds since the Unix epoch, UTC (the unit of
//! every stored timestamp and of the canonical item's `updated_at`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in UTC milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A duration in milliseconds, the unit of stored timestamps (saturating far below overflow,
/// so it can be added to a timestamp).
pub fn duration_ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_after_2024() {
        assert!(super::now_ms() > 1_704_067_200_000);
    }
}
