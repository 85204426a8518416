//! Elder Sync connector for Jira Cloud (REST v3, Agile 1.0): issues of one project,
//! the project itself, sprints as milestones, components (and issue labels) as labels.
//! See README.md for the mapping and its limits.

pub mod adf;
pub mod config;
pub mod http;
pub mod listing;
pub mod map;
pub mod meta;
pub mod ops;
pub mod time;
pub mod webhook;
pub mod workflow;

use elder_connector_sdk::{
    AuthRule, Change, Config, ConfigField, ConnectorError, ConnectorInfo, HmacAlgorithm,
    HmacSignature, Item, ItemPatch, ItemState, Kind, NewItem, Page, RawConnector,
    SignatureEncoding, SignedContent, WebhookInfo, WebhookScheme,
};

use config::Settings;

/// The Jira Cloud connector.
pub struct JiraConnector;

fn field(key: &str, description: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: description.into(),
        required,
        secret,
    }
}

impl RawConnector for JiraConnector {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "jira".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            platform: "jira".into(),
            kinds: vec![Kind::Issue, Kind::Project, Kind::Milestone, Kind::Label],
            config_schema: vec![
                field(
                    "api_token",
                    "Atlassian API token of the account below",
                    true,
                    true,
                ),
                field(
                    "email",
                    "Atlassian account e-mail the token belongs to",
                    true,
                    false,
                ),
                field(
                    "jira_url",
                    "Site URL, e.g. https://acme.atlassian.net",
                    true,
                    false,
                ),
                field("project_key", "Project key, e.g. ELD", true, false),
                field(
                    "issue_type",
                    "Issue type of new issues (default Task)",
                    false,
                    false,
                ),
                field(
                    "status_map",
                    r#"Statuses for close/reopen, JSON: {"closed":"Done","open":"To Do"}"#,
                    false,
                    false,
                ),
                field(
                    "sprint_field",
                    "Sprint custom field id (default: looked up)",
                    false,
                    false,
                ),
                field(
                    "board_id",
                    "Agile board whose sprints are milestones (default: the project's first)",
                    false,
                    false,
                ),
                field(
                    "webhook_secret",
                    "Secret of the admin webhook (X-Hub-Signature)",
                    false,
                    true,
                ),
            ],
            auth: vec![AuthRule::Basic(("{email}".into(), "{api_token}".into()))],
            webhooks: Some(WebhookInfo {
                schemes: vec![WebhookScheme::Hmac(HmacSignature {
                    header: "X-Hub-Signature".into(),
                    prefix: "sha256=".into(),
                    algorithm: HmacAlgorithm::Sha256,
                    encoding: SignatureEncoding::Hex,
                    content: SignedContent::Body,
                })],
                delivery_id_headers: vec!["X-Atlassian-Webhook-Identifier".into()],
            }),
            hosts: vec!["{jira_url}".into()],
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
        config: &Config,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        let s = Settings::from_config(config)?;
        webhook::parse(&s, body, s.sprint_field.as_deref())
    }
}

elder_connector_sdk::export_raw_connector!(JiraConnector);
