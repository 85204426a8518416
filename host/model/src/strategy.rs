//! The conflict strategy of a sync config (`config_json.conflict_strategy`): the one type
//! the store validates a config with and the resolver settles conflicts by.

use serde::{Deserialize, Serialize};

/// The key of a config's strategy in `config_json`.
pub const CONFLICT_STRATEGY_KEY: &str = "conflict_strategy";

/// How fields changed on both sides are settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The side with the later `updated_at` wins each conflicting field; a tie goes to
    /// Elder. Labels and assignees are taken whole from the winner.
    #[default]
    LastModifiedWins,
    /// Elder's value wins every conflicting field.
    ElderWins,
    /// The external value wins every conflicting field.
    ExternalWins,
    /// Like `last_modified_wins` for single values, but labels and assignees are merged
    /// element by element (additions and removals of both sides are kept).
    FieldMerge,
    /// Conflicts are returned for a person to settle; nothing is applied.
    Manual,
}

/// A strategy name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown conflict strategy {0:?}; allowed: {allowed}", allowed = Strategy::allowed())]
pub struct UnknownStrategy(pub String);

impl Strategy {
    /// All strategies, in a stable order.
    pub const ALL: [Strategy; 5] = [
        Strategy::LastModifiedWins,
        Strategy::ElderWins,
        Strategy::ExternalWins,
        Strategy::FieldMerge,
        Strategy::Manual,
    ];

    /// The snake_case name stored in sync configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::LastModifiedWins => "last_modified_wins",
            Strategy::ElderWins => "elder_wins",
            Strategy::ExternalWins => "external_wins",
            Strategy::FieldMerge => "field_merge",
            Strategy::Manual => "manual",
        }
    }

    /// The allowed names, comma-separated (for error messages and documentation).
    pub fn allowed() -> String {
        Strategy::ALL.map(Strategy::as_str).join(", ")
    }

    /// Parses a snake_case name (`-` accepted for `_`).
    pub fn parse(s: &str) -> Result<Strategy, UnknownStrategy> {
        let normal = s.trim().replace('-', "_");
        Strategy::ALL
            .into_iter()
            .find(|st| st.as_str() == normal)
            .ok_or_else(|| UnknownStrategy(s.to_string()))
    }
}
