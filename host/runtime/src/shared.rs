//! [`Shared`]: what every loaded connector of one runtime shares (the engine, the linker,
//! the settings, the egress transport and the observer). The runtime builds it; the
//! sandbox reads it on every call.

use std::sync::Arc;

use wasmtime::component::Linker;

use crate::egress::Egress;
use crate::observer::RuntimeObserver;
use crate::settings::RuntimeSettings;
use crate::state::HostState;
use crate::wasm_engine::WasmEngine;

/// What every loaded connector of a runtime shares.
pub(crate) struct Shared {
    pub engine: Arc<WasmEngine>,
    pub linker: Linker<HostState>,
    pub cfg: RuntimeSettings,
    pub egress: Arc<dyn Egress>,
    pub observer: Arc<dyn RuntimeObserver>,
}
