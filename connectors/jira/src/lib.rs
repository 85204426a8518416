//! Elder Sync connector for Jira Cloud (REST v3, Agile 1.0): issues of one project,
//! the project itself, sprints as milestones, components (and issue labels) as labels.
//! See README.md for the mapping and its limits. Id, version and hosts come from
//! `plugin.toml`. Wiring only: the [`Connector`] impl and `connector!`.
//!
//! Module map (the layout every connector shares, see `connectors/README.md`):
//! [`settings`] config keys and the API client (site lookups of what the config leaves
//! out in [`settings::meta`]), [`model`] the issue fields read and the JSON readers,
//! [`mapping`] Jira JSON to items and patches to bodies (descriptions in
//! [`mapping::adf`], Jira's time formats in [`mapping::time`]), [`listing`] change
//! listing and its cursor, [`writes`] reads and writes (status changes in
//! [`writes::workflow`]), [`comments`] issue comments, [`webhook`] deliveries to changes.

pub mod comments;
pub mod listing;
pub mod mapping;
pub mod model;
pub mod settings;
pub mod webhook;
pub mod writes;

use elder_connector_sdk::{
    AuthRule, Change, Comment, Connector, ConnectorError, HmacAlgorithm, Item, ItemPatch,
    ItemState, Kind, NewItem, Page, SignatureEncoding, WebhookInfo, WebhookScheme,
};

use settings::Settings;

/// The Jira Cloud connector.
pub struct JiraConnector;

impl Connector for JiraConnector {
    type Settings = Settings;
    const KINDS: &'static [Kind] = &[Kind::Issue, Kind::Project, Kind::Milestone, Kind::Label];
    const COMMENT_KINDS: &'static [Kind] = &[Kind::Issue];

    fn auth() -> Vec<AuthRule> {
        vec![AuthRule::basic("{email}", "{api_token}")]
    }

    fn webhooks() -> Option<WebhookInfo> {
        let hmac = WebhookScheme::hmac(
            "X-Hub-Signature",
            "sha256=",
            HmacAlgorithm::Sha256,
            SignatureEncoding::Hex,
        );
        Some(WebhookInfo::new(vec![hmac]).delivery_id("X-Atlassian-Webhook-Identifier"))
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
        s: &Settings,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        webhook::parse(s, body, s.sprint_field.as_deref())
    }
}

elder_connector_sdk::connector!(JiraConnector);

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::describe;

    #[test]
    fn describes_itself_from_the_manifest_and_settings() {
        let info = describe::<JiraConnector>();
        assert_eq!((info.id.as_str(), info.version.as_str()), ("jira", "0.1.0"));
        assert_eq!(info.hosts, ["{jira_url}"]);
        let keys: Vec<(&str, bool, bool)> = info
            .config_schema
            .iter()
            .map(|f| (f.key.as_str(), f.required, f.secret))
            .collect();
        assert_eq!(
            keys,
            [
                ("api_token", true, true),
                ("email", true, false),
                ("jira_url", true, false),
                ("project_key", true, false),
                ("issue_type", false, false),
                ("status_map", false, false),
                ("sprint_field", false, false),
                ("board_id", false, false),
                ("webhook_secret", false, true),
            ]
        );
        assert_eq!(
            info.auth,
            [AuthRule::Basic(("{email}".into(), "{api_token}".into()))]
        );
    }
}
