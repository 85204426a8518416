//! Reads and writes: cards (create, patch, close by moving to the done list or archiving,
//! reopen, delete), labels (create, rename/recolor, delete) and the board (read only).

use elder_connector_sdk::{ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem};
use serde_json::{Map, Value, json};

use crate::mapping::{
    board_to_item, card_closed, card_to_item, extras_params, label_to_item, target_list,
};
use crate::model::{Card, Label, List};
use crate::settings::api::Api;
use crate::settings::{CloseMode, Settings};

type Params = Map<String, Value>;

/// Reads one item.
pub fn get(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => {
            let card = api.card(id)?;
            card_to_item(cfg, &card, &api.lists()?)
        }
        Kind::Label => Ok(label_to_item(&api.label(id)?, None)),
        Kind::Project if id == cfg.board_id => board_to_item(&api.board()?),
        Kind::Project => Err(ConnectorError::NotFound(format!(
            "board {id} is not the configured board"
        ))),
        Kind::Milestone => Err(ConnectorError::unsupported("Trello has no milestones")),
    }
}

/// The ids of labels named `names`, creating the missing ones on the board.
fn label_ids(api: &Api, names: &[String]) -> Result<Vec<String>, ConnectorError> {
    let mut board = api.labels()?;
    let mut ids = Vec::new();
    for name in names {
        let found = board
            .iter()
            .find(|l| l.display_name() == *name)
            .or_else(|| {
                board
                    .iter()
                    .find(|l| l.display_name().eq_ignore_ascii_case(name))
            });
        let id = match found {
            Some(l) => l.id.clone(),
            None => {
                let created = api.create_label(name, None)?;
                let id = created.id.clone();
                board.push(created);
                id
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn color_of(extras: &str) -> Result<Option<String>, ConnectorError> {
    if extras.trim().is_empty() {
        return Ok(None);
    }
    let v: Value = serde_json::from_str(extras)
        .map_err(|_| ConnectorError::invalid_input("extras must be a JSON object"))?;
    // A palette name under `trello_color` (or `color`); the shared `#rrggbb` is no name.
    Ok(v.get("trello_color")
        .or_else(|| v.get("color"))
        .and_then(Value::as_str)
        .filter(|c| !c.starts_with('#'))
        .map(str::to_string))
}

/// Creates a card (in the first open list) or a label.
pub fn create(cfg: &Settings, new: NewItem) -> Result<Item, ConnectorError> {
    let api = Api::new(cfg);
    match new.kind {
        Kind::Issue => create_card(cfg, &api, new),
        Kind::Label => {
            if new.title.trim().is_empty() {
                return Err(ConnectorError::invalid_input("a label needs a name"));
            }
            Ok(label_to_item(
                &api.create_label(&new.title, color_of(&new.extras)?.as_deref())?,
                None,
            ))
        }
        Kind::Project => Err(ConnectorError::unsupported(
            "the connector syncs one configured board",
        )),
        Kind::Milestone => Err(ConnectorError::unsupported("Trello has no milestones")),
    }
}

fn create_card(cfg: &Settings, api: &Api, new: NewItem) -> Result<Item, ConnectorError> {
    if new.title.trim().is_empty() {
        return Err(ConnectorError::invalid_input("a card needs a name"));
    }
    let lists = api.lists()?;
    let list = target_list(cfg, &lists, false, None).ok_or_else(|| {
        ConnectorError::invalid_input("the board has no open list to create cards in")
    })?;
    let mut p = Params::new();
    p.insert("idList".into(), json!(list.id));
    p.insert("name".into(), json!(new.title));
    p.insert("desc".into(), json!(new.body));
    p.insert("idLabels".into(), json!(label_ids(api, &new.labels)?));
    p.insert("idMembers".into(), json!(new.assignees));
    extras_params(&new.extras, &mut p)?;
    let card = api.create_card(&p)?;
    if new.state == ItemState::Closed {
        return close_card(cfg, api, card, &lists);
    }
    card_to_item(cfg, &card, &lists)
}

/// Whether the card's list is one that closes (archiving aside).
fn in_closing_list(cfg: &Settings, card: &Card, lists: &[List]) -> bool {
    card_closed(
        cfg,
        &Card {
            closed: false,
            ..card.clone()
        },
        lists,
    )
}

/// The parameters that close a card (empty when it already is closed).
fn close_params(cfg: &Settings, card: &Card, lists: &[List], status: Option<&str>) -> Params {
    let mut p = Params::new();
    if cfg.close_mode == CloseMode::Archive {
        if !card.closed {
            p.insert("closed".into(), json!(true));
        }
        return p;
    }
    let in_done = in_closing_list(cfg, card, lists);
    match target_list(cfg, lists, true, status) {
        Some(l) if l.id != card.id_list && (!in_done || status.is_some()) => {
            p.insert("idList".into(), json!(l.id));
        }
        Some(_) => {}
        None if !in_done && !card.closed => {
            p.insert("closed".into(), json!(true));
        }
        None => {}
    }
    p
}

/// The parameters that reopen a card.
fn reopen_params(
    cfg: &Settings,
    card: &Card,
    lists: &[List],
    status: Option<&str>,
) -> Result<Params, ConnectorError> {
    let mut p = Params::new();
    if card.closed {
        p.insert("closed".into(), json!(false));
    }
    let in_done = in_closing_list(cfg, card, lists);
    let wants_other = status.is_some_and(|s| {
        lists
            .iter()
            .find(|l| l.id == card.id_list)
            .is_none_or(|l| !l.name.eq_ignore_ascii_case(s))
    });
    if in_done || wants_other {
        let l = target_list(cfg, lists, false, status).ok_or_else(|| {
            ConnectorError::invalid_input("the board has no open list to reopen the card in")
        })?;
        p.insert("idList".into(), json!(l.id));
    }
    Ok(p)
}

fn close_card(
    cfg: &Settings,
    api: &Api,
    card: Card,
    lists: &[List],
) -> Result<Item, ConnectorError> {
    let p = close_params(cfg, &card, lists, None);
    let card = if p.is_empty() {
        card
    } else {
        api.update_card(&card.id, &p)?
    };
    card_to_item(cfg, &card, lists)
}

/// Applies a patch to a card or a label.
pub fn update(
    cfg: &Settings,
    kind: Kind,
    id: &str,
    patch: ItemPatch,
) -> Result<Item, ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => update_card(cfg, &api, id, patch),
        Kind::Label => {
            let mut p = Params::new();
            if let Some(t) = patch.title {
                p.insert("name".into(), json!(t));
            }
            if let Some(c) = patch.extras.as_deref().map(color_of).transpose()?.flatten() {
                p.insert("color".into(), json!(c));
            }
            let label: Label = if p.is_empty() {
                api.label(id)?
            } else {
                api.update_label(id, &p)?
            };
            Ok(label_to_item(&label, None))
        }
        Kind::Project => Err(ConnectorError::unsupported(
            "the board is read-only for the connector",
        )),
        Kind::Milestone => Err(ConnectorError::unsupported("Trello has no milestones")),
    }
}

fn update_card(
    cfg: &Settings,
    api: &Api,
    id: &str,
    patch: ItemPatch,
) -> Result<Item, ConnectorError> {
    let card = api.card(id)?;
    let lists = api.lists()?;
    let mut p = Params::new();
    if let Some(t) = &patch.title {
        if t.trim().is_empty() {
            return Err(ConnectorError::invalid_input("a card needs a name"));
        }
        p.insert("name".into(), json!(t));
    }
    if let Some(b) = &patch.body {
        p.insert("desc".into(), json!(b));
    }
    if let Some(labels) = &patch.labels {
        p.insert("idLabels".into(), json!(label_ids(api, labels)?));
    }
    if let Some(a) = &patch.assignees {
        p.insert("idMembers".into(), json!(a));
    }
    if let Some(e) = &patch.extras {
        extras_params(e, &mut p)?;
    }
    let status = patch.status_name.as_deref();
    let wants_closed = match (patch.state, status) {
        (Some(s), _) => Some(s == ItemState::Closed),
        (None, Some(name)) => {
            let l = lists
                .iter()
                .find(|l| !l.closed && l.name.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    // A status the board has no list for: the engine records an
                    // invalid_transition conflict instead of retrying the write.
                    ConnectorError::Conflict(format!(
                        "invalid_transition: the board has no list named {name:?}"
                    ))
                })?;
            Some(cfg.list_closes(&l.id, &l.name))
        }
        (None, None) => None,
    };
    match wants_closed {
        Some(true) => p.extend(close_params(cfg, &card, &lists, status)),
        Some(false) => p.extend(reopen_params(cfg, &card, &lists, status)?),
        None => {}
    }
    let card = if p.is_empty() {
        card
    } else {
        api.update_card(id, &p)?
    };
    card_to_item(cfg, &card, &lists)
}

/// Closes a card.
pub fn close(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    if kind != Kind::Issue {
        return Err(ConnectorError::unsupported(format!(
            "close for {kind:?} on Trello"
        )));
    }
    let api = Api::new(cfg);
    let card = api.card(id)?;
    let lists = api.lists()?;
    close_card(cfg, &api, card, &lists)
}

/// Reopens a card: unarchives it and moves it out of a closing list.
pub fn reopen(cfg: &Settings, kind: Kind, id: &str) -> Result<Item, ConnectorError> {
    if kind != Kind::Issue {
        return Err(ConnectorError::unsupported(format!(
            "reopen for {kind:?} on Trello"
        )));
    }
    let api = Api::new(cfg);
    let card = api.card(id)?;
    let lists = api.lists()?;
    let p = reopen_params(cfg, &card, &lists, None)?;
    let card = if p.is_empty() {
        card
    } else {
        api.update_card(id, &p)?
    };
    card_to_item(cfg, &card, &lists)
}

/// Deletes a card or a label.
pub fn delete(cfg: &Settings, kind: Kind, id: &str) -> Result<(), ConnectorError> {
    let api = Api::new(cfg);
    match kind {
        Kind::Issue => api.delete_card(id),
        Kind::Label => api.delete_label(id),
        _ => Err(ConnectorError::unsupported(format!(
            "delete for {kind:?} on Trello"
        ))),
    }
}
