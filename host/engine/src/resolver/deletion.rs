//! The item is missing on one or both sides: propagate a deletion, create the item on
//! the side that never had it, or report deleted_local / deleted_external.

use elder_sync_model::{Item, NewItem};

use super::merge::{fields, side_changed};
use super::types::{ConflictType, Resolution, ResolveInput, Side, SideAction, Strategy};

/// Resolves when at least one side is `None`.
pub(crate) fn resolve_missing(input: &ResolveInput<'_>) -> Resolution {
    let (present, side) = match (input.elder, input.external) {
        (Some(e), None) => (e, Side::Elder),
        (None, Some(x)) => (x, Side::External),
        _ => return Resolution::default(),
    };
    let Some(base) = input.base else {
        return with_action(side.other(), create(present), Some(present.clone()));
    };
    let changed =
        fields(input).any(|f| side_changed(f, Some(base), present, input.caps(side)).is_some());
    if !changed {
        return with_action(side, SideAction::Delete, None);
    }
    deletion_conflict(input.strategy, present, side)
}

/// `present` (on `side`) changed while the other side deleted the item.
fn deletion_conflict(strategy: Strategy, present: &Item, side: Side) -> Resolution {
    let kind = match side {
        Side::External => ConflictType::DeletedLocal,
        Side::Elder => ConflictType::DeletedExternal,
    };
    let winner = match strategy {
        Strategy::ElderWins => Some(Side::Elder),
        Strategy::ExternalWins => Some(Side::External),
        _ => None,
    };
    let mut r = match winner {
        Some(w) if w == side => with_action(side.other(), create(present), Some(present.clone())),
        Some(_) => with_action(side, SideAction::Delete, None),
        None => Resolution {
            needs_manual: true,
            ..Resolution::default()
        },
    };
    r.conflict_types = vec![kind];
    r
}

fn with_action(side: Side, action: SideAction, merged: Option<Item>) -> Resolution {
    let mut r = Resolution {
        merged,
        ..Resolution::default()
    };
    match side {
        Side::Elder => r.elder = action,
        Side::External => r.external = action,
    }
    r
}

/// The create request copying `item`.
fn create(item: &Item) -> SideAction {
    SideAction::Create(NewItem {
        kind: item.kind,
        title: item.title.clone(),
        body: item.body.clone(),
        state: item.state,
        labels: item.labels.clone(),
        assignees: item.assignees.clone(),
        milestone_ref: item.milestone_ref.clone(),
        parent_ref: item.parent_ref.clone(),
        extras: item.extras.clone(),
    })
}
