//! Elder Sync connector for GitLab (REST v4): issues, milestones and labels of one
//! project, and epics of its group as Elder projects. See README.md for the mapping.
//! Id, version and hosts come from `plugin.toml`. Wiring only: the [`Connector`]
//! impl and `connector!`.
//!
//! Module map (the layout every connector shares, see `connectors/README.md`):
//! [`settings`] config keys and the API client, [`model`] the JSON readers,
//! [`mapping`] GitLab JSON to items and patches to bodies, [`listing`] change listing
//! and its cursor, [`writes`] reads and writes, [`comments`] issue notes, [`webhook`]
//! deliveries to changes.

pub mod comments;
pub mod listing;
pub mod mapping;
pub mod model;
pub mod settings;
pub mod webhook;
pub mod writes;

use elder_connector_sdk::{
    AuthRule, Change, Comment, Connector, ConnectorError, Item, ItemPatch, ItemState, Kind,
    NewItem, Page, WebhookInfo, WebhookScheme,
};

use settings::Settings;

/// The GitLab connector.
pub struct GitlabConnector;

impl Connector for GitlabConnector {
    type Settings = Settings;
    const KINDS: &'static [Kind] = &[Kind::Issue, Kind::Milestone, Kind::Label, Kind::Project];
    const COMMENT_KINDS: &'static [Kind] = &[Kind::Issue];

    fn auth() -> Vec<AuthRule> {
        vec![AuthRule::header("PRIVATE-TOKEN", "{api_token}")]
    }

    fn webhooks() -> Option<WebhookInfo> {
        let schemes = vec![
            WebhookScheme::shared_token("X-Gitlab-Token"),
            WebhookScheme::StandardWebhooks,
        ];
        Some(
            WebhookInfo::new(schemes)
                .delivery_id("Idempotency-Key")
                .delivery_id("X-Gitlab-Event-UUID"),
        )
    }

    fn test_connection(s: &Settings) -> Result<String, ConnectorError> {
        writes::test_connection(s)
    }

    fn list_changes(
        s: &Settings,
        kind: Kind,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        listing::list(s, kind, cursor, page_size)
    }

    fn get(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::get(s, kind, id)
    }

    fn create(s: &Settings, item: &NewItem) -> Result<Item, ConnectorError> {
        writes::create(s, item.clone())
    }

    fn update(
        s: &Settings,
        kind: Kind,
        id: &str,
        patch: &ItemPatch,
    ) -> Result<Item, ConnectorError> {
        writes::update(s, kind, id, patch.clone())
    }

    fn close(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::set_state(s, kind, id, ItemState::Closed)
    }

    fn reopen(s: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        writes::set_state(s, kind, id, ItemState::Open)
    }

    fn delete(s: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
        writes::delete(s, kind, id)
    }

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

    fn parse_webhook(
        _: &Settings,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        webhook::parse(headers, body)
    }
}

elder_connector_sdk::connector!(GitlabConnector);

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::describe;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};

    #[test]
    fn describes_itself_from_the_manifest_and_settings() {
        let info = describe::<GitlabConnector>();
        assert_eq!(
            (info.id.as_str(), info.version.as_str()),
            ("gitlab", "0.1.0")
        );
        assert_eq!(info.hosts, ["gitlab.com", "{base_url}"]);
        let keys: Vec<(&str, bool, bool)> = info
            .config_schema
            .iter()
            .map(|f| (f.key.as_str(), f.required, f.secret))
            .collect();
        assert_eq!(
            keys,
            [
                ("api_token", true, true),
                ("project_id", true, false),
                ("base_url", false, false),
                ("group_id", false, false),
                ("webhook_secret", false, true),
            ]
        );
        assert_eq!(
            info.auth,
            [AuthRule::Header((
                "PRIVATE-TOKEN".into(),
                "{api_token}".into()
            ))]
        );
    }

    #[test]
    fn deletes_an_issue_with_one_request() {
        let s = settings::<GitlabConnector>(&[("project_id", "acme/web")]).unwrap();
        let http = FakeHttp::new();
        http.reply(Reply::status(204));
        GitlabConnector::delete(&s, Kind::Issue, "12").unwrap();
        let sent = http.only_request();
        assert_eq!(sent.method, "DELETE");
        assert_eq!(
            sent.url,
            "https://gitlab.com/api/v4/projects/acme%2Fweb/issues/12"
        );
    }
}
