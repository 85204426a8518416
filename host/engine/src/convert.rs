//! Conversion between Elder resources and canonical items, so both sides of a mapping can
//! be compared field by field. References (milestones) are translated through mappings by
//! the caller; the Elder project link is the sync config's, so `parent_ref` is not compared.

use elder_sync_model::{Item, ItemPatch, ItemState, Kind, NewItem};
use elder_sync_store::{NewResource, Resource, ResourcePatch, ResourceStatus};

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
        extras: "{}".into(),
    }
}

/// An external item as it enters Elder: its comparable fields (its status name included),
/// with the platform's own details (url, extras, parent) dropped.
pub fn comparable(item: &Item) -> Item {
    Item {
        parent_ref: None,
        url: None,
        extras: "{}".into(),
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
        extras: None,
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
        extras: "{}".into(),
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
    }

    #[test]
    fn comparable_keeps_the_status_and_drops_platform_details() {
        let c = comparable(&item());
        assert_eq!(c.status_name.as_deref(), Some("Todo"));
        assert_eq!(c.url, None);
        assert_eq!(c.extras, "{}");
        assert_eq!(c.title, "T");
    }
}
