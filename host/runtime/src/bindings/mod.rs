//! The host's bindings, one module per released contract version, each generated from
//! its frozen folder `wit/since_vX.Y.Z/` (never edited once released; a test pins each
//! frozen file's hash). `latest` (1.1) also provides the host's imports and the shared
//! `types`; [`exports`] picks a component's bindings by the contract version it was
//! built against and gives the calls of every version one face.
//!
//! Adding 1.(n+1): copy the newest folder to `wit/since_v1.(n+1).0`, bump its package
//! version and add to it, generate `v1_(n+1).rs` from it (its imports and `types` through
//! `with` to the previous latest's, or the other way round) and point `latest` at it.
//! Keep the older modules: the runtime picks a component's bindings by the contract
//! version it names, converting every version's answers to the host's model in
//! `convert`; the load test of a component built from the frozen 1.0 files
//! (`tests/contract_versions.rs`) must keep passing.

mod exports;
pub(crate) mod v1_0;
pub(crate) mod v1_1;

/// The newest contract version this host serves.
pub(crate) use v1_1 as latest;

pub(crate) use exports::{ConnectorExport, ContractPre, Exports};
pub(crate) use latest::ConnectorWorld;
pub(crate) use latest::elder::connector::{clock, http, log, types};
pub(crate) use latest::exports::elder::connector::comments;
