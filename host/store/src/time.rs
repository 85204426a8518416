//! UTC timestamps: stored as milliseconds since the Unix epoch, exposed as `DateTime<Utc>`.

use chrono::{DateTime, TimeZone, Utc};

use crate::error::{Result, StoreError};

pub use elder_sync_model::{duration_ms, now_ms};

/// A `DateTime<Utc>` as stored milliseconds.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Stored milliseconds as a `DateTime<Utc>`.
pub fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {ms} out of range")))
}

/// Optional stored milliseconds as an optional `DateTime<Utc>`.
pub fn from_ms_opt(ms: Option<i64>) -> Result<Option<DateTime<Utc>>> {
    ms.map(from_ms).transpose()
}
