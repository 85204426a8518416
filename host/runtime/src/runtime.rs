//! [`Runtime`]: one engine, one linker (our WIT imports plus locked-down WASI), shared
//! settings; `load` turns component bytes into a [`LoadedConnector`] with the bindings of
//! the contract version the component was built against.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker};

use crate::bindings::{ConnectorWorld, ContractPre};
use crate::connector::LoadedConnector;
use crate::egress::{Egress, EgressError, ReqwestEgress};
use crate::error::RuntimeError;
use crate::info;
use crate::observer::{NoopObserver, RuntimeObserver};
use crate::sandbox::Sandbox;
use crate::settings::RuntimeSettings;
use crate::shared::Shared;
use crate::state::HostState;
use crate::wasm_engine;

/// The connector runtime. Cheap to clone; all clones share one engine.
#[derive(Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Runtime {
    /// Creates the engine (pooling allocator, epoch ticker) and the linker.
    pub fn new(cfg: RuntimeSettings) -> Result<Runtime, RuntimeError> {
        let engine = wasm_engine::start(&cfg)?;
        let linker = build_linker(&engine.engine)?;
        let egress: Arc<dyn Egress> = match &cfg.egress {
            Some(e) => e.clone(),
            None => Arc::new(
                ReqwestEgress::with_private_networks(cfg.allow_private_networks)
                    .map_err(|e: EgressError| RuntimeError::Engine(e.to_string()))?,
            ),
        };
        let observer: Arc<dyn RuntimeObserver> = match &cfg.observer {
            Some(o) => o.clone(),
            None => Arc::new(NoopObserver),
        };
        let shared = Arc::new(Shared {
            engine: Arc::new(engine),
            linker,
            cfg,
            egress,
            observer,
        });
        Ok(Runtime { shared })
    }

    /// The settings this runtime was created with.
    pub fn settings(&self) -> &RuntimeSettings {
        &self.shared.cfg
    }

    /// Compiles and links a component, calls `describe` and checks its answer.
    /// Holds no global state: loading the same bytes twice gives two independent
    /// connectors.
    pub fn load(&self, component_bytes: &[u8]) -> Result<Arc<LoadedConnector>, RuntimeError> {
        let source_hash = hex::encode(Sha256::digest(component_bytes));
        let component = Component::new(&self.shared.engine.engine, component_bytes)
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        self.finish(&component, source_hash)
    }

    /// Compiles a component to this engine's native code without loading it (the bytes
    /// [`Runtime::load_precompiled`] takes back), for an on-disk code cache.
    pub fn precompile(&self, component_bytes: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        self.shared
            .engine
            .engine
            .precompile_component(component_bytes)
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))
    }

    /// A hex digest of everything that makes precompiled code of this engine
    /// incompatible with another (wasmtime version, compiler settings, features):
    /// part of a code-cache key.
    pub fn compatibility_hash(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.shared
            .engine
            .engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }

    /// Loads a component from bytes made by [`Runtime::precompile`]; `source_hash` is the
    /// SHA-256 (hex) of the original component bytes. Links, describes and checks like
    /// [`Runtime::load`].
    ///
    /// # Safety
    /// The bytes are native code that is mapped executable without verification: they
    /// must come from [`Runtime::precompile`] of an engine with the same
    /// [`Runtime::compatibility_hash`] and must not have been altered since (keep them
    /// where only this host writes and check a checksum before calling).
    pub unsafe fn load_precompiled(
        &self,
        precompiled: &[u8],
        source_hash: String,
    ) -> Result<Arc<LoadedConnector>, RuntimeError> {
        // SAFETY: the caller guarantees the bytes are our own unaltered precompile output.
        let component = unsafe { Component::deserialize(&self.shared.engine.engine, precompiled) }
            .map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        self.finish(&component, source_hash)
    }

    /// The same engine and linker with tighter limits for one connector: the call
    /// deadline and memory cap are each the smaller of this runtime's and the given one.
    pub fn with_limits(&self, call_deadline: Duration, memory_limit_bytes: usize) -> Runtime {
        let mut cfg = self.shared.cfg.clone();
        cfg.call_deadline = cfg.call_deadline.min(call_deadline);
        cfg.memory_limit_bytes = cfg.memory_limit_bytes.min(memory_limit_bytes);
        let shared = Arc::new(Shared {
            engine: self.shared.engine.clone(),
            linker: self.shared.linker.clone(),
            cfg,
            egress: self.shared.egress.clone(),
            observer: self.shared.observer.clone(),
        });
        Runtime { shared }
    }

    fn finish(
        &self,
        component: &Component,
        source_hash: String,
    ) -> Result<Arc<LoadedConnector>, RuntimeError> {
        let pre = self
            .shared
            .linker
            .instantiate_pre(component)
            .map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
        let pre = ContractPre::new(&self.shared.engine.engine, component, pre)
            .map_err(|e| RuntimeError::Link(format!("{e:#}")))?;
        let sandbox = Sandbox::new(self.shared.clone(), pre);
        let (info, comment_kinds) = futures::executor::block_on(sandbox.describe())
            .map_err(|e| RuntimeError::Describe(e.to_string()))?;
        info::check(&info)?;
        info::check_comment_kinds(&info, &comment_kinds)?;
        Ok(Arc::new(LoadedConnector::new(
            sandbox.named(&info.id),
            info,
            comment_kinds,
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
