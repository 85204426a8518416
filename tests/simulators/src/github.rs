//! GitHub REST simulator (API version 2022-11-28) for one repository: issues with
//! pull requests mixed into listings, issue comments, milestones and labels; `since` filtering,
//! `sort=updated`, `Link` pagination (`per_page` default 30, at most 100); Bearer
//! auth with GitHub's 401 body; `x-ratelimit-*` headers on every answer and 403/429
//! rate-limit answers on demand; GitHub's PATCH semantics; second-precision `Z`
//! timestamps; webhook deliveries signed with `X-Hub-Signature-256`.
//!
//! Tests drive it through [`GithubSim`]: seed content, edit "as a user on GitHub"
//! (which emits webhooks), read state, count and inspect requests.

mod comment_routes;
mod comments;
mod model;
mod ops;
mod routes;
mod webhook;

use std::sync::{Arc, Mutex, MutexGuard};

pub use comments::Comment;
pub use model::{Issue, Label, Milestone, RecordedRequest, iso};
pub use ops::{ApiError, IssueEdit, MilestoneEdit};
pub use webhook::{Delivery, HookConfig, sign, signed_delivery};

use crate::server::SimServer;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct GithubOptions {
    /// The token accepted as `Authorization: Bearer <token>` (or `token <token>`).
    pub token: String,
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
}

impl Default for GithubOptions {
    fn default() -> Self {
        GithubOptions {
            token: "ghp_simulatedToken0123456789".into(),
            owner: "octocat".into(),
            repo: "Hello-World".into(),
        }
    }
}

/// A planned rate-limit answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitKind {
    /// Primary limit: 403, `x-ratelimit-remaining: 0`, reset `reset_in_secs` from now.
    Primary {
        /// Seconds until `x-ratelimit-reset`.
        reset_in_secs: u64,
    },
    /// Secondary limit: 403 with an optional `retry-after`.
    Secondary {
        /// `retry-after` seconds, if sent.
        retry_after_secs: Option<u64>,
    },
    /// 429 with an optional `retry-after`.
    TooManyRequests {
        /// `retry-after` seconds, if sent.
        retry_after_secs: Option<u64>,
    },
}

/// Content to seed directly (no webhook, no request counted).
#[derive(Debug, Clone, Default)]
pub struct SeedIssue {
    /// Title.
    pub title: String,
    /// Body.
    pub body: Option<String>,
    /// Closed instead of open.
    pub closed: bool,
    /// Label names (created when missing).
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// Milestone number.
    pub milestone: Option<u64>,
    /// A pull request rather than an issue.
    pub pull_request: bool,
    /// `updated_at` (and `created_at`) in epoch seconds instead of now.
    pub updated_at: Option<i64>,
}

/// A running GitHub simulator.
pub struct GithubSim {
    state: Arc<Mutex<model::State>>,
    server: SimServer,
}

impl GithubSim {
    /// Starts the simulator on a loopback port.
    pub async fn start(options: GithubOptions) -> std::io::Result<GithubSim> {
        let state = Arc::new(Mutex::new(model::State::new(options)));
        let server = SimServer::start(routes::router(state.clone())).await?;
        state.lock().expect("github sim state").base_url = server.base_url();
        Ok(GithubSim { state, server })
    }

    fn lock(&self) -> MutexGuard<'_, model::State> {
        self.state.lock().expect("github sim state")
    }

    /// `http://127.0.0.1:<port>`: the connector's `base_url`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The accepted token.
    pub fn token(&self) -> String {
        self.lock().options.token.clone()
    }

    /// From now on every `GET .../issues` (a page of the listing) answers after `delay`
    /// (zero: at once again).
    pub fn delay_list_answers(&self, delay: std::time::Duration) {
        self.lock().list_answer_delay = delay;
    }

    /// From now on `POST .../issues` creates the issue at once but answers only after
    /// `delay` (zero: at once again).
    pub fn delay_create_answers(&self, delay: std::time::Duration) {
        self.lock().create_answer_delay = delay;
    }

    /// Moves the simulated clock forward.
    pub fn advance_clock(&self, secs: i64) {
        self.lock().clock_offset += secs;
    }

    /// The simulated time, epoch seconds.
    pub fn now(&self) -> i64 {
        self.lock().now()
    }

    /// Seeds an issue or pull request; returns its number.
    pub fn seed_issue(&self, seed: SeedIssue) -> u64 {
        let mut st = self.lock();
        let edit = IssueEdit {
            body: Some(seed.body),
            state: seed.closed.then(|| "closed".into()),
            labels: Some(seed.labels),
            milestone: Some(seed.milestone),
            ..Default::default()
        };
        let owner = st.options.owner.clone();
        for a in &seed.assignees {
            if !st.collaborators.contains(a) {
                st.collaborators.push(a.clone());
            }
        }
        let (n, _) = ops::create_issue(&mut st, &seed.title, edit, seed.pull_request, &owner)
            .expect("seeded issue is valid");
        let issue = st.issues.get_mut(&n).expect("just created");
        issue.assignees = seed.assignees;
        if let Some(t) = seed.updated_at {
            issue.created_at = t;
            issue.updated_at = t;
        }
        n
    }

    /// Seeds a milestone; returns its number.
    pub fn seed_milestone(&self, title: &str) -> u64 {
        let edit = MilestoneEdit {
            title: Some(title.into()),
            ..Default::default()
        };
        ops::create_milestone(&mut self.lock(), edit)
            .expect("seeded milestone is valid")
            .0
    }

    /// Seeds a label.
    pub fn seed_label(&self, name: &str, color: &str, description: Option<&str>) {
        let v = serde_json::json!({"name": name, "color": color, "description": description});
        ops::create_label(&mut self.lock(), &v).expect("seeded label is valid");
    }

    /// Allows `login` to be assigned.
    pub fn add_collaborator(&self, login: &str) {
        self.lock().collaborators.push(login.into());
    }

    fn emit(&self, st: &mut model::State, events: &[ops::Event]) {
        let to_send = webhook::record(st, events);
        if !to_send.is_empty() {
            tokio::spawn(webhook::send(self.state.clone(), to_send));
        }
    }

    /// Opens an issue as a user on github.com would (webhooks are emitted).
    pub fn user_open_issue(&self, title: &str, edit: IssueEdit) -> Result<u64, ApiError> {
        let mut st = self.lock();
        let (n, events) = ops::create_issue(&mut st, title, edit, false, "monalisa")?;
        self.emit(&mut st, &events);
        Ok(n)
    }

    /// Edits an issue as a user on github.com would (webhooks are emitted).
    pub fn user_edit_issue(&self, number: u64, edit: IssueEdit) -> Result<(), ApiError> {
        let mut st = self.lock();
        let events = ops::edit_issue(&mut st, number, edit)?;
        self.emit(&mut st, &events);
        Ok(())
    }

    /// Edits a milestone as a user would (webhooks are emitted).
    pub fn user_edit_milestone(&self, number: u64, edit: MilestoneEdit) -> Result<(), ApiError> {
        let mut st = self.lock();
        let events = ops::edit_milestone(&mut st, number, edit)?;
        self.emit(&mut st, &events);
        Ok(())
    }

    /// Comments on issue (or pull request) `number` as a user on github.com would
    /// (webhooks are emitted); returns the comment id.
    pub fn user_comment(&self, number: u64, login: &str, body: &str) -> Result<u64, ApiError> {
        let mut st = self.lock();
        let (id, events) = comments::create(&mut st, number, body.into(), login)?;
        self.emit(&mut st, &events);
        Ok(id)
    }

    /// Edits comment `id` as a user would (webhooks are emitted).
    pub fn user_edit_comment(&self, id: u64, body: &str) -> Result<(), ApiError> {
        let mut st = self.lock();
        let events = comments::edit(&mut st, id, body.into())?;
        self.emit(&mut st, &events);
        Ok(())
    }

    /// Deletes comment `id` as a user would (webhooks are emitted).
    pub fn user_delete_comment(&self, id: u64) -> Result<(), ApiError> {
        let mut st = self.lock();
        let (_, events) = comments::delete(&mut st, id)?;
        self.emit(&mut st, &events);
        Ok(())
    }

    /// The comments of issue (or pull request) `number` as stored, oldest first.
    pub fn comments(&self, number: u64) -> Vec<Comment> {
        let st = self.lock();
        comments::of_issue(&st, number)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Creates a milestone as a user would (webhooks are emitted); returns its number.
    pub fn user_create_milestone(&self, edit: MilestoneEdit) -> Result<u64, ApiError> {
        let mut st = self.lock();
        let (n, events) = ops::create_milestone(&mut st, edit)?;
        self.emit(&mut st, &events);
        Ok(n)
    }

    /// Deletes a milestone as a user would (webhooks are emitted).
    pub fn user_delete_milestone(&self, number: u64) -> Result<(), ApiError> {
        let mut st = self.lock();
        let (_, events) = ops::delete_milestone(&mut st, number)?;
        self.emit(&mut st, &events);
        Ok(())
    }

    /// Creates a label as a user would (`name`, `color`, `description`; webhooks are emitted).
    pub fn user_create_label(&self, v: &serde_json::Value) -> Result<String, ApiError> {
        let mut st = self.lock();
        let (name, events) = ops::create_label(&mut st, v)?;
        self.emit(&mut st, &events);
        Ok(name)
    }

    /// Edits label `name` as a user would (`new_name`, `color`, `description`; webhooks are
    /// emitted, a rename's with `changes.name.from`).
    pub fn user_edit_label(&self, name: &str, v: &serde_json::Value) -> Result<String, ApiError> {
        let mut st = self.lock();
        let (name, events) = ops::edit_label(&mut st, name, v)?;
        self.emit(&mut st, &events);
        Ok(name)
    }

    /// An issue or pull request as stored.
    pub fn issue(&self, number: u64) -> Option<Issue> {
        self.lock().issues.get(&number).cloned()
    }

    /// Every issue and pull request, by number.
    pub fn issues(&self) -> Vec<Issue> {
        self.lock().issues.values().cloned().collect()
    }

    /// A milestone as stored.
    pub fn milestone(&self, number: u64) -> Option<Milestone> {
        self.lock().milestones.get(&number).cloned()
    }

    /// A label as stored (case-insensitive name).
    pub fn label(&self, name: &str) -> Option<Label> {
        self.lock().label(name).cloned()
    }

    /// The next `n` API requests get the rate-limit answer `kind`.
    pub fn rate_limit_next(&self, n: u32, kind: RateLimitKind) {
        let mut st = self.lock();
        for _ in 0..n {
            st.rate_limits.push_back(kind);
        }
    }

    /// Number of API requests received (refused ones included).
    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// Every request received, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Configures the repository webhook.
    pub fn set_webhook(&self, hook: HookConfig) {
        self.lock().hook = Some(hook);
    }

    /// Deliveries built so far (with the receiver's status once sent).
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// Builds a signed delivery of the current state of an object without sending it:
    /// `event` is `issues`, `milestone` or `label`, `subject` its number or name.
    pub fn build_delivery(
        &self,
        secret: &str,
        event: &str,
        action: &str,
        subject: &str,
    ) -> Delivery {
        let st = self.lock();
        let name = match event {
            "issues" => "issues",
            "milestone" => "milestone",
            "label" => "label",
            _ => "ping",
        };
        let ev = ops::Event {
            event: name,
            action: action.into(),
            subject: subject.into(),
            extra: serde_json::json!({}),
        };
        let payload = if name == "ping" {
            serde_json::json!({"zen": "Design for failure.", "hook_id": 1})
        } else {
            webhook::payload(&st, &ev)
        };
        webhook::signed_delivery(secret, 1, event, &payload)
    }
}

#[cfg(test)]
mod tests;
