//! The host's clock (natively, the test clock of [`crate::testing`]).

/// Milliseconds since the Unix epoch (UTC), from the host.
pub fn now_ms() -> i64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        crate::testing::now_ms()
    }
    #[cfg(target_arch = "wasm32")]
    {
        crate::bindings::elder::connector::clock::now_ms()
    }
}
