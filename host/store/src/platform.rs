//! The platforms a sync config can target and the configuration keys each one requires.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::{Result, StoreError};

/// A supported external platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Github,
    Gitlab,
    Jira,
    Trello,
    Openproject,
}

/// Allowed polling interval, seconds.
pub const SYNC_INTERVAL_RANGE: std::ops::RangeInclusive<i64> = 30..=86_400;
/// Allowed batch size.
pub const BATCH_SIZE_RANGE: std::ops::RangeInclusive<i64> = 1..=1_000;

impl Platform {
    pub const ALL: [Platform; 5] = [
        Platform::Github,
        Platform::Gitlab,
        Platform::Jira,
        Platform::Trello,
        Platform::Openproject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Github => "github",
            Platform::Gitlab => "gitlab",
            Platform::Jira => "jira",
            Platform::Trello => "trello",
            Platform::Openproject => "openproject",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Required keys; an inner slice lists alternatives (any one suffices).
    pub fn required_keys(self) -> &'static [&'static [&'static str]] {
        match self {
            Platform::Github => &[&["api_token"], &["owner", "org"], &["repo"]],
            Platform::Gitlab => &[&["api_token"], &["project_id"]],
            Platform::Jira => &[&["api_token"], &["email"], &["jira_url"], &["project_key"]],
            Platform::Trello => &[&["api_key"], &["api_token"], &["board_id"]],
            Platform::Openproject => &[&["api_key"], &["base_url"], &["project_id"]],
        }
    }

    /// Checks that every required key is present with a non-empty value.
    pub fn check_required(self, config: &Map<String, Value>) -> Result<()> {
        for alternatives in self.required_keys() {
            if !alternatives.iter().any(|k| present(config.get(*k))) {
                return Err(StoreError::invalid(
                    format!("config_json.{}", alternatives[0]),
                    format!("{} requires {}", self.as_str(), alternatives.join(" or ")),
                ));
            }
        }
        Ok(())
    }
}

fn present(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Number(_)) | Some(Value::Object(_)) => true,
        _ => false,
    }
}

/// Checks the polling interval range.
pub fn check_interval(v: i64) -> Result<()> {
    if SYNC_INTERVAL_RANGE.contains(&v) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "sync_interval",
            format!(
                "must be between {} and {} seconds",
                SYNC_INTERVAL_RANGE.start(),
                SYNC_INTERVAL_RANGE.end()
            ),
        ))
    }
}

/// Checks the batch size range.
pub fn check_batch_size(v: i64) -> Result<()> {
    if BATCH_SIZE_RANGE.contains(&v) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "batch_size",
            format!(
                "must be between {} and {}",
                BATCH_SIZE_RANGE.start(),
                BATCH_SIZE_RANGE.end()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn github_accepts_owner_or_org() {
        let ok = json!({"api_token": "t", "org": "o", "repo": "r"});
        assert!(
            Platform::Github
                .check_required(ok.as_object().unwrap())
                .is_ok()
        );
        let missing = json!({"api_token": "t", "repo": "r"});
        match Platform::Github.check_required(missing.as_object().unwrap()) {
            Err(StoreError::Invalid { field, message }) => {
                assert_eq!(field, "config_json.owner");
                assert!(message.contains("owner or org"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_platform_rejects_an_empty_config() {
        for p in Platform::ALL {
            assert!(p.check_required(&Map::new()).is_err(), "{p:?}");
        }
    }

    #[test]
    fn ranges() {
        assert!(check_interval(29).is_err() && check_interval(300).is_ok());
        assert!(check_batch_size(0).is_err() && check_batch_size(1001).is_err());
    }
}
