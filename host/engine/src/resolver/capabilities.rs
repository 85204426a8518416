//! What a side can do with states and statuses, so impossible transitions are caught.

use std::collections::BTreeSet;

use elder_sync_model::ItemState;
use serde::{Deserialize, Serialize};

/// The state changes a side accepts. The caller fills this from the connector (for
/// Jira, the statuses reachable through `GET .../transitions` from the current one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Open -> closed is possible.
    pub can_close: bool,
    /// Closed -> open is possible.
    pub can_reopen: bool,
    /// False when the side has no status names (GitHub): its `status_name` is ignored
    /// and never written.
    pub has_status_names: bool,
    /// Status names reachable from the side's current status; `None`: any.
    pub reachable_statuses: Option<BTreeSet<String>>,
}

static ANY: Capabilities = Capabilities {
    can_close: true,
    can_reopen: true,
    has_status_names: true,
    reachable_statuses: None,
};

impl Default for Capabilities {
    fn default() -> Self {
        ANY.clone()
    }
}

impl Capabilities {
    /// Every transition possible (Elder itself).
    pub fn any() -> &'static Capabilities {
        &ANY
    }

    /// True when the side can go from `from` to `to`.
    pub fn allows_state(&self, from: ItemState, to: ItemState) -> bool {
        match (from, to) {
            (ItemState::Open, ItemState::Closed) => self.can_close,
            (ItemState::Closed, ItemState::Open) => self.can_reopen,
            _ => true,
        }
    }

    /// True when the side can move to status `to`.
    pub fn allows_status(&self, to: &str) -> bool {
        self.has_status_names
            && self
                .reachable_statuses
                .as_ref()
                .is_none_or(|set| set.contains(to))
    }
}
