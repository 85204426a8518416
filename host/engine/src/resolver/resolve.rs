//! The entry point: three-way resolution of one item pair.

use elder_sync_model::Item;

use super::deletion::resolve_missing;
use super::fields::{Field, set};
use super::merge::{decide, fields};
use super::patch::diff;
use super::transition::{blocked, hold};
use super::types::{ConflictType, Resolution, ResolveInput, Side, SideAction};

/// Resolves one item pair against its base snapshot. Pure and deterministic.
///
/// With both sides present, `merged` starts from the external item (its id, url,
/// version, kind), takes `updated_at` as the later of the two, and each synced field
/// from the per-field decision. Under `manual`, any field conflict means nothing is
/// applied (`needs_manual`, no merged item). Deletions: see the `deletion` module.
pub fn resolve(input: &ResolveInput<'_>) -> Resolution {
    let (Some(elder), Some(external)) = (input.elder, input.external) else {
        return resolve_missing(input);
    };
    let mut merged = external.clone();
    merged.updated_at = elder.updated_at.max(external.updated_at);
    let mut out = Resolution::default();
    let mut types = Vec::new();
    let mut unsettled = false;
    for field in fields(input) {
        let d = decide(field, input, elder, external);
        match d.value {
            Some(v) => set(&mut merged, field, v),
            None => unsettled = true,
        }
        if let Some(c) = d.conflict {
            types.push(ConflictType::FieldMismatch);
            out.conflicts.push(c);
        }
        if d.timestamp_tie {
            types.push(ConflictType::Timestamp);
        }
    }
    if !unsettled {
        apply_merged(input, elder, external, merged, &mut out, &mut types);
    }
    out.needs_manual = unsettled;
    types.sort();
    types.dedup();
    out.conflict_types = types;
    out
}

/// Holds impossible transitions and computes both sides' patches.
fn apply_merged(
    input: &ResolveInput<'_>,
    elder: &Item,
    external: &Item,
    mut merged: Item,
    out: &mut Resolution,
    types: &mut Vec<ConflictType>,
) {
    let mut held = blocked(&merged, Side::Elder, elder, input.elder_caps);
    held.extend(blocked(
        &merged,
        Side::External,
        external,
        input.external_caps,
    ));
    hold(&mut merged, &held, elder, external);
    if !held.is_empty() {
        types.push(ConflictType::InvalidTransition);
    }
    let skipped = |side: Side| -> Vec<Field> {
        held.iter()
            .filter(|(s, _)| *s == side.other())
            .map(|(_, f)| *f)
            .collect()
    };
    let e = diff(
        elder,
        &merged,
        input.elder_caps,
        fields(input),
        &skipped(Side::Elder),
    );
    let x = diff(
        external,
        &merged,
        input.external_caps,
        fields(input),
        &skipped(Side::External),
    );
    out.elder = action(e);
    out.external = action(x);
    out.held = held;
    out.merged = Some(merged);
}

fn action(p: elder_sync_model::ItemPatch) -> SideAction {
    if p.is_empty() {
        SideAction::Nothing
    } else {
        SideAction::Patch(p)
    }
}
