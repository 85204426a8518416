//! OpenProject <-> canonical items: work packages as issues (status link -> state via
//! the statuses' `isClosed`), versions as milestones, categories as labels, the project as
//! the project; and canonical writes as HAL bodies.

use elder_connector_sdk::{ConnectorError, Item, ItemState, Kind, time};
use serde_json::{Map, Value, json};

use crate::model::{Category, Formattable, Project, Status, Version, WorkPackage};
use crate::settings::Settings;

fn ms(text: &str) -> Result<i64, ConnectorError> {
    time::parse_timestamp(text)
        .map_err(|e| ConnectorError::internal(format!("unreadable OpenProject time {text:?}: {e}")))
}

fn raw(f: &Option<Formattable>) -> String {
    f.as_ref().and_then(|f| f.raw.clone()).unwrap_or_default()
}

fn blank(kind: Kind, external_id: String, title: String) -> Item {
    Item::new(kind, external_id, title, ItemState::Open, 0)
}

/// A work package as a canonical issue.
pub fn wp_to_item(
    cfg: &Settings,
    wp: &WorkPackage,
    statuses: &[Status],
) -> Result<Item, ConnectorError> {
    let status_id = wp.links.status.id();
    let status = statuses
        .iter()
        .find(|s| Some(s.id.to_string()) == status_id);
    let mut item = blank(Kind::Issue, wp.id.to_string(), wp.subject.clone());
    item.body = raw(&wp.description);
    item.state = if status.is_some_and(|s| s.is_closed) {
        ItemState::Closed
    } else {
        ItemState::Open
    };
    item.status_name = status
        .map(|s| s.name.clone())
        .or_else(|| wp.links.status.title.clone());
    item.labels = wp.links.category.title.clone().into_iter().collect();
    item.assignees = wp.links.assignee.id().into_iter().collect();
    item.milestone_ref = wp.links.version.id();
    item.parent_ref = wp.links.parent.id();
    item.url = Some(format!("{}/work_packages/{}", cfg.base_url, wp.id));
    item.updated_at = ms(&wp.updated_at)?;
    item.version = Some(wp.lock_version.to_string());
    // The work package's `startDate`/`dueDate` are the shared dates.
    item.extras = json!({"lockVersion": wp.lock_version, "type": wp.links.kind.title,
        "project": wp.links.project.id(), "start_date": wp.start_date, "due_date": wp.due_date})
    .to_string();
    Ok(item)
}

/// A version as a canonical milestone.
pub fn version_to_item(cfg: &Settings, v: &Version) -> Result<Item, ConnectorError> {
    let mut item = blank(Kind::Milestone, v.id.to_string(), v.name.clone());
    item.body = raw(&v.description);
    item.state = if v.status == "closed" {
        ItemState::Closed
    } else {
        ItemState::Open
    };
    // A version's status (open, locked, closed) is its state, not a workflow status: it
    // carries no status name (`closed` would read as Elder's `Done` through the defaults).
    item.parent_ref = v.links.defining_project.id();
    item.url = Some(format!("{}/versions/{}", cfg.base_url, v.id));
    item.updated_at = ms(&v.updated_at)?;
    item.version = Some(v.updated_at.clone());
    // The version's start and finish ("effective") dates are the shared dates.
    item.extras = json!({"start_date": v.start_date, "due_date": v.end_date}).to_string();
    Ok(item)
}

/// A category as a canonical label (categories carry no timestamps).
pub fn category_to_item(c: &Category) -> Item {
    blank(Kind::Label, c.id.to_string(), c.name.clone())
}

/// The project as the canonical project.
pub fn project_to_item(cfg: &Settings, p: &Project) -> Result<Item, ConnectorError> {
    let mut item = blank(Kind::Project, p.id.to_string(), p.name.clone());
    item.body = raw(&p.description);
    item.state = if p.active {
        ItemState::Open
    } else {
        ItemState::Closed
    };
    item.url = Some(format!("{}/projects/{}", cfg.base_url, p.identifier));
    item.updated_at = ms(&p.updated_at)?;
    item.version = Some(p.updated_at.clone());
    item.extras = json!({"identifier": p.identifier}).to_string();
    Ok(item)
}

/// `{format: markdown, raw}`.
pub fn markdown(text: &str) -> Value {
    json!({"format": "markdown", "raw": text})
}

/// A link to `/api/v3/<collection>/<id>`, or a null link.
pub fn link(collection: &str, id: Option<&str>) -> Value {
    match id {
        Some(id) => json!({"href": format!("/api/v3/{collection}/{id}")}),
        None => json!({"href": null}),
    }
}

/// The status to move to: the wanted name, else the configured one, else the first
/// closed status (closing) or the default open one (reopening).
pub fn pick_status<'a>(
    statuses: &'a [Status],
    closed: bool,
    wanted: Option<&str>,
    configured: Option<&str>,
) -> Result<&'a Status, ConnectorError> {
    let named = |n: &str| {
        statuses
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(n.trim()) || s.id.to_string() == n.trim())
    };
    if let Some(w) = wanted {
        // A status the workflow does not have: the engine records an invalid_transition
        // conflict instead of retrying the write.
        return named(w).ok_or_else(|| {
            ConnectorError::Conflict(format!(
                "invalid_transition: OpenProject has no status {w:?}"
            ))
        });
    }
    if let Some(c) = configured {
        return named(c).ok_or_else(|| {
            ConnectorError::invalid_config(format!(
                "{} names no status: {c:?}",
                if closed {
                    "closed_status"
                } else {
                    "reopen_status"
                }
            ))
        });
    }
    let fallback = if closed {
        statuses.iter().find(|s| s.is_closed)
    } else {
        statuses
            .iter()
            .find(|s| s.is_default && !s.is_closed)
            .or_else(|| statuses.iter().find(|s| !s.is_closed))
    };
    fallback.ok_or_else(|| {
        ConnectorError::invalid_input(format!(
            "OpenProject has no {} status",
            if closed { "closed" } else { "open" }
        ))
    })
}

/// A category link for the first label naming a category (categories hold one value).
pub fn category_link(categories: &[Category], labels: &[String]) -> Value {
    let found = labels.iter().find_map(|l| {
        categories
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(l.trim()))
    });
    link("categories", found.map(|c| c.id.to_string()).as_deref())
}

/// An assignee link for the first numeric user id.
pub fn assignee_link(assignees: &[String]) -> Value {
    link(
        "users",
        assignees
            .iter()
            .find(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_digit()))
            .map(String::as_str),
    )
}

/// A reference (milestone, parent) as a link; ids must be numeric.
pub fn ref_link(collection: &str, id: Option<&str>) -> Result<Value, ConnectorError> {
    if let Some(id) = id
        && !id.chars().all(|c| c.is_ascii_digit())
    {
        return Err(ConnectorError::invalid_input(format!(
            "{id:?} is not an OpenProject {collection} id"
        )));
    }
    Ok(link(collection, id))
}

/// Adds `_links.<rel>` to a HAL body.
pub fn set_link(body: &mut Map<String, Value>, rel: &str, value: Value) {
    let links = body.entry("_links").or_insert_with(|| json!({}));
    links[rel] = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Settings {
        elder_connector_sdk::testing::settings::<crate::OpenProject>(&[
            ("base_url", "https://op.example.com"),
            ("project_id", "elder"),
        ])
        .unwrap()
    }

    fn statuses() -> Vec<Status> {
        serde_json::from_value(json!([
            {"id": 1, "name": "New", "isClosed": false, "isDefault": true},
            {"id": 7, "name": "In progress", "isClosed": false},
            {"id": 12, "name": "Closed", "isClosed": true},
            {"id": 14, "name": "Rejected", "isClosed": true}
        ]))
        .unwrap()
    }

    fn wp(status: u64) -> WorkPackage {
        serde_json::from_value(json!({
            "_type": "WorkPackage", "id": 42, "subject": "Fix it", "lockVersion": 3,
            "description": {"format": "markdown", "raw": "Some *text*", "html": "<p>..</p>"},
            "updatedAt": "2014-08-29T12:40:53Z",
            "_links": {
                "status": {"href": format!("/api/v3/statuses/{status}"), "title": "x"},
                "category": {"href": "/api/v3/categories/9", "title": "bug"},
                "version": {"href": "/api/v3/versions/4", "title": "1.0"},
                "assignee": {"href": "/api/v3/users/5", "title": "Ada"},
                "parent": {"href": null},
                "project": {"href": "/api/v3/projects/3"},
                "type": {"href": "/api/v3/types/1", "title": "Task"}
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_work_package_maps_with_its_links() {
        let item = wp_to_item(&cfg(), &wp(7), &statuses()).unwrap();
        assert_eq!(item.external_id, "42");
        assert_eq!(item.body, "Some *text*");
        assert_eq!(item.state, ItemState::Open);
        assert_eq!(item.status_name.as_deref(), Some("In progress"));
        assert_eq!(item.labels, vec!["bug"]);
        assert_eq!(item.assignees, vec!["5"]);
        assert_eq!(item.milestone_ref.as_deref(), Some("4"));
        assert_eq!(item.parent_ref, None);
        assert_eq!(item.version.as_deref(), Some("3"));
        assert_eq!(item.updated_at, 1_409_316_053_000);
        assert_eq!(
            item.url.as_deref(),
            Some("https://op.example.com/work_packages/42")
        );
    }

    #[test]
    fn work_package_dates_are_the_shared_dates() {
        let mut dated = wp(7);
        dated.start_date = Some("2027-03-01".into());
        dated.due_date = Some("2027-03-05".into());
        let x: Value =
            serde_json::from_str(&wp_to_item(&cfg(), &dated, &statuses()).unwrap().extras).unwrap();
        assert_eq!(
            (&x["start_date"], &x["due_date"]),
            (&json!("2027-03-01"), &json!("2027-03-05"))
        );
        assert!(x.get("dueDate").is_none(), "no platform-named copy");
        let x: Value =
            serde_json::from_str(&wp_to_item(&cfg(), &wp(7), &statuses()).unwrap().extras).unwrap();
        assert_eq!(
            (&x["start_date"], &x["due_date"]),
            (&Value::Null, &Value::Null)
        );
        assert!(
            x.as_object().unwrap().contains_key("due_date"),
            "held, unset"
        );
    }

    #[test]
    fn closed_statuses_close_the_item() {
        assert_eq!(
            wp_to_item(&cfg(), &wp(14), &statuses()).unwrap().state,
            ItemState::Closed
        );
        assert_eq!(
            wp_to_item(&cfg(), &wp(1), &statuses()).unwrap().state,
            ItemState::Open
        );
    }

    #[test]
    fn status_choice_honours_wanted_then_configured_then_defaults() {
        let s = statuses();
        assert_eq!(pick_status(&s, true, None, None).unwrap().id, 12);
        assert_eq!(pick_status(&s, false, None, None).unwrap().id, 1);
        assert_eq!(
            pick_status(&s, true, None, Some("Rejected")).unwrap().id,
            14
        );
        assert_eq!(
            pick_status(&s, true, Some("closed"), Some("Rejected"))
                .unwrap()
                .id,
            12
        );
        assert!(matches!(
            pick_status(&s, true, None, Some("Gone")),
            Err(ConnectorError::InvalidConfig(_))
        ));
        assert!(matches!(
            pick_status(&s, true, Some("Gone"), None),
            Err(ConnectorError::Conflict(m)) if m.starts_with("invalid_transition:")
        ));
    }

    #[test]
    fn labels_become_one_category_and_refs_must_be_numeric() {
        let cats = vec![
            Category {
                id: 9,
                name: "bug".into(),
            },
            Category {
                id: 10,
                name: "feature".into(),
            },
        ];
        assert_eq!(
            category_link(&cats, &["unknown".into(), "Feature".into(), "bug".into()]),
            json!({"href": "/api/v3/categories/10"})
        );
        assert_eq!(category_link(&cats, &[]), json!({"href": null}));
        assert_eq!(
            assignee_link(&["ada".into(), "5".into()]),
            json!({"href": "/api/v3/users/5"})
        );
        assert!(matches!(
            ref_link("versions", Some("v1.0")),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
