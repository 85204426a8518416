//! The connectors serving now, by platform: what the sync engine calls and what the plugin
//! host swaps (both depend on this crate, neither on the other). Swapping a connector
//! replaces the entry atomically; calls already running keep their `Arc` to the old
//! version and finish on it, new calls get the new one. Disabling keeps the entry but
//! refuses new calls. Which versions a plugin has had (the rollback target, what drains)
//! is the plugin host's to know, not the registry's.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::connector::LoadedConnector;

/// Why no connector can serve a platform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// No connector serves this platform; the text is the platform.
    #[error("no connector is loaded for platform {0}")]
    NotLoaded(String),
    /// A connector serves this platform but an operator disabled it; the text is the platform.
    #[error("the {0} connector is disabled")]
    Disabled(String),
}

/// One platform's slot.
#[derive(Clone)]
pub struct Slot {
    /// The version that serves new calls.
    pub current: Arc<LoadedConnector>,
    /// False when an operator disabled the connector: calls are refused with `Disabled`.
    pub enabled: bool,
    /// When the current version started serving (ms since the epoch, UTC).
    pub loaded_at_ms: i64,
}

/// Connectors by platform name.
#[derive(Default)]
pub struct ConnectorRegistry {
    slots: RwLock<BTreeMap<String, Slot>>,
}

impl ConnectorRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `connector` for its platform from now on (keeping the slot's enabled state).
    pub fn install(&self, connector: Arc<LoadedConnector>, now_ms: i64) {
        let platform = connector.info().platform.clone();
        let mut slots = self.slots.write().expect("registry lock poisoned");
        let enabled = slots.get(&platform).is_none_or(|old| old.enabled);
        slots.insert(
            platform,
            Slot {
                current: connector,
                enabled,
                loaded_at_ms: now_ms,
            },
        );
    }

    /// A snapshot of one platform's slot.
    pub fn slot(&self, platform: &str) -> Option<Slot> {
        let slots = self.slots.read().expect("registry lock poisoned");
        slots.get(platform).cloned()
    }

    /// The connector serving `platform`, if loaded and enabled.
    pub fn get(&self, platform: &str) -> Result<Arc<LoadedConnector>, RegistryError> {
        let slots = self.slots.read().expect("registry lock poisoned");
        match slots.get(platform) {
            None => Err(RegistryError::NotLoaded(platform.to_string())),
            Some(slot) if !slot.enabled => Err(RegistryError::Disabled(platform.to_string())),
            Some(slot) => Ok(slot.current.clone()),
        }
    }

    /// Enables or disables a platform's connector; false when none is loaded.
    pub fn set_enabled(&self, platform: &str, enabled: bool) -> Result<(), RegistryError> {
        let mut slots = self.slots.write().expect("registry lock poisoned");
        let slot = slots
            .get_mut(platform)
            .ok_or_else(|| RegistryError::NotLoaded(platform.to_string()))?;
        slot.enabled = enabled;
        Ok(())
    }

    /// A snapshot of every slot.
    pub fn slots(&self) -> Vec<(String, Slot)> {
        let slots = self.slots.read().expect("registry lock poisoned");
        slots.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// Number of loaded connectors.
    pub fn len(&self) -> usize {
        self.slots.read().expect("registry lock poisoned").len()
    }

    /// True when nothing is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
