//! `init` installs the process-wide subscriber once; a second call is a typed error, not a panic.
//! (Own test binary: the global subscriber cannot be reset.)

use elder_sync_telemetry::Error;
use elder_sync_telemetry::logging::{LogFormat, init};

mod support;

#[test]
fn init_once_then_already_initialized() {
    let guard = init(support::settings(LogFormat::Json)).expect("first init");
    tracing::info!("installed");
    assert!(matches!(
        init(support::settings(LogFormat::Pretty)),
        Err(Error::AlreadyInitialized)
    ));
    drop(guard);
}
