//! Patches: the difference between a side and the merged item, and applying a patch.

use elder_sync_model::{Item, ItemPatch};

use super::capabilities::Capabilities;
use super::fields::{Field, get};

/// The patch turning `side` into `target` over `fields`, skipping `skip`. A status name
/// is only written to a side that has status names, and never cleared (a patch cannot
/// express that). `expected_version` carries the side's version when the patch is
/// not empty.
pub fn diff(
    side: &Item,
    target: &Item,
    caps: &Capabilities,
    fields: impl IntoIterator<Item = Field>,
    skip: &[Field],
) -> ItemPatch {
    let mut p = ItemPatch::default();
    for field in fields {
        if skip.contains(&field) || get(side, field).same_as(&get(target, field)) {
            continue;
        }
        match field {
            Field::Title => p.title = Some(target.title.clone()),
            Field::Body => p.body = Some(target.body.clone()),
            Field::State => p.state = Some(target.state),
            Field::StatusName if caps.has_status_names => {
                p.status_name = target.status_name.clone()
            }
            Field::StatusName => {}
            Field::Labels => p.labels = Some(target.labels.clone()),
            Field::Assignees => p.assignees = Some(target.assignees.clone()),
            Field::MilestoneRef => p.milestone_ref = Some(target.milestone_ref.clone()),
            Field::ParentRef => p.parent_ref = Some(target.parent_ref.clone()),
            Field::Extras => p.extras = Some(target.extras.clone()),
        }
    }
    if !p.is_empty() {
        p.expected_version = side.version.clone();
    }
    p
}

/// `item` with `patch` applied (what a connector's `update` is expected to do).
/// `updated_at` and `version` are left as they are.
pub fn apply_patch(item: &Item, patch: &ItemPatch) -> Item {
    let mut out = item.clone();
    if let Some(v) = &patch.title {
        out.title = v.clone();
    }
    if let Some(v) = &patch.body {
        out.body = v.clone();
    }
    if let Some(v) = patch.state {
        out.state = v;
    }
    if let Some(v) = &patch.status_name {
        out.status_name = Some(v.clone());
    }
    if let Some(v) = &patch.labels {
        out.labels = v.clone();
    }
    if let Some(v) = &patch.assignees {
        out.assignees = v.clone();
    }
    if let Some(v) = &patch.milestone_ref {
        out.milestone_ref = v.clone();
    }
    if let Some(v) = &patch.parent_ref {
        out.parent_ref = v.clone();
    }
    if let Some(v) = &patch.extras {
        out.extras = v.clone();
    }
    out
}
