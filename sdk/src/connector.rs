//! The [`Connector`] trait a connector implements, and [`Glue`], which turns it into
//! the raw WIT export: it builds `describe` from the manifest and the trait's
//! constants, parses [`Connector::Settings`] once per call, and answers `unsupported`
//! for kinds the connector does not declare without calling it.

use std::marker::PhantomData;

use crate::manifest::Manifested;
use crate::settings::{self, Settings};
use crate::{
    AuthRule, Change, Comment, Config, ConnectorError, ConnectorInfo, Item, ItemPatch, Kind,
    NewItem, Page, RawConnector, WebhookInfo,
};

/// A platform connector. Register it with [`connector!`](crate::connector), which reads
/// `plugin.toml` for the id, version and hosts.
///
/// Functions are associated (no `self`): a connector keeps no state between calls; each
/// receives the settings parsed from this call's config. Every operation defaults to
/// `unsupported`, and calls for a kind outside [`Connector::KINDS`] never reach it.
pub trait Connector: Manifested {
    /// The typed configuration; `()` for none.
    type Settings: Settings;

    /// The kinds the connector syncs.
    const KINDS: &'static [Kind];

    /// The platform name in `describe` (defaults to the manifest id).
    fn platform() -> &'static str {
        Self::MANIFEST.id
    }

    /// How the host authenticates outgoing requests, e.g. [`AuthRule::bearer`].
    fn auth() -> Vec<AuthRule> {
        Vec::new()
    }

    /// How the host authenticates webhook deliveries; `None` without webhooks.
    fn webhooks() -> Option<WebhookInfo> {
        None
    }

    /// Checks beyond parsing the settings (no I/O). Parsing already ran.
    fn validate(_settings: &Self::Settings) -> Result<(), ConnectorError> {
        Ok(())
    }

    /// Checks that the platform answers with the configured credentials.
    fn test_connection(_settings: &Self::Settings) -> Result<String, ConnectorError> {
        Err(ConnectorError::unsupported("test-connection"))
    }

    /// Lists items of `kind` changed since `cursor`.
    fn list_changes(
        _settings: &Self::Settings,
        kind: Kind,
        _cursor: Option<&str>,
        _page_size: u32,
    ) -> Result<Page, ConnectorError> {
        Err(unsupported("list-changes", kind))
    }

    /// Reads one item.
    fn get(_settings: &Self::Settings, kind: Kind, _id: &str) -> Result<Item, ConnectorError> {
        Err(unsupported("get", kind))
    }

    /// Creates an item.
    fn create(_settings: &Self::Settings, item: &NewItem) -> Result<Item, ConnectorError> {
        Err(unsupported("create", item.kind))
    }

    /// Applies a partial update.
    fn update(
        _settings: &Self::Settings,
        kind: Kind,
        _id: &str,
        _patch: &ItemPatch,
    ) -> Result<Item, ConnectorError> {
        Err(unsupported("update", kind))
    }

    /// Closes an item.
    fn close(_settings: &Self::Settings, kind: Kind, _id: &str) -> Result<Item, ConnectorError> {
        Err(unsupported("close", kind))
    }

    /// Reopens an item.
    fn reopen(_settings: &Self::Settings, kind: Kind, _id: &str) -> Result<Item, ConnectorError> {
        Err(unsupported("reopen", kind))
    }

    /// Deletes an item.
    fn delete(_settings: &Self::Settings, kind: Kind, _id: &str) -> Result<(), ConnectorError> {
        Err(unsupported("delete", kind))
    }

    /// Translates an authenticated webhook delivery into change events. Pure.
    fn parse_webhook(
        _settings: &Self::Settings,
        _headers: &[(String, String)],
        _body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        Err(ConnectorError::unsupported("webhooks"))
    }

    /// Kinds whose comments the connector syncs (empty: none). An item of such a kind may
    /// say in its extras how many comments it has, `"comment_count": <n>` (a hint, never
    /// synced as a field): the host then skips `list_comments` for items with none on
    /// either side, which saves a request per item on a first import. Leave it out when the
    /// platform's item does not carry the count.
    const COMMENT_KINDS: &'static [Kind] = &[];

    /// Every comment of one item, oldest first (following the platform's pagination).
    fn list_comments(
        _settings: &Self::Settings,
        kind: Kind,
        _item_id: &str,
    ) -> Result<Vec<Comment>, ConnectorError> {
        Err(unsupported("list-comments", kind))
    }

    /// Adds a comment with a Markdown body to an item; returns it as stored.
    fn create_comment(
        _settings: &Self::Settings,
        kind: Kind,
        _item_id: &str,
        _body: &str,
    ) -> Result<Comment, ConnectorError> {
        Err(unsupported("create-comment", kind))
    }

    /// Replaces a comment's Markdown body; returns it as stored.
    fn update_comment(
        _settings: &Self::Settings,
        kind: Kind,
        _item_id: &str,
        _comment_id: &str,
        _body: &str,
    ) -> Result<Comment, ConnectorError> {
        Err(unsupported("update-comment", kind))
    }

    /// Deletes a comment; one already gone is not an error.
    fn delete_comment(
        _settings: &Self::Settings,
        kind: Kind,
        _item_id: &str,
        _comment_id: &str,
    ) -> Result<(), ConnectorError> {
        Err(unsupported("delete-comment", kind))
    }
}

/// `unsupported` naming the operation and kind, e.g. `get for label`.
pub fn unsupported(operation: &str, kind: Kind) -> ConnectorError {
    let kind = match kind {
        Kind::Issue => "issue",
        Kind::Project => "project",
        Kind::Milestone => "milestone",
        Kind::Label => "label",
    };
    ConnectorError::unsupported(format!("{operation} for {kind}"))
}

/// The `describe` answer of a [`Connector`]: manifest id, version and hosts, the
/// settings' schema, and what only the code knows.
pub fn describe<C: Connector>() -> ConnectorInfo {
    let m = C::MANIFEST;
    ConnectorInfo {
        id: m.id.into(),
        version: m.version.into(),
        platform: C::platform().into(),
        kinds: C::KINDS.to_vec(),
        config_schema: settings::schema(<C::Settings as Settings>::FIELDS),
        auth: C::auth(),
        webhooks: C::webhooks(),
        hosts: m.hosts.iter().map(|h| h.to_string()).collect(),
    }
}

/// Parses a connector's settings from a config and runs its own checks: exactly what
/// `validate-config` answers. Also handy in unit tests.
pub fn load<C: Connector>(config: &Config) -> Result<C::Settings, ConnectorError> {
    let s = settings::parse::<C::Settings>(config)?;
    C::validate(&s)?;
    Ok(s)
}

/// Adapts a [`Connector`] to the raw export ([`RawConnector`]).
pub struct Glue<C>(PhantomData<C>);

impl<C: Connector> Glue<C> {
    fn declared(operation: &str, kind: Kind) -> Result<(), ConnectorError> {
        if C::KINDS.contains(&kind) {
            Ok(())
        } else {
            Err(unsupported(operation, kind))
        }
    }

    fn with<T>(
        operation: &str,
        kind: Kind,
        config: &Config,
        call: impl FnOnce(&C::Settings) -> Result<T, ConnectorError>,
    ) -> Result<T, ConnectorError> {
        Self::declared(operation, kind)?;
        call(&load::<C>(config)?)
    }

    /// Like [`Glue::with`] for the comment calls: kinds outside
    /// [`Connector::COMMENT_KINDS`] are `unsupported` without calling the connector.
    fn with_comments<T>(
        operation: &str,
        kind: Kind,
        config: &Config,
        call: impl FnOnce(&C::Settings) -> Result<T, ConnectorError>,
    ) -> Result<T, ConnectorError> {
        if !C::COMMENT_KINDS.contains(&kind) {
            return Err(unsupported(operation, kind));
        }
        call(&load::<C>(config)?)
    }
}

impl<C: Connector> RawConnector for Glue<C> {
    fn describe() -> ConnectorInfo {
        describe::<C>()
    }

    fn validate_config(config: &Config) -> Result<(), ConnectorError> {
        load::<C>(config).map(|_| ())
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        C::test_connection(&load::<C>(config)?)
    }

    fn list_changes(
        config: &Config,
        kind: Kind,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        Self::with("list-changes", kind, config, |s| {
            C::list_changes(s, kind, cursor.as_deref(), page_size)
        })
    }

    fn get(config: &Config, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        Self::with("get", kind, config, |s| C::get(s, kind, id))
    }

    fn create(config: &Config, item: NewItem) -> Result<Item, ConnectorError> {
        Self::with("create", item.kind, config, |s| C::create(s, &item))
    }

    fn update(
        config: &Config,
        kind: Kind,
        id: &str,
        patch: ItemPatch,
    ) -> Result<Item, ConnectorError> {
        Self::with("update", kind, config, |s| C::update(s, kind, id, &patch))
    }

    fn close(config: &Config, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        Self::with("close", kind, config, |s| C::close(s, kind, id))
    }

    fn reopen(config: &Config, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        Self::with("reopen", kind, config, |s| C::reopen(s, kind, id))
    }

    fn delete(config: &Config, kind: Kind, id: &str) -> Result<(), ConnectorError> {
        Self::with("delete", kind, config, |s| C::delete(s, kind, id))
    }

    fn parse_webhook(
        config: &Config,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        C::parse_webhook(&load::<C>(config)?, headers, body)
    }

    fn comment_kinds() -> Vec<Kind> {
        C::COMMENT_KINDS.to_vec()
    }

    fn list_comments(
        config: &Config,
        kind: Kind,
        item_id: &str,
    ) -> Result<Vec<Comment>, ConnectorError> {
        Self::with_comments("list-comments", kind, config, |s| {
            C::list_comments(s, kind, item_id)
        })
    }

    fn create_comment(
        config: &Config,
        kind: Kind,
        item_id: &str,
        body: &str,
    ) -> Result<Comment, ConnectorError> {
        Self::with_comments("create-comment", kind, config, |s| {
            C::create_comment(s, kind, item_id, body)
        })
    }

    fn update_comment(
        config: &Config,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
        body: &str,
    ) -> Result<Comment, ConnectorError> {
        Self::with_comments("update-comment", kind, config, |s| {
            C::update_comment(s, kind, item_id, comment_id, body)
        })
    }

    fn delete_comment(
        config: &Config,
        kind: Kind,
        item_id: &str,
        comment_id: &str,
    ) -> Result<(), ConnectorError> {
        Self::with_comments("delete-comment", kind, config, |s| {
            C::delete_comment(s, kind, item_id, comment_id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::config;
    use crate::{Field, ItemState, Values};

    struct Notes;
    struct Cfg {
        space: String,
    }

    impl Settings for Cfg {
        const FIELDS: &'static [Field] = &[
            Field::new("token", "API token").required().secret(),
            Field::new("space", "Space").required().aliases(&["team"]),
        ];
        fn parse(v: &Values<'_>) -> Result<Self, ConnectorError> {
            Ok(Cfg {
                space: v.text("space")?,
            })
        }
    }

    impl Connector for Notes {
        type Settings = Cfg;
        const KINDS: &'static [Kind] = &[Kind::Issue];

        fn platform() -> &'static str {
            "notes-platform"
        }
        fn auth() -> Vec<AuthRule> {
            vec![AuthRule::bearer("token")]
        }
        fn validate(s: &Cfg) -> Result<(), ConnectorError> {
            if s.space.contains('/') {
                return Err(ConnectorError::invalid_config("`space` has a slash"));
            }
            Ok(())
        }
        fn get(s: &Cfg, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
            Ok(Item::new(kind, id, s.space.clone(), ItemState::Open, 1))
        }

        const COMMENT_KINDS: &'static [Kind] = &[Kind::Issue];

        fn list_comments(
            s: &Cfg,
            _kind: Kind,
            item_id: &str,
        ) -> Result<Vec<Comment>, ConnectorError> {
            Ok(vec![Comment {
                external_id: format!("{item_id}-1"),
                author: s.space.clone(),
                author_name: None,
                body: "first".into(),
                created_at: 1,
                updated_at: 1,
                version: None,
            }])
        }
    }

    crate::connector!(Notes, manifest = "template/plugin.toml");

    type Raw = Glue<Notes>;

    #[test]
    fn describe_joins_manifest_settings_and_code() {
        let info = Raw::describe();
        assert_eq!(
            (info.id.as_str(), info.version.as_str()),
            ("tasks", "0.1.0")
        );
        assert_eq!(info.platform, "notes-platform");
        assert_eq!(info.hosts, ["{base_url}"]);
        assert_eq!(info.kinds, [Kind::Issue]);
        let keys: Vec<_> = info.config_schema.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["token", "space", "team"]);
        assert_eq!(info.auth, [AuthRule::bearer("token")]);
        assert_eq!(info.webhooks, None);
    }

    #[test]
    fn settings_are_parsed_and_validated_for_every_call() {
        let item = Raw::get(&config(&[("team", "ops")]), Kind::Issue, "9").unwrap();
        assert_eq!(
            (item.external_id.as_str(), item.title.as_str()),
            ("9", "ops")
        );
        assert!(Raw::validate_config(&config(&[("space", "a")])).is_ok());
        assert_eq!(
            Raw::validate_config(&config(&[])),
            Err(ConnectorError::invalid_config(
                "missing required key `space` or `team`"
            ))
        );
        assert!(Raw::validate_config(&config(&[("space", "a/b")])).is_err());
        assert!(matches!(
            Raw::get(&config(&[]), Kind::Issue, "9"),
            Err(ConnectorError::InvalidConfig(_))
        ));
    }

    #[test]
    fn undeclared_kinds_and_missing_operations_are_unsupported() {
        let c = config(&[("space", "a")]);
        assert_eq!(
            Raw::get(&c, Kind::Label, "1"),
            Err(ConnectorError::unsupported("get for label"))
        );
        // Even an invalid config does not matter for a kind the connector never declared.
        assert!(matches!(
            Raw::delete(&config(&[]), Kind::Project, "1"),
            Err(ConnectorError::Unsupported(_))
        ));
        assert!(matches!(
            Raw::close(&c, Kind::Issue, "1"),
            Err(ConnectorError::Unsupported(m)) if m == "close for issue"
        ));
        assert!(matches!(
            Raw::parse_webhook(&c, &[], b"{}"),
            Err(ConnectorError::Unsupported(_))
        ));
    }

    #[test]
    fn comment_calls_reach_the_connector_only_for_declared_comment_kinds() {
        assert_eq!(Raw::comment_kinds(), [Kind::Issue]);
        let c = config(&[("space", "ops")]);
        let listed = Raw::list_comments(&c, Kind::Issue, "9").unwrap();
        assert_eq!(
            (listed[0].external_id.as_str(), listed[0].author.as_str()),
            ("9-1", "ops")
        );
        assert!(matches!(
            Raw::list_comments(&config(&[]), Kind::Issue, "9"),
            Err(ConnectorError::InvalidConfig(_))
        ));
        // Not a comment kind: refused before the config is read.
        assert_eq!(
            Raw::list_comments(&config(&[]), Kind::Label, "9"),
            Err(ConnectorError::unsupported("list-comments for label"))
        );
        assert_eq!(
            Raw::create_comment(&c, Kind::Issue, "9", "hi"),
            Err(ConnectorError::unsupported("create-comment for issue"))
        );
        assert_eq!(
            Raw::delete_comment(&c, Kind::Project, "9", "1"),
            Err(ConnectorError::unsupported("delete-comment for project"))
        );
    }
}
