//! The host's clock.

/// Milliseconds since the Unix epoch (UTC), from the host.
pub fn now_ms() -> i64 {
    crate::bindings::elder::connector::clock::now_ms()
}
