//! The Trello simulator's state: one board with its lists, labels, cards, the board's
//! action feed and its webhooks, plus how each renders as Trello JSON.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::TrelloOptions;
use super::limits::Limits;
use super::webhook::{Delivery, PendingHook};

/// A list (a column, i.e. a workflow state).
#[derive(Debug, Clone)]
pub struct List {
    pub id: String,
    pub name: String,
    pub closed: bool,
    pub pos: u64,
}

/// A board label.
#[derive(Debug, Clone)]
pub struct Label {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
}

/// A card.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: String,
    pub id_short: u64,
    pub name: String,
    pub desc: String,
    pub id_list: String,
    pub closed: bool,
    pub id_labels: Vec<String>,
    pub id_members: Vec<String>,
    pub due: Option<String>,
    /// The start date, an ISO date-time like `due`.
    pub start: Option<String>,
    pub date_last_activity: String,
    /// How many comments the card has (its `badges.comments`).
    pub comments: usize,
}

/// One entry of the board's action feed.
#[derive(Debug, Clone)]
pub struct Action {
    pub id: String,
    pub kind: String,
    pub date: String,
    pub data: Value,
    /// The member who did it (`memberCreator`).
    pub member_id: String,
}

/// A member of the board: `(username, fullName)` by member id.
pub type Members = BTreeMap<String, (String, String)>;

/// A registered webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub callback_url: String,
    pub id_model: String,
    pub active: bool,
}

/// Everything the simulator holds.
pub struct State {
    pub options: TrelloOptions,
    pub base_url: String,
    pub lists: Vec<List>,
    pub labels: Vec<Label>,
    pub cards: BTreeMap<String, Card>,
    pub actions: Vec<Action>,
    pub members: Members,
    pub webhooks: Vec<Webhook>,
    pub deliveries: Vec<Delivery>,
    pub pending: Vec<PendingHook>,
    pub limits: Limits,
    pub requests: u64,
    seq: u64,
    next_short: u64,
}

/// A Trello-style date: `2026-11-25T10:30:00.123Z`.
pub fn now_date() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl State {
    /// A board with the lists "To Do", "Doing", "Done".
    pub fn new(options: TrelloOptions) -> State {
        let mut members = Members::new();
        members.insert(
            options.member_id.clone(),
            (options.username.clone(), "Elder Bot".to_string()),
        );
        let mut s = State {
            members,
            limits: Limits::new(options.key_limit, options.token_limit),
            options,
            base_url: String::new(),
            lists: Vec::new(),
            labels: Vec::new(),
            cards: BTreeMap::new(),
            actions: Vec::new(),
            webhooks: Vec::new(),
            deliveries: Vec::new(),
            pending: Vec::new(),
            requests: 0,
            seq: 0,
            next_short: 0,
        };
        for (i, name) in ["To Do", "Doing", "Done"].iter().enumerate() {
            let id = s.new_id();
            s.lists.push(List {
                id,
                name: (*name).into(),
                closed: false,
                pos: 16384 * (i as u64 + 1),
            });
        }
        s
    }

    /// A 24-hex-digit id like Trello's: the creation second, then a counter, so ids sort
    /// by creation like Trello's ObjectIds do.
    pub fn new_id(&mut self) -> String {
        self.seq += 1;
        format!(
            "{:08x}{:016x}",
            chrono::Utc::now().timestamp() as u32,
            self.seq
        )
    }

    /// The next per-board card number.
    pub fn next_short(&mut self) -> u64 {
        self.next_short += 1;
        self.next_short
    }

    /// Deliveries queued for sending once the lock is released.
    pub fn take_pending(&mut self) -> Vec<PendingHook> {
        std::mem::take(&mut self.pending)
    }

    pub fn list(&self, id: &str) -> Option<&List> {
        self.lists.iter().find(|l| l.id == id)
    }

    pub fn label(&self, id: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.id == id)
    }

    pub fn board_ref(&self) -> Value {
        json!({"id": self.options.board_id, "name": self.options.board_name, "shortLink": short_link(&self.options.board_id)})
    }

    pub fn board_json(&self) -> Value {
        json!({
            "id": self.options.board_id,
            "name": self.options.board_name,
            "desc": "",
            "closed": false,
            "url": format!("https://trello.com/b/{}/board", short_link(&self.options.board_id)),
            "shortLink": short_link(&self.options.board_id),
            "dateLastActivity": self.actions.last().map(|a| a.date.clone()),
        })
    }

    pub fn list_json(&self, l: &List) -> Value {
        json!({"id": l.id, "name": l.name, "closed": l.closed, "pos": l.pos, "idBoard": self.options.board_id})
    }

    pub fn label_json(&self, l: &Label) -> Value {
        json!({"id": l.id, "idBoard": self.options.board_id, "name": l.name, "color": l.color})
    }

    pub fn card_json(&self, c: &Card) -> Value {
        let labels: Vec<Value> = c
            .id_labels
            .iter()
            .filter_map(|id| self.label(id))
            .map(|l| self.label_json(l))
            .collect();
        let short = short_link(&c.id);
        json!({
            "id": c.id,
            "idShort": c.id_short,
            "name": c.name,
            "desc": c.desc,
            "closed": c.closed,
            "idBoard": self.options.board_id,
            "idList": c.id_list,
            "idLabels": c.id_labels,
            "labels": labels,
            "idMembers": c.id_members,
            "due": c.due,
            "dueComplete": false,
            "start": c.start,
            "dateLastActivity": c.date_last_activity,
            "badges": {"comments": c.comments, "attachments": 0, "votes": 0,
                       "checkItems": 0, "checkItemsChecked": 0, "description": !c.desc.is_empty(),
                       "due": c.due, "dueComplete": false, "start": c.start},
            "shortLink": short,
            "shortUrl": format!("https://trello.com/c/{short}"),
            "url": format!("https://trello.com/c/{short}/{}-card", c.id_short),
        })
    }

    /// The small card reference actions carry.
    pub fn card_ref(&self, c: &Card) -> Value {
        json!({"id": c.id, "name": c.name, "idShort": c.id_short, "shortLink": short_link(&c.id)})
    }

    pub fn list_ref(&self, id: &str) -> Value {
        match self.list(id) {
            Some(l) => json!({"id": l.id, "name": l.name}),
            None => json!({"id": id}),
        }
    }

    /// Appends an action to the feed and queues its webhook deliveries.
    pub fn record_action(&mut self, kind: &str, data: Value) -> String {
        let member = self.options.member_id.clone();
        self.record_action_by(&member, kind, data)
    }

    /// [`State::record_action`] done by `member_id`.
    pub fn record_action_by(&mut self, member_id: &str, kind: &str, mut data: Value) -> String {
        let id = self.new_id();
        let date = now_date();
        data["board"] = self.board_ref();
        let action = Action {
            id: id.clone(),
            kind: kind.into(),
            date,
            data,
            member_id: member_id.to_string(),
        };
        self.queue_deliveries(&action);
        self.actions.push(action);
        id
    }

    pub fn action_json(&self, a: &Action) -> Value {
        let (username, full_name) = self.members.get(&a.member_id).cloned().unwrap_or_default();
        json!({
            "id": a.id,
            "idMemberCreator": a.member_id,
            "type": a.kind,
            "date": a.date,
            "data": a.data,
            "memberCreator": {"id": a.member_id, "username": username, "fullName": full_name},
        })
    }
}

/// An 8-character short link derived from an id.
pub fn short_link(id: &str) -> String {
    id.chars().rev().take(8).collect()
}
