//! The service's [`ConnectorCatalog`]: the platforms a config can target and what a config
//! for each needs, answered from the connectors serving in the registry (installed through
//! the plugin host, enabled). A connector's `describe` is the only source: built-ins and
//! third-party connectors go through the same path.

use std::sync::Arc;

use elder_sync_api::ConnectorCatalog;
use elder_sync_engine::ConnectorRegistry;
use elder_sync_model::{ConfigField, ConnectorInfo, WebhookScheme};
use elder_sync_store::WebhookSecretForm;

/// The installed, enabled connectors, by platform.
pub struct RegistryCatalog(pub Arc<ConnectorRegistry>);

impl std::fmt::Debug for RegistryCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegistryCatalog")
    }
}

impl RegistryCatalog {
    fn serving(&self, platform: &str) -> Option<ConnectorInfo> {
        self.0
            .slot(platform)
            .filter(|slot| slot.enabled)
            .map(|slot| slot.current.info().clone())
    }
}

impl ConnectorCatalog for RegistryCatalog {
    fn platforms(&self) -> Vec<String> {
        self.0
            .slots()
            .into_iter()
            .filter(|(_, slot)| slot.enabled)
            .map(|(platform, _)| platform)
            .collect()
    }

    fn config_schema(&self, platform: &str) -> Option<Vec<ConfigField>> {
        self.serving(platform).map(|info| info.config_schema)
    }

    /// `whsec_<base64>` when the connector only speaks Standard Webhooks, plain text
    /// otherwise (and for a platform nothing serves).
    fn secret_form(&self, platform: &str) -> WebhookSecretForm {
        let Some(info) = self.serving(platform) else {
            return WebhookSecretForm::Plain;
        };
        match &info.webhooks {
            Some(w)
                if !w.schemes.is_empty()
                    && w.schemes
                        .iter()
                        .all(|s| matches!(s, WebhookScheme::StandardWebhooks)) =>
            {
                WebhookSecretForm::StandardWebhooks
            }
            _ => WebhookSecretForm::Plain,
        }
    }
}
