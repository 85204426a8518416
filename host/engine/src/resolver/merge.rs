//! Per-field three-way decisions when both sides hold the item: unchanged, taken from
//! one side, or a conflict settled (or not) by the strategy.

use elder_sync_model::Item;

use super::capabilities::Capabilities;
use super::fields::{Field, FieldValue, get, merge_keys, merge_sets};
use super::types::{FieldConflict, ResolveInput, Side, Strategy};

/// The decision for one field.
pub(crate) struct FieldDecision {
    /// The merged value; `None` only for an unsettled (manual) conflict.
    pub value: Option<FieldValue>,
    pub conflict: Option<FieldConflict>,
    /// Both sides changed the field and their `updated_at` are equal.
    pub timestamp_tie: bool,
}

/// What a side says about a field; `None` when it says nothing (a status name on a side
/// without status names, or a missing status name).
pub(crate) fn observed(field: Field, item: &Item, caps: &Capabilities) -> Option<FieldValue> {
    if field == Field::StatusName && (!caps.has_status_names || item.status_name.is_none()) {
        return None;
    }
    Some(get(item, field))
}

/// True when `item` changed `field` relative to `base` (always, when there is no base
/// and the side says something).
pub(crate) fn side_changed(
    field: Field,
    base: Option<&Item>,
    item: &Item,
    caps: &Capabilities,
) -> Option<FieldValue> {
    let value = observed(field, item, caps)?;
    let changed = base.is_none_or(|b| !value.same_as(&get(b, field)));
    changed.then_some(value)
}

/// The fields taking part in the merge.
pub(crate) fn fields(input: &ResolveInput<'_>) -> impl Iterator<Item = Field> {
    let include_extras = input.include_extras;
    Field::ALL
        .into_iter()
        .filter(move |f| include_extras || *f != Field::Extras)
}

/// Decides one field.
pub(crate) fn decide(
    field: Field,
    input: &ResolveInput<'_>,
    elder: &Item,
    external: &Item,
) -> FieldDecision {
    let e = side_changed(field, input.base, elder, input.elder_caps);
    let x = side_changed(field, input.base, external, input.external_caps);
    let plain = |value| FieldDecision {
        value: Some(value),
        conflict: None,
        timestamp_tie: false,
    };
    match (e, x) {
        (None, None) => plain(unchanged_value(field, input, elder, external)),
        (Some(v), None) | (None, Some(v)) => plain(v),
        (Some(e), Some(x)) if e.same_as(&x) => plain(e),
        (Some(e), Some(x)) => match merged_keys(field, input.base, &e, &x) {
            Some(v) => plain(v),
            None => conflict(field, input, elder, external, e, x),
        },
    }
}

fn unchanged_value(
    field: Field,
    input: &ResolveInput<'_>,
    elder: &Item,
    external: &Item,
) -> FieldValue {
    input
        .base
        .map(|b| get(b, field))
        .or_else(|| observed(field, elder, input.elder_caps))
        .or_else(|| observed(field, external, input.external_caps))
        .unwrap_or_else(|| get(elder, field))
}

/// The side with the later `updated_at`; Elder on a tie.
pub(crate) fn newest(elder: &Item, external: &Item) -> Side {
    if external.updated_at > elder.updated_at {
        Side::External
    } else {
        Side::Elder
    }
}

fn conflict(
    field: Field,
    input: &ResolveInput<'_>,
    elder: &Item,
    external: &Item,
    e: FieldValue,
    x: FieldValue,
) -> FieldDecision {
    let winner = match input.strategy {
        Strategy::ElderWins => Some(Side::Elder),
        Strategy::ExternalWins => Some(Side::External),
        Strategy::LastModifiedWins => Some(newest(elder, external)),
        Strategy::FieldMerge if field.is_set() => None,
        Strategy::FieldMerge => Some(newest(elder, external)),
        Strategy::Manual => None,
    };
    let value = match (input.strategy, winner) {
        (Strategy::Manual, _) => None,
        (_, Some(Side::Elder)) => Some(e.clone()),
        (_, Some(Side::External)) => Some(x.clone()),
        (_, None) => Some(merged_set(field, input.base, &e, &x)),
    };
    FieldDecision {
        value,
        timestamp_tie: elder.updated_at == external.updated_at,
        conflict: Some(FieldConflict {
            field,
            base: input.base.map(|b| get(b, field)),
            elder: e,
            external: x,
            winner,
        }),
    }
}

/// Extras changed on both sides in different keys: each side's keys taken, no conflict.
fn merged_keys(
    field: Field,
    base: Option<&Item>,
    e: &FieldValue,
    x: &FieldValue,
) -> Option<FieldValue> {
    let (FieldValue::Json(a), FieldValue::Json(b)) = (e, x) else {
        return None;
    };
    if field != Field::Extras {
        return None;
    }
    let base = base.map(|b| b.extras.as_str()).unwrap_or("{}");
    merge_keys(base, a, b).map(FieldValue::Json)
}

fn merged_set(field: Field, base: Option<&Item>, e: &FieldValue, x: &FieldValue) -> FieldValue {
    let base_list = match base.map(|b| get(b, field)) {
        Some(FieldValue::Set(v)) => v,
        _ => Vec::new(),
    };
    match (e, x) {
        (FieldValue::Set(a), FieldValue::Set(b)) => FieldValue::Set(merge_sets(&base_list, a, b)),
        _ => e.clone(),
    }
}
