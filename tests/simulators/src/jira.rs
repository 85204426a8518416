//! Jira Cloud simulator (REST v3 + Agile 1.0): one project with a workflow whose
//! transitions include one that requires a field, ADF descriptions, components, sprints on
//! a scrum board, `/rest/api/3/search/jql` with `nextPageToken`/`isLast`, minute-precision
//! JQL in the site's time zone and eventually consistent search, ADF issue comments, Basic
//! auth, 429 answers on demand, and webhooks signed with `X-Hub-Signature` (retries keep their identifier).

mod comments;
mod jql;
mod model;
mod ops;
mod routes;
mod webhook;
mod workflow;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use comments::Comment;
pub use model::{Component, Issue, Sprint};
pub use ops::IssueFields;
pub use webhook::{Delivery, HookConfig};
pub use workflow::{STATUSES, Status};

use crate::server::SimServer;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct JiraOptions {
    /// The account e-mail of Basic auth.
    pub email: String,
    /// The API token of Basic auth.
    pub api_token: String,
    /// The project key, e.g. `ELD`.
    pub project_key: String,
    /// The site's (and the user's) time zone offset, in seconds east of UTC: timestamps
    /// are rendered in it and JQL dates are read in it.
    pub utc_offset_secs: i32,
    /// How long a just-created or just-changed issue stays invisible to search.
    pub search_lag: Duration,
}

impl Default for JiraOptions {
    fn default() -> Self {
        JiraOptions {
            email: "bot@example.com".into(),
            api_token: "jira-simulated-token".into(),
            project_key: "ELD".into(),
            utc_offset_secs: 5 * 3600 + 1800,
            search_lag: Duration::from_millis(300),
        }
    }
}

/// A running Jira Cloud simulator.
pub struct JiraSim {
    state: Arc<Mutex<model::State>>,
    server: SimServer,
}

impl JiraSim {
    /// Starts the simulator on a loopback port.
    pub async fn start(options: JiraOptions) -> std::io::Result<JiraSim> {
        let state = Arc::new(Mutex::new(model::State::new(options)));
        let server = SimServer::start(routes::router(state.clone())).await?;
        state.lock().expect("sim state").base_url = server.base_url();
        Ok(JiraSim { state, server })
    }

    /// `http://127.0.0.1:<port>` (the `jira_url` of a connector config).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The next `n` API requests answer 429 with `Retry-After`.
    pub fn rate_limit_next(&self, n: u32) {
        self.lock().rate_limited = n;
    }

    /// Number of API requests answered so far.
    pub fn request_count(&self) -> u64 {
        self.lock().requests
    }

    /// Sets the webhook (URL and secret).
    pub fn set_webhook(&self, hook: HookConfig) {
        self.lock().hook = hook;
    }

    /// Every delivery made so far, retries included, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// Sends delivery `index` again as Jira's retry does: same body and identifier, with
    /// `X-Atlassian-Webhook-Retry` counting up. Returns the new delivery.
    pub fn redeliver(&self, index: usize) -> Delivery {
        let (d, hooks) = {
            let mut s = self.lock();
            let d = s.redeliver(index);
            (d, s.take_pending())
        };
        webhook::dispatch(hooks);
        d
    }

    /// Adds a user; returns its account id.
    pub fn add_user(&self, display_name: &str) -> String {
        self.lock().add_user(display_name)
    }

    /// Creates an issue as a person would in Jira (emits `jira:issue_created`).
    pub fn create_issue(&self, fields: IssueFields) -> Issue {
        self.act(|s| {
            let id = s.create_issue(fields).expect("valid issue");
            s.issues[&id].clone()
        })
    }

    /// Changes an issue as a person would (emits `jira:issue_updated`).
    pub fn update_issue(&self, key: &str, fields: IssueFields) -> Issue {
        self.act(|s| {
            let id = s.id_of(key).expect("issue exists");
            s.update_issue(id, fields).expect("valid edit");
            s.issues[&id].clone()
        })
    }

    /// Moves an issue to the status named, as a board drag would (no screen, no fields).
    pub fn set_status(&self, key: &str, status: &str) -> Issue {
        self.act(|s| {
            let id = s.id_of(key).expect("issue exists");
            s.force_status(id, status).expect("known status");
            s.issues[&id].clone()
        })
    }

    /// Creates a sprint on the project's board (emits `sprint_created`).
    pub fn create_sprint(&self, name: &str) -> Sprint {
        self.act(|s| {
            let id = s.create_sprint(name, None).expect("valid sprint");
            s.sprints[&id].clone()
        })
    }

    /// Comments on an issue as `account_id` would in Jira (an ADF body; emits
    /// `comment_created` and `jira:issue_updated`).
    pub fn add_comment(&self, key: &str, account_id: &str, body: serde_json::Value) -> Comment {
        self.act(|s| {
            let id = s.id_of(key).expect("issue exists");
            let cid = s
                .create_comment(id, account_id, &body)
                .expect("valid comment");
            s.comments[&cid].clone()
        })
    }

    /// Edits a comment as its author would (emits `comment_updated`).
    pub fn edit_comment(&self, key: &str, comment_id: u64, body: serde_json::Value) -> Comment {
        self.act(|s| {
            let id = s.id_of(key).expect("issue exists");
            let author = s
                .comment_of(id, comment_id)
                .expect("comment exists")
                .author
                .clone();
            s.update_comment(id, comment_id, &author, &body)
                .expect("valid edit");
            s.comments[&comment_id].clone()
        })
    }

    /// Deletes a comment as its author would (emits `comment_deleted`).
    pub fn delete_comment(&self, key: &str, comment_id: u64) {
        self.act(|s| {
            let id = s.id_of(key).expect("issue exists");
            s.delete_comment(id, comment_id).expect("comment exists");
        })
    }

    /// Every comment of an issue, oldest first.
    pub fn comments(&self, key: &str) -> Vec<Comment> {
        let s = self.lock();
        s.id_of(key)
            .map(|id| s.issue_comments(id))
            .unwrap_or_default()
    }

    /// Changes a sprint as a person would (`name`, `goal`, `state`, `startDate`, `endDate`;
    /// emits `sprint_updated`, `sprint_started` or `sprint_closed`).
    pub fn update_sprint(&self, id: u64, body: serde_json::Value) -> Sprint {
        self.act(|s| {
            s.update_sprint(id, &body).expect("valid sprint update");
            s.sprints[&id].clone()
        })
    }

    /// The sprint with this id, as stored.
    pub fn sprint(&self, id: u64) -> Option<Sprint> {
        self.lock().sprints.get(&id).cloned()
    }

    /// The issue with this key, as stored.
    pub fn issue(&self, key: &str) -> Option<Issue> {
        let s = self.lock();
        s.id_of(key).ok().map(|id| s.issues[&id].clone())
    }

    /// Every component of the project.
    pub fn components(&self) -> Vec<Component> {
        self.lock().components.values().cloned().collect()
    }

    fn act<T>(&self, f: impl FnOnce(&mut model::State) -> T) -> T {
        let (r, hooks) = {
            let mut s = self.lock();
            let r = f(&mut s);
            (r, s.take_pending())
        };
        webhook::dispatch(hooks);
        r
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, model::State> {
        self.state.lock().expect("sim state")
    }
}
