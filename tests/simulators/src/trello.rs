//! Trello simulator (REST v1): one board with lists ("To Do", "Doing", "Done"), labels and
//! cards; `key`/`token` query auth; the board action feed (`/1/boards/{id}/actions`, newest
//! first, `since`/`before` by id or date, `limit` up to 1,000); 429s with Trello's bodies at
//! 300 requests / 10 s per key and 100 / 10 s per token (or on demand); webhooks with the
//! `HEAD` handshake, deliveries signed over body + callback URL, removal on 410; card
//! comments as `commentCard` actions (`/1/cards/{id}/actions`).

mod comments;
mod limits;
mod model;
mod ops;
mod routes;
mod webhook;

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

pub use limits::WINDOW as RATE_WINDOW;
pub use ops::Params;
pub use webhook::{Delivery, signature};

use crate::server::SimServer;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct TrelloOptions {
    /// The API key (`key` query parameter).
    pub key: String,
    /// The user token (`token` query parameter).
    pub token: String,
    /// The application secret that signs webhook deliveries.
    pub app_secret: String,
    /// The board's id.
    pub board_id: String,
    /// The board's name.
    pub board_name: String,
    /// The token's member.
    pub member_id: String,
    /// The token's member's user name.
    pub username: String,
    /// Requests per 10 s per key.
    pub key_limit: usize,
    /// Requests per 10 s per token.
    pub token_limit: usize,
}

impl Default for TrelloOptions {
    fn default() -> Self {
        TrelloOptions {
            key: "0123456789abcdef0123456789abcdef".into(),
            token: "ATTAsimulatedtoken0123456789".into(),
            app_secret: "trello-app-secret".into(),
            board_id: "5f1e2d3c4b5a69788796a5b4".into(),
            board_name: "Elder board".into(),
            member_id: "5a0b1c2d3e4f5a6b7c8d9e0f".into(),
            username: "elderbot".into(),
            key_limit: 300,
            token_limit: 100,
        }
    }
}

/// A running Trello simulator.
pub struct TrelloSim {
    state: Arc<Mutex<model::State>>,
    server: SimServer,
}

impl TrelloSim {
    /// Starts the simulator on a loopback port.
    pub async fn start(options: TrelloOptions) -> std::io::Result<TrelloSim> {
        let state = Arc::new(Mutex::new(model::State::new(options)));
        let server = SimServer::start(routes::router(state.clone())).await?;
        state.lock().expect("sim state").base_url = server.base_url();
        Ok(TrelloSim { state, server })
    }

    /// `http://127.0.0.1:<port>` (the connector's `base_url`).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    fn lock(&self) -> MutexGuard<'_, model::State> {
        self.state.lock().expect("sim state")
    }

    fn run<T>(&self, f: impl FnOnce(&mut model::State) -> T) -> T {
        let (out, hooks) = {
            let mut s = self.lock();
            let out = f(&mut s);
            (out, s.take_pending())
        };
        webhook::dispatch(self.state.clone(), hooks);
        out
    }

    /// The options it runs with.
    pub fn options(&self) -> TrelloOptions {
        self.lock().options.clone()
    }

    /// The next `n` API requests answer 429 `API_TOKEN_LIMIT_EXCEEDED`.
    pub fn rate_limit_next(&self, n: u32) {
        self.lock().limits.forced = n;
    }

    /// API requests received so far.
    pub fn request_count(&self) -> u64 {
        self.lock().requests
    }

    /// `(id, name)` of the board's lists.
    pub fn lists(&self) -> Vec<(String, String)> {
        self.lock()
            .lists
            .iter()
            .map(|l| (l.id.clone(), l.name.clone()))
            .collect()
    }

    /// The id of the list with this name.
    pub fn list_id(&self, name: &str) -> Option<String> {
        self.lock()
            .lists
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.id.clone())
    }

    /// Adds a list to the board and returns its id.
    pub fn add_list(&self, name: &str) -> String {
        let mut s = self.lock();
        let id = s.new_id();
        let pos = 16384 * (s.lists.len() as u64 + 1);
        s.lists.push(model::List {
            id: id.clone(),
            name: name.into(),
            closed: false,
            pos,
        });
        id
    }

    /// Creates a label as a user would and returns its id.
    pub fn create_label(&self, name: &str, color: &str) -> String {
        let p: Params = [
            ("name".to_string(), json!(name)),
            ("color".to_string(), json!(color)),
        ]
        .into_iter()
        .collect();
        self.run(|s| s.create_label(&p).expect("valid label"))
    }

    /// Creates a card as a user would (fields as Trello names them; `idList` defaults to
    /// the first list) and returns its id.
    pub fn create_card(&self, fields: Value) -> String {
        let mut p: Params = fields.as_object().cloned().unwrap_or_default();
        self.run(|s| {
            if !p.contains_key("idList") {
                p.insert("idList".into(), json!(s.lists[0].id));
            }
            s.create_card(&p).expect("valid card")
        })
    }

    /// Changes a card as a user would (Trello field names).
    pub fn update_card(&self, id: &str, fields: Value) {
        let p: Params = fields.as_object().cloned().unwrap_or_default();
        self.run(|s| s.update_card(id, &p).expect("valid update"));
    }

    /// Adds a label to a card as a user would.
    pub fn add_label_to_card(&self, card: &str, label: &str) {
        self.run(|s| s.label_event(card, label, true));
    }

    /// Removes a label from a card as a user would.
    pub fn remove_label_from_card(&self, card: &str, label: &str) {
        self.run(|s| s.label_event(card, label, false));
    }

    /// Deletes a card as a user would.
    pub fn delete_card(&self, id: &str) {
        self.run(|s| s.delete_card(id).expect("card exists"));
    }

    /// The card as the API renders it, if it exists.
    pub fn card(&self, id: &str) -> Option<Value> {
        let s = self.lock();
        s.cards.get(id).map(|c| s.card_json(c))
    }

    /// A board member other than the token's; returns its id.
    pub fn add_member(&self, username: &str, full_name: &str) -> String {
        let mut s = self.lock();
        let id = s.new_id();
        s.members
            .insert(id.clone(), (username.into(), full_name.into()));
        id
    }

    /// Comments on a card as `member_id` would in Trello; returns the comment's action id.
    pub fn add_comment(&self, card: &str, member_id: &str, text: &str) -> String {
        self.run(|s| s.add_comment(card, member_id, text).expect("valid comment"))
    }

    /// Edits a comment as its author would.
    pub fn edit_comment(&self, card: &str, action_id: &str, text: &str) {
        self.run(|s| s.edit_comment(card, action_id, text).expect("valid edit"));
    }

    /// Deletes a comment as its author would.
    pub fn delete_comment(&self, card: &str, action_id: &str) {
        self.run(|s| s.remove_comment(card, action_id).expect("comment exists"));
    }

    /// `(action id, text)` of a card's comments, oldest first.
    pub fn comments(&self, card: &str) -> Vec<(String, String)> {
        self.lock()
            .card_actions(card)
            .into_iter()
            .filter(|a| a.kind == "commentCard")
            .map(|a| {
                (
                    a.id.clone(),
                    a.data["text"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Number of cards (open and archived).
    pub fn card_count(&self) -> usize {
        self.lock().cards.len()
    }

    /// Types of the actions in the feed, oldest first.
    pub fn action_types(&self) -> Vec<String> {
        self.lock().actions.iter().map(|a| a.kind.clone()).collect()
    }

    /// Every webhook delivery made so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// Registers a webhook without the handshake (for tests that only read deliveries).
    pub fn register_webhook(&self, callback_url: &str) -> String {
        let mut s = self.lock();
        let id = s.new_id();
        let board = s.options.board_id.clone();
        s.webhooks.push(model::Webhook {
            id: id.clone(),
            callback_url: callback_url.into(),
            id_model: board,
            active: true,
        });
        id
    }

    /// Number of registered webhooks.
    pub fn webhook_count(&self) -> usize {
        self.lock().webhooks.len()
    }
}
