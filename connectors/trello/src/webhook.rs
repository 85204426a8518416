//! Webhook deliveries (already authenticated by the host) as change events: card
//! create/update/delete and label add/remove, board label create/update/delete, board
//! updates, and comments written, edited or deleted (an update of the card: the host reads
//! its comments). `updateCard` that archives or moves a card into a closing list is `closed`.

use elder_connector_sdk::{Change, ChangeAction, ConnectorError, Kind, time};
use serde::Deserialize;

use crate::model::Action;
use crate::settings::Settings;

#[derive(Deserialize)]
struct Delivery {
    action: Option<Action>,
}

/// Whether a list reference (`{id, name}`) is a closing list.
fn list_closes(cfg: &Settings, v: Option<&serde_json::Value>) -> Option<bool> {
    let v = v?;
    let id = v.get("id")?.as_str()?;
    Some(cfg.list_closes(
        id,
        v.get("name").and_then(|n| n.as_str()).unwrap_or_default(),
    ))
}

/// What an `updateCard` did.
fn card_update_action(cfg: &Settings, a: &Action) -> ChangeAction {
    let old = a.data.get("old");
    if let Some(was) = old.and_then(|o| o.get("closed")).and_then(|v| v.as_bool()) {
        let now = a
            .data
            .pointer("/card/closed")
            .and_then(|v| v.as_bool())
            .unwrap_or(!was);
        return match (was, now) {
            (false, true) => ChangeAction::Closed,
            (true, false) => ChangeAction::Reopened,
            _ => ChangeAction::Updated,
        };
    }
    if old.and_then(|o| o.get("idList")).is_some() {
        let before = list_closes(cfg, a.data.get("listBefore"));
        let after = list_closes(cfg, a.data.get("listAfter"));
        return match (before, after) {
            (Some(false), Some(true)) => ChangeAction::Closed,
            (Some(true), Some(false)) => ChangeAction::Reopened,
            _ => ChangeAction::Updated,
        };
    }
    ChangeAction::Updated
}

/// The event for one action, or `None` when it concerns nothing the connector syncs.
fn change_of(cfg: &Settings, a: &Action) -> Result<Option<Change>, ConnectorError> {
    let (kind, subject, action) = match a.kind.as_str() {
        "createCard" | "copyCard" | "convertToCardFromCheckItem" | "moveCardToBoard" => {
            (Kind::Issue, "card", ChangeAction::Created)
        }
        "updateCard" => (Kind::Issue, "card", card_update_action(cfg, a)),
        "deleteCard" => (Kind::Issue, "card", ChangeAction::Deleted),
        "addLabelToCard" | "removeLabelFromCard" | "addMemberToCard" | "removeMemberFromCard" => {
            (Kind::Issue, "card", ChangeAction::Updated)
        }
        "commentCard" | "updateComment" | "deleteComment" => {
            (Kind::Issue, "card", ChangeAction::Updated)
        }
        "createLabel" => (Kind::Label, "label", ChangeAction::Created),
        "updateLabel" => (Kind::Label, "label", ChangeAction::Updated),
        "deleteLabel" => (Kind::Label, "label", ChangeAction::Deleted),
        "updateBoard" => (Kind::Project, "board", ChangeAction::Updated),
        _ => return Ok(None),
    };
    let id = a.ref_id(subject).ok_or_else(|| {
        ConnectorError::invalid_input(format!("{} action without data.{subject}.id", a.kind))
    })?;
    let occurred_at = time::parse_timestamp(&a.date)
        .map_err(|e| ConnectorError::invalid_input(format!("action.date: {e}")))?;
    Ok(Some(Change {
        kind,
        external_id: id.to_string(),
        action,
        item: None,
        occurred_at,
    }))
}

/// Parses a delivery body `{action, model}`.
pub fn parse(cfg: &Settings, body: &[u8]) -> Result<Vec<Change>, ConnectorError> {
    let d: Delivery = serde_json::from_slice(body)
        .map_err(|e| ConnectorError::invalid_input(format!("not a Trello webhook body: {e}")))?;
    let Some(a) = d.action else {
        return Ok(Vec::new());
    };
    Ok(change_of(cfg, &a)?.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::ConfigEntry;
    use serde_json::json;

    fn cfg() -> Settings {
        elder_connector_sdk::settings::parse::<Settings>(&vec![ConfigEntry {
            key: "board_id".into(),
            value: "b1".into(),
        }])
        .unwrap()
    }

    fn body(kind: &str, data: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&json!({"action": {"id": "a1", "type": kind, "date": "2026-03-01T10:00:00.500Z", "data": data}, "model": {"id": "b1"}})).unwrap()
    }

    fn one(kind: &str, data: serde_json::Value) -> Change {
        let mut v = parse(&cfg(), &body(kind, data)).unwrap();
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn create_delete_and_labels_map_to_card_events() {
        let c = one("createCard", json!({"card": {"id": "c1"}}));
        assert_eq!(
            (c.kind, c.external_id.as_str(), c.action),
            (Kind::Issue, "c1", ChangeAction::Created)
        );
        assert_eq!(c.occurred_at, 1_772_359_200_500);
        assert_eq!(
            one("deleteCard", json!({"card": {"id": "c1"}})).action,
            ChangeAction::Deleted
        );
        assert_eq!(
            one(
                "addLabelToCard",
                json!({"card": {"id": "c1"}, "label": {"id": "l1"}})
            )
            .action,
            ChangeAction::Updated
        );
        assert_eq!(
            one(
                "removeLabelFromCard",
                json!({"card": {"id": "c1"}, "label": {"id": "l1"}})
            )
            .kind,
            Kind::Issue
        );
    }

    #[test]
    fn archiving_and_moves_into_done_close_and_back_reopen() {
        assert_eq!(
            one(
                "updateCard",
                json!({"card": {"id": "c1", "closed": true}, "old": {"closed": false}})
            )
            .action,
            ChangeAction::Closed
        );
        assert_eq!(
            one(
                "updateCard",
                json!({"card": {"id": "c1", "closed": false}, "old": {"closed": true}})
            )
            .action,
            ChangeAction::Reopened
        );
        let mv = |from: &str, to: &str| {
            one(
                "updateCard",
                json!({"card": {"id": "c1"}, "old": {"idList": "l1"},
                "listBefore": {"id": "l1", "name": from}, "listAfter": {"id": "l2", "name": to}}),
            )
            .action
        };
        assert_eq!(mv("Doing", "Done"), ChangeAction::Closed);
        assert_eq!(mv("Done", "To Do"), ChangeAction::Reopened);
        assert_eq!(mv("To Do", "Doing"), ChangeAction::Updated);
        assert_eq!(
            one(
                "updateCard",
                json!({"card": {"id": "c1", "name": "x"}, "old": {"name": "y"}})
            )
            .action,
            ChangeAction::Updated
        );
    }

    #[test]
    fn label_events_and_unrelated_actions() {
        assert_eq!(
            one("createLabel", json!({"label": {"id": "l1"}})).kind,
            Kind::Label
        );
        assert_eq!(
            one("deleteLabel", json!({"label": {"id": "l1"}})).action,
            ChangeAction::Deleted
        );
        assert!(
            parse(
                &cfg(),
                &body("addAttachmentToCard", json!({"card": {"id": "c1"}}))
            )
            .unwrap()
            .is_empty()
        );
        assert!(parse(&cfg(), b"{}").unwrap().is_empty());
    }

    #[test]
    fn comment_actions_are_updates_of_their_card_without_an_item() {
        for kind in ["commentCard", "updateComment", "deleteComment"] {
            let c = one(
                kind,
                json!({"card": {"id": "c1"}, "action": {"id": "a1"}, "text": "hi"}),
            );
            assert_eq!(
                (c.kind, c.external_id.as_str(), c.action, c.item.is_none()),
                (Kind::Issue, "c1", ChangeAction::Updated, true),
                "{kind}"
            );
        }
    }

    #[test]
    fn malformed_bodies_are_invalid_input() {
        assert!(matches!(
            parse(&cfg(), b"not json"),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert!(matches!(
            parse(&cfg(), &body("createCard", json!({}))),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
