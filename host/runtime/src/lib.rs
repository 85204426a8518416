//! Elder Sync's sandboxed connector runtime.
//!
//! A [`Runtime`] owns one wasmtime engine (pooling allocator, epoch ticker thread) and
//! loads connector components built against any released contract (`wit/since_v1.0.0/`,
//! `wit/since_v1.1.0/`), each with the bindings of its version. Each loaded connector
//! keeps an `InstancePre`; every call runs in a fresh store with a memory cap (the sum of
//! its linear memories) and an epoch deadline, yielding its thread at every epoch tick,
//! so a trap, an endless loop or a memory bomb costs that call only ([`CallError::Trap`])
//! and never pins the executor. Guests reach the network only through the host's `http`
//! import, which enforces the connector's allowed hosts, applies credentials (secrets
//! never reach the guest), times out and caps response sizes. Components that import
//! WASI get a locked-down context: no files, no network, no environment, captured stdio.

pub use elder_sync_model as model;

mod bindings;
mod connector;
mod connector_settings;
mod convert;
pub mod egress;
mod error;
mod info;
mod limits;
mod observer;
pub mod registry;
mod runtime;
mod sandbox;
mod settings;
mod shared;
mod state;
mod wasi;
mod wasm_engine;

pub use connector::{LoadedConnector, WebhookDelivery};
pub use connector_settings::{ConnectorSettings, SettingsSplit};
pub use egress::{Egress, EgressError, EgressRequest, EgressResponse, ReqwestEgress};
pub use error::{CallError, PoolError, PoolSetting, RuntimeError, TrapKind};
pub use observer::RuntimeObserver;
pub use registry::{ConnectorRegistry, RegistryError, Slot};
pub use runtime::Runtime;
pub use settings::{PoolSettings, RuntimeSettings};
pub use wasm_engine::DEFAULT_MAX_CONCURRENT_CALLS;
