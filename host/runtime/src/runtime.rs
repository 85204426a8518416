//! [`Runtime`]: one engine, one linker (our WIT imports plus locked-down WASI), shared
//! settings; `load` turns component bytes into a [`LoadedConnector`].

use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};

use crate::bindings::{ConnectorWorld, ConnectorWorldPre};
use crate::config::RuntimeConfig;
use crate::connector::LoadedConnector;
use crate::egress::{Egress, EgressError, ReqwestEgress};
use crate::engine::{self, EngineHandle};
use crate::error::RuntimeError;
use crate::info;
use crate::observer::{NoopObserver, RuntimeObserver};
use crate::sandbox::Sandbox;
use crate::state::HostState;

/// What every loaded connector of a runtime shares.
pub(crate) struct Shared {
    pub engine: EngineHandle,
    pub linker: Linker<HostState>,
    pub cfg: RuntimeConfig,
    pub egress: Arc<dyn Egress>,
    pub observer: Arc<dyn RuntimeObserver>,
}

/// The connector runtime. Cheap to clone; all clones share one engine.
#[derive(Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Runtime {
    /// Creates the engine (pooling allocator, epoch ticker) and the linker.
    pub fn new(cfg: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let engine = engine::start(cfg.memory_limit_bytes)?;
        let linker = build_linker(&engine.engine)?;
        let egress: Arc<dyn Egress> = match &cfg.egress {
            Some(e) => e.clone(),
            None => Arc::new(
                ReqwestEgress::new()
                    .map_err(|e: EgressError| RuntimeError::Engine(e.to_string()))?,
            ),
        };
        let observer: Arc<dyn RuntimeObserver> = match &cfg.observer {
            Some(o) => o.clone(),
            None => Arc::new(NoopObserver),
        };
        let shared = Arc::new(Shared {
            engine,
            linker,
            cfg,
            egress,
            observer,
        });
        Ok(Runtime { shared })
    }

    /// The settings this runtime was created with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.shared.cfg
    }

    /// Compiles and links a component, calls `describe` and checks its answer.
    /// Holds no global state: loading the same bytes twice gives two independent
    /// connectors.
    pub fn load(&self, component_bytes: &[u8]) -> Result<Arc<LoadedConnector>, RuntimeError> {
        let source_hash = hex::encode(Sha256::digest(component_bytes));
        let component = Component::new(&self.shared.engine.engine, component_bytes)
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        let pre = self
            .shared
            .linker
            .instantiate_pre(&component)
            .map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
        let pre = ConnectorWorldPre::new(pre).map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
        let sandbox = Sandbox::new(self.shared.clone(), pre);
        let info = futures::executor::block_on(sandbox.describe())
            .map_err(|e| RuntimeError::Describe(e.to_string()))?;
        info::check(&info)?;
        Ok(Arc::new(LoadedConnector::new(
            sandbox.named(&info.id),
            info,
            source_hash,
        )))
    }
}

fn build_linker(engine: &wasmtime::Engine) -> Result<Linker<HostState>, RuntimeError> {
    let mut linker = Linker::new(engine);
    let link = |e: wasmtime::Error| RuntimeError::Engine(format!("linking host imports: {e:#}"));
    ConnectorWorld::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
        .map_err(link)?;
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link)?;
    Ok(linker)
}
