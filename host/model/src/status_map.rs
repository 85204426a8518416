//! The workflow-status map of a sync config (`config_json.status_map`): which platform status
//! each Elder status name is, so a status set on one platform reaches a matching status on
//! another through Elder. The one type the store validates a config with and the engine
//! translates status names by.
//!
//! The map reads `{"<Elder status>": "<platform status>"}`. The keys `open` and `closed` are
//! not Elder statuses: they keep the meaning Jira's connector gives them (the status a plain
//! close or reopen moves to) and take no part in translation. A status named nowhere in the
//! map (nor in the platform's defaults) keeps its name on both sides.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The key of a config's status map in `config_json`.
pub const STATUS_MAP_KEY: &str = "status_map";

/// Keys of the map that name states for a connector, not Elder statuses.
const STATE_KEYS: [&str; 2] = ["open", "closed"];

/// Most entries a status map may hold.
const MAX_ENTRIES: usize = 100;

/// Longest status name, in characters.
const MAX_NAME: usize = 200;

/// Elder's status names for the usual workflow ("To Do", "In Progress", "In Review", "Done")
/// as each platform calls them out of the box (GitHub: its close reasons); Jira and
/// platforms not listed use Elder's names unchanged.
fn defaults(platform: &str) -> &'static [(&'static str, &'static str)] {
    match platform {
        "trello" => &[("In Progress", "Doing")],
        "openproject" => &[
            ("To Do", "New"),
            ("In Progress", "In progress"),
            ("Done", "Closed"),
        ],
        "github" => &[
            ("Done", "completed"),
            ("Not Planned", "not_planned"),
            ("Duplicate", "duplicate"),
        ],
        _ => &[],
    }
}

/// Platforms whose items have no workflow status names (only open and closed): Elder's
/// status name is sent to them only when it is one of their `closing_reasons`.
pub fn has_status_names(platform: &str) -> bool {
    !matches!(platform, "github" | "gitlab")
}

/// The status names a platform without workflow statuses still holds: why a closed item was
/// closed (GitHub's `state_reason`). Such a name closes the item for that reason; an open
/// item has none.
pub fn closing_reasons(platform: &str) -> &'static [&'static str] {
    match platform {
        "github" => &["completed", "not_planned", "duplicate"],
        _ => &[],
    }
}

/// A status map entry that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BadStatusMap {
    /// The offending field, e.g. `config_json.status_map.In Review`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn bad(key: Option<&str>, message: impl Into<String>) -> BadStatusMap {
    let field = match key {
        Some(k) => format!("config_json.{STATUS_MAP_KEY}.{k}"),
        None => format!("config_json.{STATUS_MAP_KEY}"),
    };
    BadStatusMap {
        field,
        message: message.into(),
    }
}

/// One config's status translation: its own entries over its platform's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusMap {
    /// Elder status (lowercase) -> platform status.
    to_platform: BTreeMap<String, String>,
    /// Platform status (lowercase) -> Elder status.
    to_elder: BTreeMap<String, String>,
}

impl StatusMap {
    /// The map of a config on `platform` with `settings` as its `config_json`. The value may
    /// be a JSON object or a string holding one (how connectors receive it).
    pub fn of_config(platform: &str, settings: &Map<String, Value>) -> Result<Self, BadStatusMap> {
        let own = match settings.get(STATUS_MAP_KEY) {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => parse_entries(v)?,
        };
        let mut map = StatusMap::default();
        for (elder, platform_name) in &own {
            map.insert(elder, platform_name);
        }
        for (elder, platform_name) in defaults(platform) {
            let taken_elder = map.to_platform.contains_key(&elder.to_lowercase());
            let taken_platform = map.to_elder.contains_key(&platform_name.to_lowercase());
            if !taken_elder && !taken_platform {
                map.insert(elder, platform_name);
            }
        }
        Ok(map)
    }

    fn insert(&mut self, elder: &str, platform: &str) {
        self.to_platform
            .insert(elder.to_lowercase(), platform.to_string());
        self.to_elder
            .insert(platform.to_lowercase(), elder.to_string());
    }

    /// The platform's name for Elder status `elder` (case-insensitive lookup).
    pub fn to_platform(&self, elder: &str) -> String {
        self.to_platform
            .get(&elder.to_lowercase())
            .cloned()
            .unwrap_or_else(|| elder.to_string())
    }

    /// Elder's name for the platform's status `platform` (case-insensitive lookup).
    pub fn to_elder(&self, platform: &str) -> String {
        self.to_elder
            .get(&platform.to_lowercase())
            .cloned()
            .unwrap_or_else(|| platform.to_string())
    }
}

/// Checks `config_json.status_map`, when set: an object of non-blank names (at most 200
/// characters, at most 100 entries), no platform status named for two Elder statuses.
pub fn check_status_map(settings: &Map<String, Value>) -> Result<(), BadStatusMap> {
    match settings.get(STATUS_MAP_KEY) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => parse_entries(v).map(|_| ()),
    }
}

/// The translation entries (state keys left out), checked.
fn parse_entries(v: &Value) -> Result<Vec<(String, String)>, BadStatusMap> {
    let shape = r#"must be a JSON object {"<Elder status>": "<platform status>"}"#;
    let parsed;
    let obj = match v {
        Value::Object(o) => o,
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).map_err(|_| bad(None, shape))?;
            parsed.as_object().ok_or_else(|| bad(None, shape))?
        }
        _ => return Err(bad(None, shape)),
    };
    if obj.len() > MAX_ENTRIES {
        return Err(bad(None, format!("at most {MAX_ENTRIES} entries")));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, value) in obj {
        let k = key.trim();
        if k.is_empty() || k.chars().count() > MAX_NAME {
            return Err(bad(
                None,
                format!("status names must be 1 to {MAX_NAME} characters"),
            ));
        }
        let name = match value {
            Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_NAME => s.trim(),
            _ => {
                return Err(bad(
                    Some(k),
                    format!("must be a platform status name of 1 to {MAX_NAME} characters"),
                ));
            }
        };
        if STATE_KEYS.contains(&k) {
            continue;
        }
        if let Some((other, _)) = out.iter().find(|(_, p)| p.eq_ignore_ascii_case(name)) {
            return Err(bad(
                Some(k),
                format!("{name:?} is already the platform status of {other:?}"),
            ));
        }
        out.push((k.to_string(), name.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(v: Value) -> Map<String, Value> {
        json!({ "status_map": v }).as_object().cloned().unwrap()
    }

    #[test]
    fn defaults_translate_both_ways_and_unknown_names_pass() {
        let m = StatusMap::of_config("openproject", &Map::new()).unwrap();
        assert_eq!(m.to_platform("In Progress"), "In progress");
        assert_eq!(m.to_elder("in progress"), "In Progress");
        assert_eq!(m.to_elder("Rejected"), "Rejected");
        let github = StatusMap::of_config("github", &Map::new()).unwrap();
        assert_eq!(github.to_elder("not_planned"), "Not Planned");
        assert_eq!(github.to_platform("not planned"), "not_planned");
        let jira = StatusMap::of_config("jira", &Map::new()).unwrap();
        assert_eq!(jira.to_platform("In Review"), "In Review");
    }

    #[test]
    fn own_entries_win_over_defaults_and_state_keys_are_skipped() {
        let s = settings(json!({"In Review": "Doing", "open": "To Do", "closed": "Done"}));
        let m = StatusMap::of_config("trello", &s).unwrap();
        assert_eq!(m.to_platform("In Review"), "Doing");
        assert_eq!(m.to_elder("Doing"), "In Review");
        // The default In Progress -> Doing gives way: Doing is taken.
        assert_eq!(m.to_platform("In Progress"), "In Progress");
        assert_eq!(m.to_elder("To Do"), "To Do");
    }

    #[test]
    fn a_string_holding_an_object_is_read_too() {
        let s = settings(json!(r#"{"In Review": "Review"}"#));
        let m = StatusMap::of_config("trello", &s).unwrap();
        assert_eq!(m.to_platform("in review"), "Review");
    }

    #[test]
    fn bad_maps_name_the_field() {
        let e = check_status_map(&settings(json!(["x"]))).unwrap_err();
        assert_eq!(e.field, "config_json.status_map");
        let e = check_status_map(&settings(json!({"In Review": 3}))).unwrap_err();
        assert_eq!(e.field, "config_json.status_map.In Review");
        let e = check_status_map(&settings(json!({"A": "X", "B": "x"}))).unwrap_err();
        assert_eq!(e.field, "config_json.status_map.B");
        assert!(check_status_map(&settings(json!({"open": "To Do", "To Do": "To Do"}))).is_ok());
    }
}
