//! What a person sees of a conflict before resolving it: for each field a resolution may
//! set ([`DATA_FIELDS`]), its value in the mapping's base (the last synced state), in Elder
//! as the conflict recorded it, and on the platform as the conflict recorded it, all in the
//! canonical item's form, so a per-field choice can be handed back as a resolution's `data`.

use elder_sync_model::Item;
use elder_sync_store::{Conflict, Resource};
use serde_json::Value;

use crate::convert::resource_to_item;
use crate::engine::SyncEngine;
use crate::error::EngineError;
use crate::settle::DATA_FIELDS;
use crate::sides::base_of;

/// One field of a conflict on its three sides (`null`: that side has no item, e.g. deleted).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSides {
    /// The field's name in the canonical item (`title`, `state`, ...).
    pub field: &'static str,
    /// Its value when the two sides last agreed.
    pub base: Value,
    /// Its value in Elder now.
    pub elder: Value,
    /// Its value on the platform now.
    pub platform: Value,
}

impl FieldSides {
    /// Whether Elder and the platform disagree on this field.
    pub fn differs(&self) -> bool {
        self.elder != self.platform
    }
}

/// A conflict with its fields side by side, and the config its mapping belongs to.
#[derive(Debug, Clone)]
pub struct ConflictView {
    /// The stored conflict.
    pub conflict: Conflict,
    /// Row id of the sync config its mapping belongs to.
    pub config_id: i64,
    /// Every resolvable field, in the resolver's order.
    pub fields: Vec<FieldSides>,
}

/// Conflict `id` with the base, Elder and platform value of every resolvable field.
pub async fn conflict_view(engine: &SyncEngine, id: i64) -> Result<ConflictView, EngineError> {
    let conflict = engine.store.get_conflict(id).await?;
    let mapping = engine.store.get_mapping(conflict.mapping_id).await?;
    let base = base_of(&mapping).map(item_json);
    let elder = serde_json::from_value::<Resource>(conflict.elder_data.clone())
        .ok()
        .map(|r| item_json(resource_to_item(&r, None)));
    let platform = serde_json::from_value::<Item>(conflict.external_data.clone())
        .ok()
        .map(item_json);
    let pick = |side: &Option<Value>, field: &str| {
        side.as_ref()
            .and_then(|v| v.get(field).cloned())
            .unwrap_or(Value::Null)
    };
    let fields = DATA_FIELDS
        .iter()
        .map(|&field| FieldSides {
            field,
            base: pick(&base, field),
            elder: pick(&elder, field),
            platform: pick(&platform, field),
        })
        .collect();
    Ok(ConflictView {
        conflict,
        config_id: mapping.sync_config_id,
        fields,
    })
}

fn item_json(item: Item) -> Value {
    serde_json::to_value(item).unwrap_or(Value::Null)
}
