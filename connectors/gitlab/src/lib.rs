//! Elder Sync connector for GitLab (REST v4): issues, milestones and labels of one
//! project, and epics of its group as Elder projects. See README.md for the mapping.

pub mod config;
pub mod http;
pub mod listing;
pub mod map;
pub mod ops;
pub mod webhook;

use elder_connector_sdk::{
    AuthRule, Change, Config, ConfigField, ConnectorError, ConnectorInfo, Item, ItemPatch,
    ItemState, Kind, NewItem, Page, RawConnector, WebhookInfo, WebhookScheme,
};

use config::Settings;

/// The GitLab connector.
pub struct GitlabConnector;

fn field(key: &str, description: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: description.into(),
        required,
        secret,
    }
}

impl RawConnector for GitlabConnector {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "gitlab".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            platform: "gitlab".into(),
            kinds: vec![Kind::Issue, Kind::Milestone, Kind::Label, Kind::Project],
            config_schema: vec![
                field(
                    "api_token",
                    "Personal, project or group access token with the `api` scope",
                    true,
                    true,
                ),
                field(
                    "project_id",
                    "Numeric project id or `namespace/name`",
                    true,
                    false,
                ),
                field(
                    "base_url",
                    "GitLab instance URL (default https://gitlab.com)",
                    false,
                    false,
                ),
                field(
                    "group_id",
                    "Numeric group id whose epics sync as projects (Premium)",
                    false,
                    false,
                ),
                field(
                    "webhook_secret",
                    "Webhook secret token (X-Gitlab-Token) or signing token (whsec_...)",
                    false,
                    true,
                ),
            ],
            auth: vec![AuthRule::Header((
                "PRIVATE-TOKEN".into(),
                "{api_token}".into(),
            ))],
            webhooks: Some(WebhookInfo {
                schemes: vec![
                    WebhookScheme::SharedToken("X-Gitlab-Token".into()),
                    WebhookScheme::StandardWebhooks,
                ],
                delivery_id_headers: vec!["Idempotency-Key".into(), "X-Gitlab-Event-UUID".into()],
            }),
            hosts: vec!["gitlab.com".into(), "{base_url}".into()],
        }
    }

    fn validate_config(config: &Config) -> Result<(), ConnectorError> {
        Settings::from_config(config).map(|_| ())
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        ops::test_connection(&Settings::from_config(config)?)
    }

    fn list_changes(
        config: &Config,
        kind: Kind,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        listing::list(
            &Settings::from_config(config)?,
            kind,
            cursor.as_deref(),
            page_size,
        )
    }

    fn get(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        ops::get(&Settings::from_config(config)?, kind, external_id)
    }

    fn create(config: &Config, item: NewItem) -> Result<Item, ConnectorError> {
        ops::create(&Settings::from_config(config)?, item)
    }

    fn update(
        config: &Config,
        kind: Kind,
        external_id: &str,
        patch: ItemPatch,
    ) -> Result<Item, ConnectorError> {
        ops::update(&Settings::from_config(config)?, kind, external_id, patch)
    }

    fn close(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        ops::set_state(
            &Settings::from_config(config)?,
            kind,
            external_id,
            ItemState::Closed,
        )
    }

    fn reopen(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        ops::set_state(
            &Settings::from_config(config)?,
            kind,
            external_id,
            ItemState::Open,
        )
    }

    fn delete(config: &Config, kind: Kind, external_id: &str) -> Result<(), ConnectorError> {
        ops::delete(&Settings::from_config(config)?, kind, external_id)
    }

    fn parse_webhook(
        _config: &Config,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        webhook::parse(headers, body)
    }
}

elder_connector_sdk::export_raw_connector!(GitlabConnector);
