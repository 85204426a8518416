//! Elder Sync connector for OpenProject (API v3, HAL+JSON): work packages as issues, the
//! project as the project, versions as milestones, categories as labels. See README.md.
//! Id, version and hosts come from `plugin.toml`.

mod api;
mod config;
mod mapping;
mod model;
mod poll;
mod webhook;
mod write;

use elder_connector_sdk::{
    AuthRule, Change, Connector, ConnectorError, HmacAlgorithm, Item, ItemPatch, Kind, NewItem,
    Page, SignatureEncoding, WebhookInfo, WebhookScheme,
};

pub use config::OpConfig;

/// The OpenProject connector.
pub struct OpenProject;

impl Connector for OpenProject {
    type Settings = OpConfig;
    const KINDS: &'static [Kind] = &[Kind::Issue, Kind::Project, Kind::Milestone, Kind::Label];

    fn auth() -> Vec<AuthRule> {
        vec![AuthRule::basic("apikey", "{api_key}")]
    }

    fn webhooks() -> Option<WebhookInfo> {
        let sha1 = WebhookScheme::hmac(
            "X-OP-Signature",
            "sha1=",
            HmacAlgorithm::Sha1,
            SignatureEncoding::Hex,
        );
        Some(WebhookInfo::new(vec![sha1]))
    }

    fn test_connection(cfg: &OpConfig) -> Result<String, ConnectorError> {
        let p = api::Api::new(cfg).project()?;
        Ok(format!(
            "OpenProject project \"{}\" ({})",
            p.name, p.identifier
        ))
    }

    fn list_changes(
        cfg: &OpConfig,
        kind: Kind,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        poll::list_changes(cfg, kind, cursor.map(str::to_string), page_size)
    }

    fn get(cfg: &OpConfig, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        write::get(cfg, kind, id)
    }

    fn create(cfg: &OpConfig, item: &NewItem) -> Result<Item, ConnectorError> {
        write::create(cfg, item.clone())
    }

    fn update(
        cfg: &OpConfig,
        kind: Kind,
        id: &str,
        patch: &ItemPatch,
    ) -> Result<Item, ConnectorError> {
        write::update(cfg, kind, id, patch.clone())
    }

    fn close(cfg: &OpConfig, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        write::close(cfg, kind, id)
    }

    fn reopen(cfg: &OpConfig, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        write::reopen(cfg, kind, id)
    }

    fn delete(cfg: &OpConfig, kind: Kind, id: &str) -> Result<(), ConnectorError> {
        write::delete(cfg, kind, id)
    }

    fn parse_webhook(
        _: &OpConfig,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        webhook::parse(body)
    }
}

elder_connector_sdk::connector!(OpenProject);

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::describe;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};
    use serde_json::json;

    #[test]
    fn describes_itself_from_the_manifest_and_settings() {
        let info = describe::<OpenProject>();
        assert_eq!(
            (info.id.as_str(), info.version.as_str()),
            ("openproject", "0.1.0")
        );
        assert_eq!(info.hosts, ["{base_url}"]);
        let keys: Vec<(&str, bool, bool)> = info
            .config_schema
            .iter()
            .map(|f| (f.key.as_str(), f.required, f.secret))
            .collect();
        assert_eq!(
            keys,
            [
                ("api_key", true, true),
                ("base_url", true, false),
                ("project_id", true, false),
                ("closed_status", false, false),
                ("reopen_status", false, false),
            ]
        );
        let hooks = info.webhooks.unwrap();
        assert!(hooks.delivery_id_headers.is_empty());
    }

    #[test]
    fn test_connection_names_the_project() {
        let cfg = settings::<OpenProject>(&[
            ("base_url", "https://op.example.com/"),
            ("project_id", "elder"),
        ])
        .unwrap();
        let http = FakeHttp::new();
        http.reply(Reply::json(
            200,
            json!({"id": 3, "name": "Elder", "identifier": "elder", "updatedAt": "2024-01-01T00:00:00Z"}),
        ));
        assert_eq!(
            OpenProject::test_connection(&cfg).unwrap(),
            "OpenProject project \"Elder\" (elder)"
        );
        assert_eq!(
            http.only_request().url,
            "https://op.example.com/api/v3/projects/elder"
        );
    }
}
