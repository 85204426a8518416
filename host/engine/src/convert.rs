//! Conversion between Elder resources and canonical items, so both sides of a mapping can
//! be compared field by field. References (milestones) are translated through mappings by
//! the caller; the Elder project link is the sync config's, so `parent_ref` is not compared.
//! Of `extras`, only the shared fields (`elder_sync_model::SHARED_EXTRAS`: dates, colour)
//! are carried and compared; Elder keeps them in its resource's `extras` under the same keys.

use elder_sync_model::{Item, ItemPatch, ItemState, Kind, NewItem, shared_of, shared_of_text};
use elder_sync_store::{NewResource, Resource, ResourcePatch, ResourceStatus};
use serde_json::{Map, Value};

/// JSON text of an object.
fn text_of(m: Map<String, Value>) -> String {
    Value::Object(m).to_string()
}

/// The shared fields of an Elder resource's extras that hold a value.
fn elder_shared(r: &Resource) -> Map<String, Value> {
    r.extras
        .as_object()
        .map(shared_of)
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .collect()
}

/// The canonical form of an Elder resource. `milestone_ref` is the *external* id of the
/// resource's milestone under the config (looked up by the caller), `None` when unmapped.
pub fn resource_to_item(r: &Resource, milestone_ref: Option<String>) -> Item {
    Item {
        kind: r.kind,
        external_id: r.id.to_string(),
        title: r.title.clone(),
        body: r.description.clone(),
        state: state_of(r.status),
        status_name: r.status_name.clone(),
        labels: r.labels.clone(),
        assignees: r.assignees.clone(),
        milestone_ref,
        parent_ref: None,
        url: None,
        updated_at: r.updated_at.timestamp_millis(),
        version: Some(r.version.to_string()),
        extras: text_of(elder_shared(r)),
    }
}

/// An external item as it enters Elder: its comparable fields (its status name and the
/// shared fields of its extras included), with the platform's own details (url, the rest of
/// extras, parent) dropped.
pub fn comparable(item: &Item) -> Item {
    Item {
        parent_ref: None,
        url: None,
        extras: text_of(shared_of_text(&item.extras)),
        ..item.clone()
    }
}

/// A new Elder resource from an external item, in the config's project.
pub fn new_resource(
    item: &Item,
    project_id: Option<i64>,
    milestone_id: Option<i64>,
) -> NewResource {
    NewResource {
        title: item.title.clone(),
        description: item.body.clone(),
        status: Some(status_of(item.state)),
        status_name: item.status_name.clone(),
        labels: item.labels.clone(),
        assignees: item.assignees.clone(),
        milestone_id,
        project_id: if item.kind == Kind::Project {
            None
        } else {
            project_id
        },
        extras: Some(Value::Object(
            shared_of_text(&item.extras)
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .collect(),
        )),
    }
}

/// A resource patch from a canonical patch; `milestone` is the translated Elder milestone
/// change (`Some(None)` clears it).
pub fn resource_patch(p: &ItemPatch, milestone: Option<Option<i64>>) -> ResourcePatch {
    ResourcePatch {
        title: p.title.clone(),
        description: p.body.clone(),
        status: p.state.map(status_of),
        labels: p.labels.clone(),
        assignees: p.assignees.clone(),
        milestone_id: milestone,
        ..ResourcePatch::default()
    }
}

/// A new external item from an Elder resource.
pub fn new_item(r: &Resource, milestone_ref: Option<String>) -> NewItem {
    NewItem {
        kind: r.kind,
        title: r.title.clone(),
        body: r.description.clone(),
        state: state_of(r.status),
        labels: r.labels.clone(),
        assignees: r.assignees.clone(),
        milestone_ref,
        parent_ref: None,
        extras: text_of(elder_shared(r)),
    }
}

/// Elder status -> canonical state.
pub fn state_of(s: ResourceStatus) -> ItemState {
    match s {
        ResourceStatus::Open => ItemState::Open,
        ResourceStatus::Closed => ItemState::Closed,
    }
}

/// Canonical state -> Elder status.
pub fn status_of(s: ItemState) -> ResourceStatus {
    match s {
        ItemState::Open => ResourceStatus::Open,
        ItemState::Closed => ResourceStatus::Closed,
    }
}

/// A fingerprint of an item's synced content (not its timestamps or version): equal
/// fingerprints mean nothing a user would notice differs. Used for echo suppression.
pub fn fingerprint(item: &Item) -> String {
    use sha2::{Digest, Sha256};
    let mut labels = item.labels.clone();
    labels.sort();
    let mut assignees = item.assignees.clone();
    assignees.sort();
    let canonical = serde_json::json!([
        item.kind.as_str(),
        item.title,
        item.body,
        matches!(item.state, ItemState::Closed),
        labels,
        assignees,
        item.milestone_ref,
    ]);
    // The shared fields count when they hold a value (an item without any keeps the
    // fingerprint it had before they were synced).
    let shared: Map<String, Value> = shared_of_text(&item.extras)
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .collect();
    let canonical = if shared.is_empty() {
        canonical
    } else {
        serde_json::json!([canonical, shared])
    };
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item {
            kind: Kind::Issue,
            external_id: "7".into(),
            title: "T".into(),
            body: "B".into(),
            state: ItemState::Open,
            status_name: Some("Todo".into()),
            labels: vec!["b".into(), "a".into()],
            assignees: vec![],
            milestone_ref: None,
            parent_ref: None,
            url: Some("https://x".into()),
            updated_at: 1,
            version: Some("v1".into()),
            extras: "{\"x\":1}".into(),
        }
    }

    #[test]
    fn fingerprint_ignores_order_time_and_version_but_not_content() {
        let a = item();
        let mut b = item();
        b.labels.reverse();
        b.updated_at = 99;
        b.version = Some("v2".into());
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b.title = "T2".into();
        assert_ne!(fingerprint(&a), fingerprint(&b));
        let mut c = item();
        c.state = ItemState::Closed;
        assert_ne!(fingerprint(&a), fingerprint(&c));
        // Shared fields count when set; unset ones and platform-only extras do not.
        let mut d = item();
        d.extras = r#"{"due_date": null, "id": 5}"#.into();
        assert_eq!(fingerprint(&a), fingerprint(&d));
        d.extras = r#"{"due_date": "2026-12-24"}"#.into();
        assert_ne!(fingerprint(&a), fingerprint(&d));
    }

    #[test]
    fn comparable_keeps_the_status_and_drops_platform_details() {
        let c = comparable(&item());
        assert_eq!(c.status_name.as_deref(), Some("Todo"));
        assert_eq!(c.url, None);
        assert_eq!(c.extras, "{}");
        let mut dated = item();
        dated.extras = r#"{"id": 4, "due_date": "2026-12-24", "color": null}"#.into();
        let c = comparable(&dated);
        assert_eq!(
            serde_json::from_str::<Value>(&c.extras).unwrap(),
            serde_json::json!({"due_date": "2026-12-24", "color": null})
        );
        assert_eq!(c.title, "T");
    }
}
