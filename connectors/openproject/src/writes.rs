//! Reads and writes: work packages (create; update = read lockVersion, apply, PATCH with
//! it, 409 -> conflict; close/reopen through the status link), versions (status open or
//! closed), the project (name, description); categories are read-only in API v3.

use elder_connector_sdk::{ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use serde_json::{Map, Value, json};

use crate::mapping::{
    assignee_link, category_link, category_to_item, markdown, pick_status, project_to_item,
    ref_link, set_link, version_to_item, wp_to_item,
};
use crate::settings::Settings;
use crate::settings::api::Api;

fn categories_read_only() -> ConnectorError {
    ConnectorError::unsupported("OpenProject categories cannot be written through API v3")
}

/// Reads one item.
pub fn get(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => wp_to_item(cfg, &api.work_package(id)?, &api.statuses()?),
        Kind::Milestone => version_to_item(cfg, &api.version(id)?),
        Kind::Label => Ok(category_to_item(&api.category(id)?)),
        Kind::Project => {
            let p = api.project()?;
            if p.id.to_string() != id && p.identifier != id {
                return Err(ConnectorError::NotFound(format!(
                    "project {id} is not the configured project"
                )));
            }
            project_to_item(cfg, &p)
        }
    }
}

/// Creates a work package or a version.
pub fn create(cfg: &Settings, new: NewItem) -> Result<Item, ConnectorError> {
    let api = Api::new(cfg);
    if new.title.trim().is_empty() {
        return Err(ConnectorError::invalid_input("a title is required"));
    }
    match new.kind {
        Kind::Issue => {
            let mut body = Map::new();
            body.insert("subject".into(), json!(new.title));
            body.insert("description".into(), markdown(&new.body));
            set_link(
                &mut body,
                "category",
                category_link(&api.categories()?, &new.labels),
            );
            set_link(&mut body, "assignee", assignee_link(&new.assignees));
            set_link(
                &mut body,
                "version",
                ref_link("versions", new.milestone_ref.as_deref())?,
            );
            set_link(
                &mut body,
                "parent",
                ref_link("work_packages", new.parent_ref.as_deref())?,
            );
            set_dates(&mut body, Some(&new.extras), WP_DATES)?;
            let wp = api.create_work_package(&Value::Object(body))?;
            let statuses = api.statuses()?;
            let item = wp_to_item(cfg, &wp, &statuses)?;
            if new.state == ItemState::Closed && item.state == ItemState::Open {
                return set_state(cfg, &api, &item.external_id, true, None);
            }
            Ok(item)
        }
        Kind::Milestone => {
            let project = api.project()?;
            let mut body = json!({"name": new.title, "description": markdown(&new.body),
                "_links": {"definingProject": {"href": format!("/api/v3/projects/{}", project.id)}}});
            if new.state == ItemState::Closed {
                body["status"] = json!("closed");
            }
            version_dates(&mut body, Some(&new.extras))?;
            version_to_item(cfg, &api.create_version(&body)?)
        }
        Kind::Label => Err(categories_read_only()),
        Kind::Project => Err(ConnectorError::unsupported(
            "the connector syncs one configured project",
        )),
    }
}

/// A version's own date fields for the shared `start_date`/`due_date`.
const VERSION_DATES: [(&str, &str); 2] = [("start_date", "startDate"), ("due_date", "endDate")];
/// A work package's own date fields for the shared `start_date`/`due_date`.
const WP_DATES: [(&str, &str); 2] = [("start_date", "startDate"), ("due_date", "dueDate")];

/// Sets the platform's date fields `pairs` (shared key, own key) in `body` from the shared
/// dates of `extras` (`null` clears; a key not given is left as it is).
fn set_dates(
    body: &mut Map<String, Value>,
    extras: Option<&str>,
    pairs: [(&str, &str); 2],
) -> Result<(), ConnectorError> {
    let x: Map<String, Value> = match extras.map(str::trim).filter(|t| !t.is_empty()) {
        None => return Ok(()),
        Some(t) => serde_json::from_str(t)
            .map_err(|_| ConnectorError::invalid_input("extras must be a JSON object"))?,
    };
    for (shared, own) in pairs {
        if let Some(d) = x.get(shared) {
            body.insert(own.into(), d.clone());
        }
    }
    Ok(())
}

/// A version body's `startDate`/`endDate` from the shared dates of `extras`.
fn version_dates(body: &mut Value, extras: Option<&str>) -> Result<(), ConnectorError> {
    match body.as_object_mut() {
        Some(b) => set_dates(b, extras, VERSION_DATES),
        None => Ok(()),
    }
}

/// PATCHes a work package with its current lockVersion (or the expected one).
fn patch_wp(
    cfg: &Settings,
    api: &Api,
    id: &str,
    expected: Option<&str>,
    build: impl FnOnce(&mut Map<String, Value>) -> Result<(), ConnectorError>,
) -> Result<Item, ConnectorError> {
    let current = api.work_package(id)?;
    if let Some(e) = expected
        && e != current.lock_version.to_string()
    {
        return Err(ConnectorError::Conflict(format!(
            "work package {id} is at lockVersion {}, not {e}",
            current.lock_version
        )));
    }
    let mut body = Map::new();
    body.insert("lockVersion".into(), json!(current.lock_version));
    build(&mut body)?;
    let wp = api.update_work_package(id, &Value::Object(body))?;
    wp_to_item(cfg, &wp, &api.statuses()?)
}

fn set_state(
    cfg: &Settings,
    api: &Api,
    id: &str,
    closed: bool,
    wanted: Option<&str>,
) -> Result<Item, ConnectorError> {
    let statuses = api.statuses()?;
    let configured = if closed {
        cfg.closed_status.as_deref()
    } else {
        cfg.reopen_status.as_deref()
    };
    let status = pick_status(&statuses, closed, wanted, configured)?.id;
    patch_wp(cfg, api, id, None, |b| {
        set_link(
            b,
            "status",
            json!({"href": format!("/api/v3/statuses/{status}")}),
        );
        Ok(())
    })
}

/// Applies a patch.
pub fn update(
    cfg: &Settings,
    kind: Kind,
    id: &str,
    patch: ItemPatch,
) -> Result<Item, ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => update_wp(cfg, &api, id, patch),
        Kind::Milestone => {
            let mut body = json!({});
            if let Some(t) = &patch.title {
                body["name"] = json!(t);
            }
            if let Some(b) = &patch.body {
                body["description"] = markdown(b);
            }
            if let Some(s) = patch.state {
                body["status"] = json!(if s == ItemState::Closed {
                    "closed"
                } else {
                    "open"
                });
            }
            version_dates(&mut body, patch.extras.as_deref())?;
            version_to_item(cfg, &api.update_version(id, &body)?)
        }
        Kind::Project => {
            let mut body = json!({});
            if let Some(t) = &patch.title {
                body["name"] = json!(t);
            }
            if let Some(b) = &patch.body {
                body["description"] = markdown(b);
            }
            project_to_item(cfg, &api.update_project(&body)?)
        }
        Kind::Label => Err(categories_read_only()),
    }
}

fn update_wp(
    cfg: &Settings,
    api: &Api,
    id: &str,
    patch: ItemPatch,
) -> Result<Item, ConnectorError> {
    let status = match (patch.state, patch.status_name.as_deref()) {
        (None, None) => None,
        (state, wanted) => {
            let statuses = api.statuses()?;
            let closed = state == Some(ItemState::Closed);
            let configured = if closed {
                cfg.closed_status.as_deref()
            } else {
                cfg.reopen_status.as_deref()
            };
            let picked = pick_status(&statuses, closed, wanted, configured)?;
            if state.is_some_and(|s| (s == ItemState::Closed) != picked.is_closed) {
                return Err(ConnectorError::Conflict(format!(
                    "invalid_transition: status {:?} does not match the requested state",
                    picked.name
                )));
            }
            Some(picked.id)
        }
    };
    let categories = if patch.labels.is_some() {
        Some(api.categories()?)
    } else {
        None
    };
    patch_wp(cfg, api, id, patch.expected_version.as_deref(), |b| {
        if let Some(t) = &patch.title {
            if t.trim().is_empty() {
                return Err(ConnectorError::invalid_input("a title is required"));
            }
            b.insert("subject".into(), json!(t));
        }
        if let Some(body) = &patch.body {
            b.insert("description".into(), markdown(body));
        }
        if let Some(s) = status {
            set_link(
                b,
                "status",
                json!({"href": format!("/api/v3/statuses/{s}")}),
            );
        }
        if let (Some(labels), Some(cats)) = (&patch.labels, &categories) {
            set_link(b, "category", category_link(cats, labels));
        }
        if let Some(a) = &patch.assignees {
            set_link(b, "assignee", assignee_link(a));
        }
        if let Some(m) = &patch.milestone_ref {
            set_link(b, "version", ref_link("versions", m.as_deref())?);
        }
        if let Some(p) = &patch.parent_ref {
            set_link(b, "parent", ref_link("work_packages", p.as_deref())?);
        }
        set_dates(b, patch.extras.as_deref(), WP_DATES)
    })
}

/// Closes a work package (closed status) or a version (status `closed`).
pub fn close(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    state(cfg, kind, id, true)
}

/// Reopens a work package (reopen status) or a version (status `open`).
pub fn reopen(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    state(cfg, kind, id, false)
}

fn state(cfg: &Settings, kind: Kind, id: &str, closed: bool) -> Result<Item, ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => set_state(cfg, &api, id, closed, None),
        Kind::Milestone => version_to_item(
            cfg,
            &api.update_version(
                id,
                &json!({"status": if closed { "closed" } else { "open" }}),
            )?,
        ),
        _ => Err(ConnectorError::unsupported(format!(
            "close/reopen for {kind:?} on OpenProject"
        ))),
    }
}

/// Deletes a work package or a version.
pub fn delete(cfg: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => api.delete_work_package(id),
        Kind::Milestone => api.delete_version(id),
        Kind::Label => Err(categories_read_only()),
        Kind::Project => Err(ConnectorError::unsupported(
            "the connector does not delete projects",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_dates_become_the_work_package_and_version_fields() {
        let mut b = Map::new();
        set_dates(
            &mut b,
            Some(r#"{"start_date": "2027-03-01", "due_date": null, "id": 3}"#),
            WP_DATES,
        )
        .unwrap();
        assert_eq!(
            Value::Object(b),
            json!({"startDate": "2027-03-01", "dueDate": null}),
            "null clears"
        );
        let mut b = Map::new();
        set_dates(&mut b, Some(r#"{"due_date": "2027-03-05"}"#), WP_DATES).unwrap();
        assert_eq!(
            Value::Object(b),
            json!({"dueDate": "2027-03-05"}),
            "absent: kept"
        );
        let mut v = json!({"name": "v1"});
        version_dates(&mut v, Some(r#"{"due_date": "2027-03-05"}"#)).unwrap();
        assert_eq!(v, json!({"name": "v1", "endDate": "2027-03-05"}));
        assert!(set_dates(&mut Map::new(), Some("[]"), WP_DATES).is_err());
    }
}
