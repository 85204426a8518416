//! What platforms a config can target and what a config for each needs: the
//! [`ConnectorCatalog`] the API asks (the service answers from the installed connectors),
//! and the checks of a config's platform against it. The API does not depend on the engine
//! or the plugin host, and the store keeps no table of platforms: this trait is the one
//! owner of "which platforms exist and what their configs require".

use std::collections::BTreeMap;

use elder_sync_model::ConfigField;
use elder_sync_store::{ConfigRequirements, PlatformId, WebhookSecretForm};

use crate::ApiError;

/// The installed connectors as configs see them.
pub trait ConnectorCatalog: Send + Sync + std::fmt::Debug {
    /// Platform ids served by an installed, enabled connector, sorted.
    fn platforms(&self) -> Vec<String>;
    /// The config schema the connector serving `platform` declares; `None` when no
    /// installed, enabled connector serves it.
    fn config_schema(&self, platform: &str) -> Option<Vec<ConfigField>>;
    /// The form a generated webhook secret takes for configs of `platform`
    /// (`whsec_<base64>` for a Standard-Webhooks-only connector, plain text otherwise).
    fn secret_form(&self, platform: &str) -> WebhookSecretForm;
}

/// What a config for `platform` must satisfy, or a 422 naming `platform` and listing the
/// installed platforms when no installed, enabled connector serves it.
pub fn requirements_for(
    catalog: &dyn ConnectorCatalog,
    platform: &str,
) -> Result<(ConfigRequirements, WebhookSecretForm), ApiError> {
    let id = PlatformId::parse(platform)?;
    let Some(schema) = catalog.config_schema(id.as_str()) else {
        return Err(unknown_platform(catalog, &id));
    };
    Ok((
        ConfigRequirements::from_schema(&schema),
        catalog.secret_form(id.as_str()),
    ))
}

fn unknown_platform(catalog: &dyn ConnectorCatalog, id: &PlatformId) -> ApiError {
    let installed = catalog.platforms();
    let listed = if installed.is_empty() {
        "none".to_string()
    } else {
        installed.join(", ")
    };
    ApiError::validation(
        "platform",
        format!("no installed, enabled connector serves platform {id}; installed: {listed}"),
    )
}

/// A fixed catalog: for tests, and for an API with no connectors at hand (empty: every
/// config's platform is refused).
#[derive(Debug, Clone, Default)]
pub struct StaticCatalog {
    platforms: BTreeMap<String, (Vec<ConfigField>, WebhookSecretForm)>,
}

impl StaticCatalog {
    /// No platform.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `platform` with its connector's config schema and secret form.
    pub fn with(
        mut self,
        platform: &str,
        schema: Vec<ConfigField>,
        secret_form: WebhookSecretForm,
    ) -> Self {
        self.platforms
            .insert(platform.to_string(), (schema, secret_form));
        self
    }
}

impl ConnectorCatalog for StaticCatalog {
    fn platforms(&self) -> Vec<String> {
        self.platforms.keys().cloned().collect()
    }

    fn config_schema(&self, platform: &str) -> Option<Vec<ConfigField>> {
        self.platforms.get(platform).map(|(s, _)| s.clone())
    }

    fn secret_form(&self, platform: &str) -> WebhookSecretForm {
        self.platforms
            .get(platform)
            .map_or(WebhookSecretForm::Plain, |(_, f)| *f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, required: bool) -> ConfigField {
        ConfigField {
            key: key.into(),
            description: String::new(),
            required,
            secret: false,
        }
    }

    #[test]
    fn an_unknown_platform_is_refused_listing_the_installed_ones() {
        let catalog = StaticCatalog::new()
            .with(
                "gitlab",
                vec![field("project_id", true)],
                WebhookSecretForm::Plain,
            )
            .with("github", vec![], WebhookSecretForm::Plain);
        let err = requirements_for(&catalog, "bitbucket").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("platform"));
        assert_eq!(err.status.as_u16(), 422);
        assert!(
            err.message.ends_with("installed: github, gitlab"),
            "{}",
            err.message
        );
        let (req, _) = requirements_for(&catalog, "gitlab").unwrap();
        assert_eq!(req.required[0].key, "project_id");
        let syntax = requirements_for(&catalog, "Git Lab").unwrap_err();
        assert_eq!(syntax.field.as_deref(), Some("platform"));
    }

    #[test]
    fn an_empty_catalog_says_none_is_installed() {
        let err = requirements_for(&StaticCatalog::new(), "github").unwrap_err();
        assert!(err.message.ends_with("installed: none"), "{}", err.message);
    }
}
