//! The connector's plugin manifest (`plugin.toml`) as the SDK sees it: read at compile
//! time by [`connector!`](crate::connector), it is the only place id, version, hosts and
//! limits are written.

/// What `plugin.toml` says, embedded in the component at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest {
    /// The connector id (`describe().id`).
    pub id: &'static str,
    /// The connector version (`describe().version`).
    pub version: &'static str,
    /// Hosts it may reach, literal or `{key}` templates (`describe().hosts`).
    pub hosts: &'static [&'static str],
    /// The connector's own cap on one call, in seconds (the host applies it).
    pub call_deadline_secs: Option<u64>,
    /// The connector's own memory cap, in MiB (the host applies it).
    pub memory_mb: Option<u64>,
}

/// Gives a connector type its manifest. Implemented by [`connector!`](crate::connector);
/// never by hand.
pub trait Manifested {
    /// The manifest read from `plugin.toml` at compile time.
    const MANIFEST: Manifest;
}
