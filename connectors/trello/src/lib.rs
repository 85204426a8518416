//! Elder Sync connector for Trello: cards as issues, the board as the project, board
//! labels as labels, lists as workflow states. See README.md for what it maps. Id,
//! version and hosts come from `plugin.toml`. Wiring only: the [`Connector`] impl and
//! `connector!`.
//!
//! Module map (the layout every connector shares, see `connectors/README.md`):
//! `settings` config keys, list-to-state rules and the API client (typed Trello calls
//! in `settings::api`), `model` Trello's JSON shapes, `mapping` shapes to items and
//! writes to card parameters, `listing` change listing (its cursor and feed slicing
//! in `listing::cursor`), `writes` reads and writes, `comments` card comments, `webhook`
//! deliveries to changes.

mod comments;
mod listing;
mod mapping;
mod model;
mod settings;
mod webhook;
mod writes;

use elder_connector_sdk::{
    AuthRule, Change, Comment, Connector, ConnectorError, HmacAlgorithm, HmacSignature, Item,
    ItemPatch, Kind, NewItem, Page, SignatureEncoding, SignedContent, WebhookInfo, WebhookScheme,
};

pub use settings::{CloseMode, Settings};

/// The Trello connector.
pub struct Trello;

impl Connector for Trello {
    type Settings = Settings;
    const KINDS: &'static [Kind] = &[Kind::Issue, Kind::Project, Kind::Label];
    const COMMENT_KINDS: &'static [Kind] = &[Kind::Issue];

    fn auth() -> Vec<AuthRule> {
        vec![
            AuthRule::query("key", "{api_key}"),
            AuthRule::query("token", "{api_token}"),
        ]
    }

    fn webhooks() -> Option<WebhookInfo> {
        // Trello signs the body followed by the callback URL, base64, no prefix.
        let signature = WebhookScheme::Hmac(HmacSignature {
            header: "X-Trello-Webhook".into(),
            prefix: String::new(),
            algorithm: HmacAlgorithm::Sha1,
            encoding: SignatureEncoding::Base64,
            content: SignedContent::BodyThenCallbackUrl,
        });
        Some(WebhookInfo::new(vec![signature]))
    }

    fn test_connection(cfg: &Settings) -> Result<String, ConnectorError> {
        let board = settings::api::Api::new(cfg).board()?;
        Ok(format!("Trello board \"{}\" ({})", board.name, board.id))
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
        cfg: &Settings,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
    ) -> Result<(), ConnectorError> {
        comments::delete(cfg, kind, item_id, comment_id)
    }

    fn parse_webhook(
        cfg: &Settings,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        webhook::parse(cfg, body)
    }
}

elder_connector_sdk::connector!(Trello);

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::describe;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};
    use serde_json::json;

    #[test]
    fn describes_itself_from_the_manifest_and_settings() {
        let info = describe::<Trello>();
        assert_eq!(
            (info.id.as_str(), info.version.as_str()),
            ("trello", "0.1.0")
        );
        assert_eq!(info.hosts, ["api.trello.com", "{base_url}"]);
        let keys: Vec<(&str, bool, bool)> = info
            .config_schema
            .iter()
            .map(|f| (f.key.as_str(), f.required, f.secret))
            .collect();
        assert_eq!(
            keys,
            [
                ("api_key", true, true),
                ("api_token", true, true),
                ("board_id", true, false),
                ("base_url", false, false),
                ("done_lists", false, false),
                ("list_state_map", false, false),
                ("close_mode", false, false),
            ]
        );
        assert_eq!(info.kinds, [Kind::Issue, Kind::Project, Kind::Label]);
    }

    #[test]
    fn test_connection_names_the_board() {
        let cfg =
            settings::<Trello>(&[("board_id", "b1"), ("base_url", "http://127.0.0.1:9")]).unwrap();
        let http = FakeHttp::new();
        http.reply(Reply::json(200, json!({"id": "b1", "name": "Roadmap"})));
        let said = Trello::test_connection(&cfg);
        let sent = http.only_request();
        assert!(
            sent.url.starts_with("http://127.0.0.1:9/1/boards/b1"),
            "{}",
            sent.url
        );
        assert_eq!(said.unwrap(), "Trello board \"Roadmap\" (b1)");
    }
}
