//! The resolver's input and output types: strategies, sides, conflict types, resolutions.

use elder_sync_model::{Item, ItemPatch, NewItem};
pub use elder_sync_model::{Strategy, UnknownStrategy};
use serde::{Deserialize, Serialize};

use super::capabilities::Capabilities;
use super::fields::{Field, FieldValue};

/// One side of a sync pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Elder's own copy of the item.
    Elder,
    /// The item on the external platform.
    External,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Elder => Side::External,
            Side::External => Side::Elder,
        }
    }
}

/// The conflict types of the `sync_conflicts` table: the store's type, one owner.
pub use elder_sync_store::ConflictType;

/// One field changed on both sides to different values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// The field both sides changed.
    pub field: Field,
    /// `None` when there is no base snapshot.
    pub base: Option<FieldValue>,
    /// Its value in Elder.
    pub elder: FieldValue,
    /// Its value on the external platform.
    pub external: FieldValue,
    /// The side whose value the strategy chose; `None` under `manual` or when merged.
    pub winner: Option<Side>,
}

/// What to do to one side.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "action", content = "value", rename_all = "snake_case")]
pub enum SideAction {
    /// Leave it as it is.
    #[default]
    Nothing,
    /// Update it.
    Patch(ItemPatch),
    /// Delete it (the other side deleted the item and this side did not change it).
    Delete,
    /// Create it (never synced, or recreated after a deletion the strategy overruled).
    Create(NewItem),
}

impl SideAction {
    /// The patch, when the action is an update.
    pub fn patch(&self) -> Option<&ItemPatch> {
        match self {
            SideAction::Patch(p) => Some(p),
            _ => None,
        }
    }

    /// True when nothing is to be done.
    pub fn is_nothing(&self) -> bool {
        matches!(self, SideAction::Nothing)
    }
}

/// What the resolver needs: the base snapshot, both sides (`None`: deleted or absent),
/// the strategy, and what each side can do with states.
#[derive(Debug, Clone, Copy)]
pub struct ResolveInput<'a> {
    /// The last synced canonical item; `None` when never synced.
    pub base: Option<&'a Item>,
    /// Elder's item now; `None` when deleted or absent.
    pub elder: Option<&'a Item>,
    /// The platform's item now; `None` when deleted or absent.
    pub external: Option<&'a Item>,
    /// How conflicting fields are settled.
    pub strategy: Strategy,
    /// What Elder can do with states and status names.
    pub elder_caps: &'a Capabilities,
    /// What the external platform can do with states and status names.
    pub external_caps: &'a Capabilities,
    /// Whether the platform `extras` JSON takes part in the merge.
    pub include_extras: bool,
}

impl<'a> ResolveInput<'a> {
    /// Input with full capabilities on both sides and extras included.
    pub fn new(
        base: Option<&'a Item>,
        elder: Option<&'a Item>,
        external: Option<&'a Item>,
        strategy: Strategy,
    ) -> Self {
        ResolveInput {
            base,
            elder,
            external,
            strategy,
            elder_caps: Capabilities::any(),
            external_caps: Capabilities::any(),
            include_extras: true,
        }
    }

    /// The capabilities of `side`.
    pub fn caps(&self, side: Side) -> &'a Capabilities {
        match side {
            Side::Elder => self.elder_caps,
            Side::External => self.external_caps,
        }
    }
}

/// The resolver's answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Resolution {
    /// The new base snapshot: what both sides hold once the actions are applied (except
    /// `held` fields). `None` when the item is gone on both sides, or when nothing is
    /// applied (`needs_manual`).
    pub merged: Option<Item>,
    /// What to do to Elder's copy.
    pub elder: SideAction,
    /// What to do to the platform's copy.
    pub external: SideAction,
    /// Fields changed on both sides to different values.
    pub conflicts: Vec<FieldConflict>,
    /// Fields not written because the receiving side cannot make the transition.
    pub held: Vec<(Side, Field)>,
    /// Sorted, without duplicates.
    pub conflict_types: Vec<ConflictType>,
    /// True when a person must decide: nothing is applied.
    pub needs_manual: bool,
}

impl Resolution {
    /// The update for Elder, if any.
    pub fn elder_patch(&self) -> Option<&ItemPatch> {
        self.elder.patch()
    }

    /// The update for the external platform, if any.
    pub fn external_patch(&self) -> Option<&ItemPatch> {
        self.external.patch()
    }

    /// The names of the conflicting fields.
    pub fn conflicting_fields(&self) -> Vec<Field> {
        self.conflicts.iter().map(|c| c.field).collect()
    }

    /// True when any conflict was detected (settled automatically or not).
    pub fn has_conflict(&self) -> bool {
        !self.conflict_types.is_empty()
    }

    /// True when no side needs any action.
    pub fn is_noop(&self) -> bool {
        self.elder.is_nothing() && self.external.is_nothing()
    }
}
