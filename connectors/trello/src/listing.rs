//! `list-changes`: a backfill of the current cards or labels, then the board's action feed
//! since the cursor (newest first, paged backwards with `before`), then the touched
//! items' current state. Deletions come only from delete actions.

pub mod cursor;

use std::collections::HashMap;

use elder_connector_sdk::{ConnectorError, Item, Kind, Page, time};

use self::cursor::{Cursor, slice_feed};
use crate::mapping::{board_to_item, card_to_item, label_to_item};
use crate::model::{Action, CARD_ACTIONS, Card, LABEL_ACTIONS};
use crate::settings::Settings;
use crate::settings::api::{ACTION_PAGE, Api};

/// Cards fetched one by one up to this many; above it the whole board is read once.
const SINGLE_FETCH_MAX: usize = 5;

/// Lists changes of `kind` since `cursor`.
pub fn list_changes(
    cfg: &Settings,
    kind: Kind,
    cursor: Option<String>,
    page_size: u32,
) -> Result<Page, ConnectorError> {
    let api = Api::new(cfg);
    let page_size = page_size.clamp(1, 1000) as usize;
    match kind {
        Kind::Issue | Kind::Label => {
            let cursor = match cursor {
                Some(c) => Cursor::parse(&c)?,
                None => Cursor::Backfill {
                    anchor: newest_action(&api, types(kind))?,
                    after: None,
                },
            };
            match cursor {
                Cursor::Backfill { anchor, after } => {
                    backfill(cfg, &api, kind, anchor, after, page_size)
                }
                Cursor::Feed { anchor } => feed(cfg, &api, kind, anchor, page_size),
            }
        }
        Kind::Project => project(&api, cursor),
        Kind::Milestone => Err(ConnectorError::unsupported("Trello has no milestones")),
    }
}

fn types(kind: Kind) -> &'static [&'static str] {
    if kind == Kind::Label {
        LABEL_ACTIONS
    } else {
        CARD_ACTIONS
    }
}

fn newest_action(api: &Api, types: &[&str]) -> Result<Option<String>, ConnectorError> {
    Ok(api
        .actions(types, None, None, 1)?
        .into_iter()
        .next()
        .map(|a| a.id))
}

fn page(items: Vec<Item>, deleted_ids: Vec<String>, next: Cursor, has_more: bool) -> Page {
    Page {
        items,
        deleted_ids,
        next_cursor: Some(next.encode()),
        has_more,
    }
}

fn backfill(
    cfg: &Settings,
    api: &Api,
    kind: Kind,
    anchor: Option<String>,
    after: Option<String>,
    size: usize,
) -> Result<Page, ConnectorError> {
    if kind == Kind::Label {
        let items = api
            .labels()?
            .iter()
            .map(|l| label_to_item(l, None))
            .collect();
        return Ok(page(items, Vec::new(), Cursor::Feed { anchor }, false));
    }
    let lists = api.lists()?;
    let mut cards = api.all_cards()?;
    cards.sort_by(|a, b| a.id.cmp(&b.id));
    let rest: Vec<&Card> = cards
        .iter()
        .filter(|c| after.as_ref().is_none_or(|a| c.id > *a))
        .collect();
    let has_more = rest.len() > size;
    let chunk = &rest[..rest.len().min(size)];
    let items = chunk
        .iter()
        .map(|c| card_to_item(cfg, c, &lists))
        .collect::<Result<Vec<_>, _>>()?;
    let next = match (has_more, chunk.last()) {
        (true, Some(last)) => Cursor::Backfill {
            anchor,
            after: Some(last.id.clone()),
        },
        _ => Cursor::Feed { anchor },
    };
    Ok(page(items, Vec::new(), next, has_more))
}

/// Every action after `anchor`, oldest first.
fn actions_since(
    api: &Api,
    types: &[&str],
    anchor: Option<&str>,
) -> Result<Vec<Action>, ConnectorError> {
    let mut all: Vec<Action> = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let batch = api.actions(types, anchor, before.as_deref(), ACTION_PAGE)?;
        let full = batch.len() == ACTION_PAGE;
        before = batch.last().map(|a| a.id.clone());
        all.extend(batch);
        if !full || before.is_none() {
            break;
        }
    }
    all.reverse();
    Ok(all)
}

fn feed(
    cfg: &Settings,
    api: &Api,
    kind: Kind,
    anchor: Option<String>,
    size: usize,
) -> Result<Page, ConnectorError> {
    let actions = actions_since(api, types(kind), anchor.as_deref())?;
    let (subject, deletes): (&str, &[&str]) = if kind == Kind::Label {
        ("label", &["deleteLabel"])
    } else {
        ("card", &["deleteCard"])
    };
    let slice = slice_feed(&actions, subject, deletes, size);
    let items = if kind == Kind::Label {
        changed_labels(api, &slice.changed, &slice.last_dates)?
    } else {
        changed_cards(cfg, api, &slice.changed)?
    };
    let next = Cursor::Feed {
        anchor: slice.last_action.or(anchor),
    };
    Ok(page(items, slice.deleted, next, slice.has_more))
}

/// The current state of changed cards still on the board, oldest activity first. A card
/// that cannot be read (moved to another board, deleted later) is skipped, not deleted.
fn changed_cards(cfg: &Settings, api: &Api, ids: &[String]) -> Result<Vec<Item>, ConnectorError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let lists = api.lists()?;
    let cards: Vec<Card> = if ids.len() > SINGLE_FETCH_MAX {
        let mut by_id: HashMap<String, Card> = api
            .all_cards()?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
        ids.iter().filter_map(|id| by_id.remove(id)).collect()
    } else {
        let mut out = Vec::new();
        for id in ids {
            match api.card(id) {
                Ok(c) => out.push(c),
                Err(ConnectorError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        out
    };
    let mut items = cards
        .iter()
        .filter(|c| c.id_board.as_ref().is_none_or(|b| *b == cfg.board_id))
        .map(|c| card_to_item(cfg, c, &lists))
        .collect::<Result<Vec<_>, _>>()?;
    items.sort_by_key(|i| i.updated_at);
    Ok(items)
}

fn changed_labels(
    api: &Api,
    ids: &[String],
    dates: &[String],
) -> Result<Vec<Item>, ConnectorError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let labels = api.labels()?;
    Ok(ids
        .iter()
        .zip(dates)
        .filter_map(|(id, date)| {
            labels
                .iter()
                .find(|l| l.id == *id)
                .map(|l| label_to_item(l, time::parse_timestamp(date).ok()))
        })
        .collect())
}

/// The board as the one project: returned when its last activity differs from the cursor.
fn project(api: &Api, cursor: Option<String>) -> Result<Page, ConnectorError> {
    let board = api.board()?;
    let stamp = board.date_last_activity.clone().unwrap_or_default();
    let items = if cursor.as_deref() == Some(stamp.as_str()) {
        Vec::new()
    } else {
        vec![board_to_item(&board)?]
    };
    Ok(Page {
        items,
        deleted_ids: Vec::new(),
        next_cursor: Some(stamp),
        has_more: false,
    })
}
