//! Trello <-> canonical items: cards as issues (list -> state and status name), labels as
//! labels, the board as the project; and canonical writes as Trello card parameters.

use elder_connector_sdk::{ConnectorError, Item, ItemState, Kind, time};
use serde_json::{Map, Value, json};

use crate::model::{Board, Card, Label, List, id_created_ms};
use crate::settings::Settings;

fn ms(text: &str) -> Result<i64, ConnectorError> {
    time::parse_timestamp(text)
        .map_err(|e| ConnectorError::internal(format!("unreadable Trello date {text:?}: {e}")))
}

fn blank(kind: Kind, external_id: String, title: String) -> Item {
    Item::new(kind, external_id, title, ItemState::Open, 0)
}

/// Whether a card counts as closed: archived, or in a list that closes.
pub fn card_closed(cfg: &Settings, card: &Card, lists: &[List]) -> bool {
    let name = lists
        .iter()
        .find(|l| l.id == card.id_list)
        .map(|l| l.name.as_str())
        .unwrap_or_default();
    card.closed || cfg.list_closes(&card.id_list, name)
}

/// A card as a canonical issue.
pub fn card_to_item(cfg: &Settings, card: &Card, lists: &[List]) -> Result<Item, ConnectorError> {
    let list_name = lists
        .iter()
        .find(|l| l.id == card.id_list)
        .map(|l| l.name.clone());
    let mut item = blank(Kind::Issue, card.id.clone(), card.name.clone());
    item.body = card.desc.clone();
    item.state = if card_closed(cfg, card, lists) {
        ItemState::Closed
    } else {
        ItemState::Open
    };
    item.status_name = list_name;
    item.labels = card.labels.iter().map(Label::display_name).collect();
    item.assignees = card.id_members.clone();
    item.parent_ref = Some(
        card.id_board
            .clone()
            .unwrap_or_else(|| cfg.board_id.clone()),
    );
    item.url = card.url.clone();
    item.updated_at = ms(&card.date_last_activity)?;
    item.version = Some(card.date_last_activity.clone());
    let comment_count = card.badges.as_ref().and_then(|b| b.comments);
    // The shared dates are the UTC calendar dates of the card's `start` and `due`.
    item.extras = json!({"idList": card.id_list, "archived": card.closed,
                         "start_date": utc_date(card.start.as_deref()),
                         "due_date": utc_date(card.due.as_deref()),
                         "idShort": card.id_short, "comment_count": comment_count})
    .to_string();
    Ok(item)
}

/// The UTC calendar date (`YYYY-MM-DD`) of a Trello date-time, `None` when unset or
/// unreadable.
fn utc_date(datetime: Option<&str>) -> Option<String> {
    let ms = time::parse_timestamp(datetime?).ok()?;
    time::format_rfc3339(ms).get(..10).map(str::to_string)
}

/// The date-time Trello is sent for a shared date: noon UTC, so the date reads the same in
/// every time zone.
pub fn noon_utc(date: &str) -> String {
    format!("{date}T12:00:00.000Z")
}

/// A label as a canonical label.
pub fn label_to_item(label: &Label, updated_at: Option<i64>) -> Item {
    let mut item = blank(Kind::Label, label.id.clone(), label.display_name());
    item.updated_at = updated_at.or_else(|| id_created_ms(&label.id)).unwrap_or(0);
    // Trello's colour is a palette name (`green`, `red`...), not the shared `#rrggbb`
    // colour: kept under a key of its own, so it never reaches other platforms as a
    // colour they would misread (a nearest-palette mapping would recolour their labels).
    item.extras = json!({"trello_color": label.color}).to_string();
    item
}

/// The board as the canonical project.
pub fn board_to_item(board: &Board) -> Result<Item, ConnectorError> {
    let mut item = blank(Kind::Project, board.id.clone(), board.name.clone());
    item.body = board.desc.clone();
    item.state = if board.closed {
        ItemState::Closed
    } else {
        ItemState::Open
    };
    item.url = board.url.clone();
    let updated = board.date_last_activity.as_deref().map(ms).transpose()?;
    item.updated_at = updated.or_else(|| id_created_ms(&board.id)).unwrap_or(0);
    item.version = board.date_last_activity.clone();
    Ok(item)
}

/// The list a card should move to for `state` (and an optional wanted status name):
/// `None` means "archive" when closing without a done list, or "stay" when already fine.
pub fn target_list<'a>(
    cfg: &Settings,
    lists: &'a [List],
    closed: bool,
    status_name: Option<&str>,
) -> Option<&'a List> {
    let open_lists = || lists.iter().filter(|l| !l.closed);
    if let Some(wanted) = status_name
        && let Some(l) = open_lists().find(|l| l.name.eq_ignore_ascii_case(wanted.trim()))
        && cfg.list_closes(&l.id, &l.name) == closed
    {
        return Some(l);
    }
    open_lists().find(|l| cfg.list_closes(&l.id, &l.name) == closed)
}

/// Trello's card date fields for the shared dates.
const CARD_DATES: [(&str, &str); 2] = [("start_date", "start"), ("due_date", "due")];

/// The extras a write may set: the shared `start_date`/`due_date` (`YYYY-MM-DD`, sent at
/// noon UTC; `null` clears), else a raw `due` (ISO date or null).
pub fn extras_params(extras: &str, params: &mut Map<String, Value>) -> Result<(), ConnectorError> {
    raw_due_param(extras, params)?;
    let Some(obj) = extras_object(extras)? else {
        return Ok(());
    };
    for (key, own) in CARD_DATES {
        let v = match obj.get(key) {
            None => continue,
            Some(Value::Null) => Value::Null,
            Some(Value::String(d)) if is_date(d) => Value::from(noon_utc(d)),
            Some(other) => {
                return Err(ConnectorError::invalid_input(format!(
                    "extras.{key} must be a date YYYY-MM-DD or null, got {other}"
                )));
            }
        };
        params.insert(own.into(), v);
    }
    Ok(())
}

/// True for `YYYY-MM-DD` (digits and dashes in place).
fn is_date(s: &str) -> bool {
    s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// The extras object of a write, `None` when the text is empty.
fn extras_object(extras: &str) -> Result<Option<Map<String, Value>>, ConnectorError> {
    if extras.trim().is_empty() {
        return Ok(None);
    }
    match serde_json::from_str(extras) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        _ => Err(ConnectorError::invalid_input(
            "extras must be a JSON object",
        )),
    }
}

/// A raw `due` of extras (an ISO date-time or null).
fn raw_due_param(extras: &str, params: &mut Map<String, Value>) -> Result<(), ConnectorError> {
    let Some(obj) = extras_object(extras)? else {
        return Ok(());
    };
    if let Some(due) = obj.get("due") {
        if !(due.is_null() || due.is_string()) {
            return Err(ConnectorError::invalid_input(
                "extras.due must be an ISO date or null",
            ));
        }
        params.insert("due".into(), due.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::ConfigEntry;

    fn cfg(extra: &[(&str, &str)]) -> Settings {
        let mut c = vec![ConfigEntry {
            key: "board_id".into(),
            value: "b1".into(),
        }];
        c.extend(extra.iter().map(|(k, v)| ConfigEntry {
            key: (*k).into(),
            value: (*v).into(),
        }));
        elder_connector_sdk::settings::parse::<Settings>(&c).unwrap()
    }

    fn lists() -> Vec<List> {
        [("l1", "To Do"), ("l2", "Doing"), ("l3", "Done")]
            .iter()
            .map(|(id, n)| List {
                id: (*id).into(),
                name: (*n).into(),
                closed: false,
            })
            .collect()
    }

    fn card(list: &str, archived: bool) -> Card {
        serde_json::from_value(json!({
            "id": "5f1e2d3c4b5a69788796a5b4", "name": "Fix login", "desc": "**bold**", "closed": archived,
            "idList": list, "idBoard": "b1", "idMembers": ["m1"], "due": null, "idShort": 7,
            "labels": [{"id": "x1", "name": "bug", "color": "red"}, {"id": "x2", "name": "", "color": "green"}],
            "url": "https://trello.com/c/abc/7-fix-login", "dateLastActivity": "2026-02-03T04:05:06.789Z"
        }))
        .unwrap()
    }

    #[test]
    fn a_cards_comment_badge_is_its_comment_count_hint() {
        let mut c = card("l2", false);
        let extras = |c: &Card| -> Value {
            serde_json::from_str(&card_to_item(&cfg(&[]), c, &lists()).unwrap().extras).unwrap()
        };
        assert_eq!(extras(&c)["comment_count"], Value::Null);
        c.badges = Some(crate::model::Badges { comments: Some(3) });
        assert_eq!(extras(&c)["comment_count"], 3);
    }

    #[test]
    fn a_card_maps_to_an_issue_with_its_list_as_status() {
        let item = card_to_item(&cfg(&[]), &card("l2", false), &lists()).unwrap();
        assert_eq!(item.kind, Kind::Issue);
        assert_eq!(item.title, "Fix login");
        assert_eq!(item.body, "**bold**");
        assert_eq!(item.state, ItemState::Open);
        assert_eq!(item.status_name.as_deref(), Some("Doing"));
        assert_eq!(item.labels, vec!["bug", "green"]);
        assert_eq!(item.assignees, vec!["m1"]);
        assert_eq!(item.parent_ref.as_deref(), Some("b1"));
        assert_eq!(item.updated_at, 1_770_091_506_789);
        assert_eq!(item.version.as_deref(), Some("2026-02-03T04:05:06.789Z"));
        let extras: Value = serde_json::from_str(&item.extras).unwrap();
        assert_eq!(extras["idList"], "l2");
    }

    #[test]
    fn done_list_or_archive_means_closed() {
        assert_eq!(
            card_to_item(&cfg(&[]), &card("l3", false), &lists())
                .unwrap()
                .state,
            ItemState::Closed
        );
        assert_eq!(
            card_to_item(&cfg(&[]), &card("l1", true), &lists())
                .unwrap()
                .state,
            ItemState::Closed
        );
        let custom = cfg(&[("done_lists", "Doing")]);
        assert_eq!(
            card_to_item(&custom, &card("l2", false), &lists())
                .unwrap()
                .state,
            ItemState::Closed
        );
        assert_eq!(
            card_to_item(&custom, &card("l3", false), &lists())
                .unwrap()
                .state,
            ItemState::Open
        );
    }

    #[test]
    fn target_list_prefers_the_wanted_status_in_the_right_state() {
        let c = cfg(&[]);
        let ls = lists();
        assert_eq!(
            target_list(&c, &ls, true, None).map(|l| l.id.as_str()),
            Some("l3")
        );
        assert_eq!(
            target_list(&c, &ls, false, None).map(|l| l.id.as_str()),
            Some("l1")
        );
        assert_eq!(
            target_list(&c, &ls, false, Some("doing")).map(|l| l.id.as_str()),
            Some("l2")
        );
        assert_eq!(
            target_list(&c, &ls, true, Some("Doing")).map(|l| l.id.as_str()),
            Some("l3")
        );
        assert!(target_list(&c, &ls[..2], true, None).is_none());
    }

    #[test]
    fn an_unreadable_date_is_an_error_not_a_panic() {
        let mut c = card("l1", false);
        c.date_last_activity = "yesterday".into();
        assert!(matches!(
            card_to_item(&cfg(&[]), &c, &lists()),
            Err(ConnectorError::Internal(_))
        ));
    }

    #[test]
    fn shared_dates_are_the_utc_dates_of_due_and_start_and_go_back_at_noon() {
        let mut c = card("l1", false);
        c.due = Some("2027-03-05T23:30:00.000-03:00".into());
        c.start = Some("2027-03-01T12:00:00.000Z".into());
        let it = card_to_item(&cfg(&[]), &c, &lists()).unwrap();
        let x: Value = serde_json::from_str(&it.extras).unwrap();
        assert_eq!(x["due_date"], "2027-03-06", "the date in UTC");
        assert_eq!(x["start_date"], "2027-03-01");
        let undated = card_to_item(&cfg(&[]), &card("l1", false), &lists()).unwrap();
        let x: Value = serde_json::from_str(&undated.extras).unwrap();
        assert_eq!(
            (&x["due_date"], &x["start_date"]),
            (&Value::Null, &Value::Null)
        );
        let mut p = Map::new();
        extras_params(r#"{"due_date": "2027-03-05", "start_date": null}"#, &mut p).unwrap();
        assert_eq!(
            Value::Object(p),
            json!({"due": "2027-03-05T12:00:00.000Z", "start": null}),
            "noon UTC; null clears"
        );
        assert!(extras_params(r#"{"due_date": "05/03/2027"}"#, &mut Map::new()).is_err());
    }

    #[test]
    fn extras_carry_the_due_date_only_when_well_formed() {
        let mut p = Map::new();
        extras_params(r#"{"due": "2026-05-01T00:00:00Z", "other": 1}"#, &mut p).unwrap();
        assert_eq!(p.get("due"), Some(&json!("2026-05-01T00:00:00Z")));
        assert!(extras_params(r#"{"due": 5}"#, &mut p).is_err());
        assert!(extras_params("[", &mut p).is_err());
    }
}
