//! Elder Sync connector for OpenProject (API v3, HAL+JSON): work packages as issues, the
//! project as the project, versions as milestones, categories as labels. See README.md.
//! Id, version and hosts come from `plugin.toml`. Wiring only: the [`Connector`] impl
//! and `connector!`.
//!
//! Module map (the layout every connector shares, see `connectors/README.md`):
//! `settings` config keys and the API client (typed API v3 calls in `settings::api`),
//! `model` OpenProject's HAL+JSON shapes, `mapping` shapes to items and writes to HAL
//! bodies, `listing` change listing and its cursor, `writes` reads and writes,
//! `comments` work-package comments (activities), `webhook` deliveries to changes.

mod comments;
mod listing;
mod mapping;
mod model;
mod settings;
mod webhook;
mod writes;

use elder_connector_sdk::{
    AuthRule, Change, Comment, Connector, ConnectorError, HmacAlgorithm, Item, ItemPatch, Kind,
    NewItem, Page, SignatureEncoding, WebhookInfo, WebhookScheme,
};

pub use settings::Settings;

/// The OpenProject connector.
pub struct OpenProject;

impl Connector for OpenProject {
    type Settings = Settings;
    const KINDS: &'static [Kind] = &[Kind::Issue, Kind::Project, Kind::Milestone, Kind::Label];
    const COMMENT_KINDS: &'static [Kind] = &[Kind::Issue];

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

    fn test_connection(cfg: &Settings) -> Result<String, ConnectorError> {
        let p = settings::api::Api::new(cfg).project()?;
        Ok(format!(
            "OpenProject project \"{}\" ({})",
            p.name, p.identifier
        ))
    }

    fn list_changes(
        cfg: &Settings,
        kind: Kind,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        listing::list_changes(cfg, kind, cursor.map(str::to_string), page_size)
    }

    fn get(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::get(cfg, kind, id)
    }

    fn create(cfg: &Settings, item: &NewItem) -> Result<Item, ConnectorError> {
        writes::create(cfg, item.clone())
    }

    fn update(
        cfg: &Settings,
        kind: Kind,
        id: &str,
        patch: &ItemPatch,
    ) -> Result<Item, ConnectorError> {
        writes::update(cfg, kind, id, patch.clone())
    }

    fn close(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::close(cfg, kind, id)
    }

    fn reopen(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::reopen(cfg, kind, id)
    }

    fn delete(cfg: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
        writes::delete(cfg, kind, id)
    }

    fn list_comments(
        cfg: &Settings,
        kind: Kind,
        item_id: &str,
    ) -> Result<Vec<Comment>, ConnectorError> {
        comments::list(cfg, kind, item_id)
    }

    fn create_comment(
        cfg: &Settings,
        kind: Kind,
        item_id: &str,
        body: &str,
    ) -> Result<Comment, ConnectorError> {
        comments::create(cfg, kind, item_id, body)
    }

    fn update_comment(
        cfg: &Settings,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
        body: &str,
    ) -> Result<Comment, ConnectorError> {
        comments::update(cfg, kind, item_id, comment_id, body)
    }

    fn delete_comment(
        _: &Settings,
        kind: Kind,
        _item_id: &str,
        _comment_id: &str,
    ) -> Result<(), ConnectorError> {
        comments::delete(kind)
    }

    fn parse_webhook(
        _: &Settings,
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
