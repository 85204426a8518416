//! Elder Sync connector for GitHub issues (with their comments), milestones and labels
//! (REST API version 2022-11-28). Wiring only: the [`Connector`] impl and `connector!`.
//! Module map (the layout every connector shares, see `connectors/README.md`):
//! [`settings`] config and the API client, [`model`] GitHub shapes (and, for the
//! tests, documented JSON examples in `model::fixtures`), [`mapping`] shapes to
//! items and patches to bodies, [`listing`] change listing (its cursor in
//! [`listing::cursor`]), [`writes`] reads and writes, [`comments`] issue comments,
//! [`webhook`] deliveries to changes. Id, version and hosts come from `plugin.toml`.

pub mod comments;
pub mod listing;
pub mod mapping;
pub mod model;
pub mod settings;
pub mod webhook;
pub mod writes;

use elder_connector_sdk::{
    AuthRule, Change, Comment, Connector, ConnectorError, HmacAlgorithm, Item, ItemPatch, Kind,
    NewItem, Page, SignatureEncoding, WebhookInfo, WebhookScheme, clock,
};

use crate::model::GhRepo;
use crate::settings::Settings;

/// The GitHub connector.
pub struct GitHub;

impl Connector for GitHub {
    type Settings = Settings;
    const KINDS: &'static [Kind] = &[Kind::Issue, Kind::Milestone, Kind::Label];

    fn auth() -> Vec<AuthRule> {
        vec![AuthRule::bearer("api_token")]
    }

    fn webhooks() -> Option<WebhookInfo> {
        let sha256 = WebhookScheme::hmac(
            "X-Hub-Signature-256",
            "sha256=",
            HmacAlgorithm::Sha256,
            SignatureEncoding::Hex,
        );
        Some(WebhookInfo::new(vec![sha256]).delivery_id("X-GitHub-Delivery"))
    }

    fn test_connection(s: &Settings) -> Result<String, ConnectorError> {
        let repo: GhRepo = s.api.get(&s.repo_path("")).send_json()?;
        Ok(format!("GitHub repository {}", repo.full_name))
    }

    fn list_changes(
        s: &Settings,
        kind: Kind,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        listing::list_changes(s, kind, cursor, page_size)
    }

    fn get(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::get(s, kind, id)
    }

    fn create(s: &Settings, item: &NewItem) -> Result<Item, ConnectorError> {
        writes::create(s, item)
    }

    fn update(
        s: &Settings,
        kind: Kind,
        id: &str,
        patch: &ItemPatch,
    ) -> Result<Item, ConnectorError> {
        writes::update(s, kind, id, patch)
    }

    fn close(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::close(s, kind, id)
    }

    fn reopen(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::reopen(s, kind, id)
    }

    fn delete(s: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
        writes::delete(s, kind, id)
    }

    fn parse_webhook(
        _: &Settings,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        // Only label events need the clock (they carry no timestamp).
        let label = elder_connector_sdk::http::header(headers, "x-github-event").map(str::trim)
            == Some("label");
        webhook::parse(headers, body, if label { clock::now_ms() } else { 0 })
    }

    const COMMENT_KINDS: &'static [Kind] = &[Kind::Issue];

    fn list_comments(
        s: &Settings,
        kind: Kind,
        item_id: &str,
    ) -> Result<Vec<Comment>, ConnectorError> {
        comments::list(s, kind, item_id)
    }

    fn create_comment(
        s: &Settings,
        kind: Kind,
        item_id: &str,
        body: &str,
    ) -> Result<Comment, ConnectorError> {
        comments::create(s, kind, item_id, body)
    }

    fn update_comment(
        s: &Settings,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
        body: &str,
    ) -> Result<Comment, ConnectorError> {
        comments::update(s, kind, item_id, comment_id, body)
    }

    fn delete_comment(
        s: &Settings,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
    ) -> Result<(), ConnectorError> {
        comments::delete(s, kind, item_id, comment_id)
    }
}

elder_connector_sdk::connector!(GitHub);

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};
    use elder_connector_sdk::{RawConnector, describe, testing::config};

    #[test]
    fn describes_itself_from_the_manifest_and_settings() {
        let info = describe::<GitHub>();
        assert_eq!(
            (info.id.as_str(), info.platform.as_str()),
            ("github", "github")
        );
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(info.hosts, ["api.github.com", "{base_url}"]);
        let schema: Vec<(&str, bool, bool)> = info
            .config_schema
            .iter()
            .map(|f| (f.key.as_str(), f.required, f.secret))
            .collect();
        assert_eq!(
            schema,
            [
                ("api_token", true, true),
                ("owner", true, false),
                ("org", false, false),
                ("org_name", false, false),
                ("repo", true, false),
                ("repo_name", false, false),
                ("base_url", false, false),
                ("webhook_secret", false, true),
            ]
        );
        assert_eq!(
            info.webhooks.unwrap().delivery_id_headers,
            ["X-GitHub-Delivery"]
        );
    }

    #[test]
    fn projects_are_unsupported_before_any_request() {
        let _http = FakeHttp::new();
        let c = config(&[("owner", "o"), ("repo", "r")]);
        assert!(matches!(
            elder_connector_sdk::Glue::<GitHub>::get(&c, Kind::Project, "1"),
            Err(ConnectorError::Unsupported(_))
        ));
    }

    #[test]
    fn test_connection_reads_the_repository_with_github_headers() {
        let s = settings::<GitHub>(&[("owner", "octo"), ("repo", "hello")]).unwrap();
        let http = FakeHttp::new();
        http.reply(Reply::json(
            200,
            serde_json::json!({"full_name": "octo/hello"}),
        ));
        assert_eq!(
            GitHub::test_connection(&s).unwrap(),
            "GitHub repository octo/hello"
        );
        let sent = http.only_request();
        assert_eq!(sent.url, "https://api.github.com/repos/octo/hello");
        assert_eq!(sent.header("x-github-api-version"), Some("2022-11-28"));
    }
}
