//! The host's bindings, one module per released contract version, each generated from
//! its frozen folder `wit/since_vX.Y.Z/` (never edited once released; a test pins each
//! frozen file's hash). Today 1.0 is the only version, so it is also `latest`.
//!
//! Adding 1.1: copy `wit/since_v1.0.0` to `wit/since_v1.1.0`, bump its package version
//! and add to it, generate `v1_1.rs` from it and point `latest` at it. Keep `v1_0`: the
//! runtime picks a component's bindings by the contract version it was built against
//! (`elder-sync-plugins::contract` reads that from the component), converting both to
//! the host's model in `convert`; the load test of a component built from the frozen
//! 1.0 files (`tests/contract_versions.rs`) must keep passing.

pub(crate) mod v1_0;

/// The newest contract version this host serves.
pub(crate) use v1_0 as latest;

pub(crate) use latest::elder::connector::{clock, http, log, types};
pub(crate) use latest::exports::elder::connector::connector as guest;
pub(crate) use latest::{ConnectorWorld, ConnectorWorldPre};
