//! The low-level escape hatch: [`RawConnector`] mirrors the WIT export one to one
//! (the config as a list of entries in every call, `describe` written by hand). Most
//! connectors implement [`Connector`](crate::Connector) instead; the SDK's glue turns
//! one into a `RawConnector`. Every function but `describe` defaults to `unsupported`.

use crate::{
    Change, Comment, Config, ConnectorError, ConnectorInfo, Item, ItemPatch, Kind, NewItem, Page,
};

/// A connector written against the raw contract. Functions are associated (no `self`):
/// a connector keeps no state between calls; everything it needs arrives in the config
/// and the arguments. Export one with [`export_raw_connector!`](crate::export_raw_connector).
pub trait RawConnector {
    /// Who the connector is, what it syncs, how the host authenticates for it.
    fn describe() -> ConnectorInfo;

    /// Checks a configuration without I/O.
    fn validate_config(_config: &Config) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Checks that the platform answers with the configured credentials.
    fn test_connection(_config: &Config) -> Result<String, ConnectorError> {
        Err(ConnectorError::unsupported("test-connection"))
    }

    /// Lists items of `kind` changed since `cursor`.
    fn list_changes(
        _config: &Config,
        kind: Kind,
        _cursor: Option<String>,
        _page_size: u32,
    ) -> Result<Page, ConnectorError> {
        Err(ConnectorError::unsupported(format!(
            "list-changes for {kind:?}"
        )))
    }

    /// Reads one item.
    fn get(_config: &Config, kind: Kind, _external_id: &str) -> Result<Item, ConnectorError> {
        Err(ConnectorError::unsupported(format!("get for {kind:?}")))
    }

    /// Creates an item.
    fn create(_config: &Config, item: NewItem) -> Result<Item, ConnectorError> {
        Err(ConnectorError::unsupported(format!(
            "create for {:?}",
            item.kind
        )))
    }

    /// Applies a partial update.
    fn update(
        _config: &Config,
        kind: Kind,
        _external_id: &str,
        _patch: ItemPatch,
    ) -> Result<Item, ConnectorError> {
        Err(ConnectorError::unsupported(format!("update for {kind:?}")))
    }

    /// Closes an item.
    fn close(_config: &Config, kind: Kind, _external_id: &str) -> Result<Item, ConnectorError> {
        Err(ConnectorError::unsupported(format!("close for {kind:?}")))
    }

    /// Reopens an item.
    fn reopen(_config: &Config, kind: Kind, _external_id: &str) -> Result<Item, ConnectorError> {
        Err(ConnectorError::unsupported(format!("reopen for {kind:?}")))
    }

    /// Deletes an item.
    fn delete(_config: &Config, kind: Kind, _external_id: &str) -> Result<(), ConnectorError> {
        Err(ConnectorError::unsupported(format!("delete for {kind:?}")))
    }

    /// Translates an authenticated webhook delivery into change events. Pure.
    fn parse_webhook(
        _config: &Config,
        _headers: &[(String, String)],
        _body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        Err(ConnectorError::unsupported("webhooks"))
    }

    /// The kinds whose comments the connector syncs (empty: none). Pure.
    fn comment_kinds() -> Vec<Kind> {
        Vec::new()
    }

    /// Every comment of one item, oldest first.
    fn list_comments(
        _config: &Config,
        kind: Kind,
        _item_id: &str,
    ) -> Result<Vec<Comment>, ConnectorError> {
        Err(ConnectorError::unsupported(format!(
            "list-comments for {kind:?}"
        )))
    }

    /// Adds a comment with a Markdown body to an item.
    fn create_comment(
        _config: &Config,
        kind: Kind,
        _item_id: &str,
        _body: &str,
    ) -> Result<Comment, ConnectorError> {
        Err(ConnectorError::unsupported(format!(
            "create-comment for {kind:?}"
        )))
    }

    /// Replaces a comment's Markdown body.
    fn update_comment(
        _config: &Config,
        kind: Kind,
        _item_id: &str,
        _comment_id: &str,
        _body: &str,
    ) -> Result<Comment, ConnectorError> {
        Err(ConnectorError::unsupported(format!(
            "update-comment for {kind:?}"
        )))
    }

    /// Deletes a comment (one already gone is not an error).
    fn delete_comment(
        _config: &Config,
        kind: Kind,
        _item_id: &str,
        _comment_id: &str,
    ) -> Result<(), ConnectorError> {
        Err(ConnectorError::unsupported(format!(
            "delete-comment for {kind:?}"
        )))
    }
}
