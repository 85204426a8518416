//! The Trello connector's configuration: keys, validation, and the list -> state map
//! (explicit `list_state_map`, then `done_lists`, then "a list named like Done closes"),
//! and the API [`Client`] (root `<base_url>/1`); the typed Trello calls built on it, with
//! Trello's own 429 handling, are in [`api`].

pub mod api;

use std::collections::BTreeMap;

use elder_connector_sdk::{Client, ConnectorError, Field, Values};

/// The default API root.
pub const DEFAULT_BASE_URL: &str = "https://api.trello.com";

/// How closing a card works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseMode {
    /// Move the card to the done list (archive when the board has none).
    Move,
    /// Archive the card (`closed=true`).
    Archive,
}

/// The parsed configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub board_id: String,
    pub base_url: String,
    pub done_lists: Vec<String>,
    pub list_state_map: BTreeMap<String, bool>,
    pub close_mode: CloseMode,
    /// Builds every request: `<base_url>/1` (the host adds `key` and `token`).
    pub api: Client,
}

/// `{"List name or id": "open" | "closed", ...}`.
fn parse_state_map(text: &str) -> Result<BTreeMap<String, bool>, ConnectorError> {
    let bad = |why: &str| ConnectorError::invalid_config(format!("list_state_map: {why}"));
    let v: serde_json::Value = serde_json::from_str(text).map_err(|_| bad("not a JSON object"))?;
    let obj = v.as_object().ok_or_else(|| bad("not a JSON object"))?;
    obj.iter()
        .map(|(k, v)| match v.as_str() {
            Some("closed") => Ok((k.to_lowercase(), true)),
            Some("open") => Ok((k.to_lowercase(), false)),
            _ => Err(bad(&format!(
                "the value for {k:?} must be \"open\" or \"closed\""
            ))),
        })
        .collect()
}

impl elder_connector_sdk::Settings for Settings {
    const FIELDS: &'static [Field] = &[
        Field::new(
            "api_key",
            "Trello API key (also the app whose secret signs webhooks)",
        )
        .required()
        .secret(),
        Field::new("api_token", "Trello user token")
            .required()
            .secret(),
        Field::new("board_id", "The board to sync (id or short link)").required(),
        Field::new("base_url", "API root, default https://api.trello.com")
            .default(DEFAULT_BASE_URL),
        Field::new(
            "done_lists",
            "Comma-separated list names or ids that mean closed (default: lists named like \"Done\")",
        ),
        Field::new(
            "list_state_map",
            "JSON object {\"list name or id\": \"open\"|\"closed\"}; wins over done_lists",
        ),
        Field::new(
            "close_mode",
            "move (to the done list, the default) or archive",
        )
        .default("move"),
    ];

    fn parse(v: &Values<'_>) -> Result<Settings, ConnectorError> {
        let board_id = v.text("board_id")?;
        if !board_id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ConnectorError::invalid_config(
                "board_id must be a board id or short link",
            ));
        }
        let base_url = v.text("base_url")?.trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(ConnectorError::invalid_config(
                "base_url must be an http(s) URL",
            ));
        }
        let done_lists = v
            .optional("done_lists")?
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let list_state_map = v
            .optional("list_state_map")?
            .as_deref()
            .map(parse_state_map)
            .transpose()?
            .unwrap_or_default();
        let close_mode = match v.text("close_mode")?.as_str() {
            "move" => CloseMode::Move,
            "archive" => CloseMode::Archive,
            other => {
                return Err(ConnectorError::invalid_config(format!(
                    "close_mode must be move or archive, not {other:?}"
                )));
            }
        };
        Ok(Settings {
            api: Client::new(format!("{base_url}/1")),
            board_id,
            base_url,
            done_lists,
            list_state_map,
            close_mode,
        })
    }
}

impl Settings {
    /// Whether a list (by id and name) means "closed".
    pub fn list_closes(&self, id: &str, name: &str) -> bool {
        let (id, name) = (id.to_lowercase(), name.trim().to_lowercase());
        if let Some(closed) = self
            .list_state_map
            .get(&id)
            .or_else(|| self.list_state_map.get(&name))
        {
            return *closed;
        }
        if !self.done_lists.is_empty() {
            return self.done_lists.contains(&id) || self.done_lists.contains(&name);
        }
        name.split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "done")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, ConnectorError> {
        elder_connector_sdk::testing::settings::<crate::Trello>(pairs)
    }

    #[test]
    fn board_id_is_required_and_base_url_defaults() {
        assert!(
            matches!(parse(&[]), Err(ConnectorError::InvalidConfig(m)) if m.contains("board_id"))
        );
        let c = parse(&[("board_id", "abc123")]).unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        assert_eq!(c.close_mode, CloseMode::Move);
    }

    #[test]
    fn bad_values_name_their_key() {
        for (k, v) in [
            ("close_mode", "burn"),
            ("list_state_map", "[1]"),
            ("list_state_map", r#"{"Done":"maybe"}"#),
            ("base_url", "ftp://x"),
        ] {
            let err = parse(&[("board_id", "b1"), (k, v)]).unwrap_err();
            assert!(
                matches!(err, ConnectorError::InvalidConfig(ref m) if m.contains(k)),
                "{k}={v}: {err:?}"
            );
        }
    }

    #[test]
    fn default_rule_closes_lists_named_like_done() {
        let c = parse(&[("board_id", "b1")]).unwrap();
        assert!(c.list_closes("l1", "Done"));
        assert!(c.list_closes("l1", "done ✅"));
        assert!(!c.list_closes("l1", "Doing"));
        assert!(!c.list_closes("l1", "Undone ideas"));
    }

    #[test]
    fn explicit_map_wins_over_done_lists_and_default() {
        let c = parse(&[
            ("board_id", "b1"),
            ("done_lists", "Shipped"),
            ("list_state_map", r#"{"Done": "open", "L9": "closed"}"#),
        ])
        .unwrap();
        assert!(!c.list_closes("x", "Done"));
        assert!(c.list_closes("l9", "Whatever"));
        assert!(c.list_closes("x", "shipped"));
        assert!(!c.list_closes("x", "Review"));
    }
}
