//! The synced fields of an item: reading, writing and comparing them (labels and
//! assignees as sets, extras as JSON values).

use std::collections::BTreeSet;

use elder_sync_model::{Item, ItemState};
use serde::{Deserialize, Serialize};

/// A field the resolver compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `Item::title`.
    Title,
    /// `Item::body` (Markdown).
    Body,
    /// `Item::state` (open or closed).
    State,
    /// `Item::status_name`, the platform's own status.
    StatusName,
    /// `Item::labels`, compared as a set.
    Labels,
    /// `Item::assignees`, compared as a set.
    Assignees,
    /// `Item::milestone_ref`.
    MilestoneRef,
    /// `Item::parent_ref`.
    ParentRef,
    /// `Item::extras`, compared as JSON.
    Extras,
}

impl Field {
    /// Every field, in a stable order.
    pub const ALL: [Field; 9] = [
        Field::Title,
        Field::Body,
        Field::State,
        Field::StatusName,
        Field::Labels,
        Field::Assignees,
        Field::MilestoneRef,
        Field::ParentRef,
        Field::Extras,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
            Field::State => "state",
            Field::StatusName => "status_name",
            Field::Labels => "labels",
            Field::Assignees => "assignees",
            Field::MilestoneRef => "milestone_ref",
            Field::ParentRef => "parent_ref",
            Field::Extras => "extras",
        }
    }

    /// This field's value in `item`.
    pub fn value_of(self, item: &Item) -> FieldValue {
        get(item, self)
    }

    /// True for fields compared as sets.
    pub fn is_set(self) -> bool {
        matches!(self, Field::Labels | Field::Assignees)
    }
}

/// The value of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    /// A title or body.
    Text(String),
    /// Open or closed.
    State(ItemState),
    /// A status name, milestone or parent reference; `None` for none.
    Optional(Option<String>),
    /// Labels or assignees.
    Set(Vec<String>),
    /// JSON object text.
    Json(String),
}

impl FieldValue {
    /// Equality as the resolver sees it: sets ignore order and duplicates, JSON ignores
    /// formatting and key order.
    pub fn same_as(&self, other: &FieldValue) -> bool {
        match (self, other) {
            (FieldValue::Set(a), FieldValue::Set(b)) => as_set(a) == as_set(b),
            (FieldValue::Json(a), FieldValue::Json(b)) => json_eq(a, b),
            _ => self == other,
        }
    }
}

/// The elements of a list as a set.
pub(crate) fn as_set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

fn json_eq(a: &str, b: &str) -> bool {
    match (parse_json(a), parse_json(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn parse_json(s: &str) -> Option<serde_json::Value> {
    if s.trim().is_empty() {
        return Some(serde_json::Value::Object(Default::default()));
    }
    serde_json::from_str(s).ok()
}

/// Reads `field` from `item`.
pub fn get(item: &Item, field: Field) -> FieldValue {
    match field {
        Field::Title => FieldValue::Text(item.title.clone()),
        Field::Body => FieldValue::Text(item.body.clone()),
        Field::State => FieldValue::State(item.state),
        Field::StatusName => FieldValue::Optional(item.status_name.clone()),
        Field::Labels => FieldValue::Set(item.labels.clone()),
        Field::Assignees => FieldValue::Set(item.assignees.clone()),
        Field::MilestoneRef => FieldValue::Optional(item.milestone_ref.clone()),
        Field::ParentRef => FieldValue::Optional(item.parent_ref.clone()),
        Field::Extras => FieldValue::Json(item.extras.clone()),
    }
}

/// Writes `value` into `field` of `item`; a value of the wrong shape is ignored.
pub fn set(item: &mut Item, field: Field, value: FieldValue) {
    match (field, value) {
        (Field::Title, FieldValue::Text(v)) => item.title = v,
        (Field::Body, FieldValue::Text(v)) => item.body = v,
        (Field::State, FieldValue::State(v)) => item.state = v,
        (Field::StatusName, FieldValue::Optional(v)) => item.status_name = v,
        (Field::Labels, FieldValue::Set(v)) => item.labels = v,
        (Field::Assignees, FieldValue::Set(v)) => item.assignees = v,
        (Field::MilestoneRef, FieldValue::Optional(v)) => item.milestone_ref = v,
        (Field::ParentRef, FieldValue::Optional(v)) => item.parent_ref = v,
        (Field::Extras, FieldValue::Json(v)) => item.extras = v,
        _ => {}
    }
}

/// Three-way merge of two lists as sets: what either side added is in, what either
/// side removed is out. Order: the first list's survivors, then the second's additions.
pub fn merge_sets(base: &[String], a: &[String], b: &[String]) -> Vec<String> {
    let base_set = as_set(base);
    let (a_set, b_set) = (as_set(a), as_set(b));
    let removed = |x: &str| base_set.contains(x) && (!a_set.contains(x) || !b_set.contains(x));
    let mut out: Vec<String> = Vec::new();
    for x in a.iter().chain(b.iter()) {
        if !removed(x) && !out.contains(x) {
            out.push(x.clone());
        }
    }
    out
}

/// Three-way merge of two JSON objects key by key: a key changed on one side only takes
/// that side's value. `None` when a key changed on both sides to different values (or a
/// text is no object).
pub fn merge_keys(base: &str, a: &str, b: &str) -> Option<String> {
    use serde_json::Value;
    let obj = |s: &str| match parse_json(s) {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    };
    let (base, a, b) = (obj(base)?, obj(a)?, obj(b)?);
    let mut out = serde_json::Map::new();
    for k in a.keys().chain(b.keys()) {
        let (va, vb) = (a.get(k), b.get(k));
        let vbase = base.get(k);
        let value = if va == vb || vb == vbase {
            va
        } else if va == vbase {
            vb
        } else {
            return None;
        };
        if let Some(v) = value {
            out.insert(k.clone(), v.clone());
        }
    }
    Some(Value::Object(out).to_string())
}
