//! Webhook deliveries (already authenticated by the host) as change events:
//! `work_package:created|updated`, `project:created|updated`, and
//! `work_package_comment:comment` as an update of the commented work package (the host
//! reads its comments); other actions are ignored.
//! The payload's work package lacks its statuses' `isClosed`, so the host re-reads it.

use elder_connector_sdk::{Change, ChangeAction, ConnectorError, Kind, time};
use serde_json::Value;

use crate::model::Delivery;

fn event(kind: Kind, v: &Value, action: ChangeAction) -> Result<Change, ConnectorError> {
    let id = v
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| ConnectorError::invalid_input("webhook resource without an id"))?;
    let stamp = v
        .get("updatedAt")
        .and_then(Value::as_str)
        .ok_or_else(|| ConnectorError::invalid_input("webhook resource without updatedAt"))?;
    let occurred_at = time::parse_timestamp(stamp)
        .map_err(|e| ConnectorError::invalid_input(format!("updatedAt: {e}")))?;
    Ok(Change {
        kind,
        external_id: id.to_string(),
        action,
        item: None,
        occurred_at,
    })
}

/// A comment: its work package (from the activity's link) changed, no item to apply.
fn comment_event(d: &Delivery) -> Result<Change, ConnectorError> {
    let a = d
        .activity
        .as_ref()
        .ok_or_else(|| ConnectorError::invalid_input("comment event without activity"))?;
    let wp = a
        .links
        .work_package
        .id()
        .filter(|id| id.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| ConnectorError::invalid_input("comment event without its work package"))?;
    let occurred_at = time::parse_timestamp(&a.created_at)
        .map_err(|e| ConnectorError::invalid_input(format!("activity createdAt: {e}")))?;
    Ok(Change {
        kind: Kind::Issue,
        external_id: wp,
        action: ChangeAction::Updated,
        item: None,
        occurred_at,
    })
}

/// Parses a delivery body.
pub fn parse(body: &[u8]) -> Result<Vec<Change>, ConnectorError> {
    let d: Delivery = serde_json::from_slice(body).map_err(|e| {
        ConnectorError::invalid_input(format!("not an OpenProject webhook body: {e}"))
    })?;
    if d.action == "work_package_comment:comment" {
        return comment_event(&d).map(|c| vec![c]);
    }
    let (resource, verb) = d.action.split_once(':').unwrap_or((d.action.as_str(), ""));
    let action = match verb {
        "created" => ChangeAction::Created,
        "updated" => ChangeAction::Updated,
        _ => return Ok(Vec::new()),
    };
    let missing =
        |what: &str| ConnectorError::invalid_input(format!("{} without {what}", d.action));
    match resource {
        "work_package" => Ok(vec![event(
            Kind::Issue,
            d.work_package
                .as_ref()
                .ok_or_else(|| missing("work_package"))?,
            action,
        )?]),
        "project" => Ok(vec![event(
            Kind::Project,
            d.project.as_ref().ok_or_else(|| missing("project"))?,
            action,
        )?]),
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn work_package_and_project_events_map() {
        let c = parse(&body(json!({"action": "work_package:created", "work_package": {"id": 7, "updatedAt": "2014-08-29T12:40:53Z"}}))).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (
                c[0].kind,
                c[0].external_id.as_str(),
                c[0].action,
                c[0].occurred_at
            ),
            (Kind::Issue, "7", ChangeAction::Created, 1_409_316_053_000)
        );
        let c = parse(&body(json!({"action": "project:updated", "project": {"id": 3, "updatedAt": "2014-08-29T12:40:53Z"}}))).unwrap();
        assert_eq!(
            (c[0].kind, c[0].action),
            (Kind::Project, ChangeAction::Updated)
        );
    }

    #[test]
    fn a_comment_is_an_update_of_its_work_package_without_an_item() {
        let c = parse(&body(
            json!({"action": "work_package_comment:comment", "activity": {
            "id": 40, "comment": {"raw": "hi"}, "createdAt": "2014-08-29T12:40:53Z",
            "_links": {"workPackage": {"href": "/api/v3/work_packages/7"}}}}),
        ))
        .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (
                c[0].kind,
                c[0].external_id.as_str(),
                c[0].action,
                c[0].item.is_none()
            ),
            (Kind::Issue, "7", ChangeAction::Updated, true)
        );
        assert_eq!(c[0].occurred_at, 1_409_316_053_000);
        assert!(matches!(
            parse(&body(
                json!({"action": "work_package_comment:comment", "activity": {"id": 1}})
            )),
            Err(ConnectorError::InvalidInput(_))
        ));
    }

    #[test]
    fn unknown_actions_are_ignored_and_garbage_is_rejected() {
        assert!(
            parse(&body(json!({"action": "time_entry:created"})))
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            parse(b"<xml/>"),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert!(matches!(
            parse(&body(json!({"action": "work_package:updated"}))),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
