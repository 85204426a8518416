//! GitLab REST v4 simulator: one project (issues, milestones, labels) and optionally its
//! group's epics, served as GitLab serves them. `PRIVATE-TOKEN` or `Bearer` auth, offset
//! pagination with `x-next-page`/`x-total`/`Link`, `iid` paths, `state_event`, comma
//! label lists, `milestone_id=0` to unset, issue notes (user and system notes), 429 answers
//! on demand, and `Issue Hook` / `Milestone Hook` / `Note Hook` deliveries signed with
//! `X-Gitlab-Token` and/or Standard Webhooks.

mod model;
mod notes;
mod ops;
mod routes;
mod webhook;

use std::sync::{Arc, Mutex};

pub use model::{Epic, Issue, Label, Milestone};
pub use notes::Note;
pub use ops::{IssueEdit, MilestoneEdit};
pub use webhook::{Delivery, HookConfig};

use crate::server::SimServer;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct GitlabOptions {
    /// The token accepted in `PRIVATE-TOKEN` or `Authorization: Bearer`.
    pub token: String,
    /// The numeric project id served under `/api/v4/projects/:id`.
    pub project_id: u64,
    /// The project's `namespace/name`, also accepted URL-encoded in place of the id.
    pub project_path: String,
    /// The group id served under `/api/v4/groups/:id` (epics).
    pub group_id: u64,
    /// Whether the group has a licence with epics; without it the epics API answers 403.
    pub premium: bool,
}

impl Default for GitlabOptions {
    fn default() -> Self {
        GitlabOptions {
            token: "glpat-simulated-token".into(),
            project_id: 42,
            project_path: "acme/widgets".into(),
            group_id: 7,
            premium: false,
        }
    }
}

/// A running GitLab simulator.
pub struct GitlabSim {
    state: Arc<Mutex<model::State>>,
    server: SimServer,
}

impl GitlabSim {
    /// Starts the simulator on a loopback port.
    pub async fn start(options: GitlabOptions) -> std::io::Result<GitlabSim> {
        let state = Arc::new(Mutex::new(model::State::new(options)));
        let server = SimServer::start(routes::router(state.clone())).await?;
        state.lock().expect("sim state").base_url = server.base_url();
        Ok(GitlabSim { state, server })
    }

    /// `http://127.0.0.1:<port>` (the `base_url` a connector config uses).
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// The next `n` API requests answer 429 with `Retry-After`.
    pub fn rate_limit_next(&self, n: u32) {
        self.lock().rate_limited = n;
    }

    /// Number of API requests answered so far (rate-limited ones included).
    pub fn request_count(&self) -> u64 {
        self.lock().requests
    }

    /// Configures the project webhook deliveries are made for.
    pub fn set_webhook(&self, hook: HookConfig) {
        self.lock().hook = hook;
    }

    /// Every webhook delivery emitted so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }

    /// A user as the platform knows it; returns its id.
    pub fn add_user(&self, username: &str) -> u64 {
        self.lock().add_user(username)
    }

    /// Creates an issue as a person would in GitLab's UI (emits an `Issue Hook`).
    pub fn create_issue(&self, title: &str, edit: IssueEdit) -> Issue {
        let (issue, hooks) = {
            let mut s = self.lock();
            let r = s.create_issue(title, edit).expect("valid issue");
            (s.issues[&r].clone(), s.take_pending())
        };
        webhook::dispatch(hooks);
        issue
    }

    /// Changes an issue as a person would in GitLab's UI (emits an `Issue Hook`).
    pub fn update_issue(&self, iid: u64, edit: IssueEdit) -> Issue {
        let (issue, hooks) = {
            let mut s = self.lock();
            s.update_issue(iid, edit).expect("valid edit");
            (s.issues[&iid].clone(), s.take_pending())
        };
        webhook::dispatch(hooks);
        issue
    }

    /// Creates a milestone as a person would (emits a `Milestone Hook`).
    pub fn create_milestone(&self, title: &str, edit: MilestoneEdit) -> Milestone {
        let (m, hooks) = {
            let mut s = self.lock();
            let id = s.create_milestone(title, edit).expect("valid milestone");
            (s.milestones[&id].clone(), s.take_pending())
        };
        webhook::dispatch(hooks);
        m
    }

    /// Comments on an issue as `author_id` would in GitLab's UI (emits a `Note Hook`).
    pub fn add_note(&self, iid: u64, author_id: u64, body: &str) -> Note {
        let (note, hooks) = {
            let mut s = self.lock();
            let id = s.create_note(iid, author_id, body).expect("valid note");
            (s.notes[&id].clone(), s.take_pending())
        };
        webhook::dispatch(hooks);
        note
    }

    /// Edits a note as its author would in the UI (emits a `Note Hook`).
    pub fn edit_note(&self, iid: u64, id: u64, body: &str) -> Note {
        let (note, hooks) = {
            let mut s = self.lock();
            s.update_note(iid, id, body).expect("valid edit");
            (s.notes[&id].clone(), s.take_pending())
        };
        webhook::dispatch(hooks);
        note
    }

    /// Deletes a note as its author would in the UI (GitLab sends no hook).
    pub fn delete_note(&self, iid: u64, id: u64) {
        self.lock().delete_note(iid, id).expect("existing note");
    }

    /// Every note of an issue (system notes included), oldest first.
    pub fn notes(&self, iid: u64) -> Vec<Note> {
        self.lock().issue_notes(iid)
    }

    /// Changes a milestone as a person would in GitLab's UI (GitLab sends no hook for a
    /// milestone edit, only for create, close, reopen and delete).
    pub fn update_milestone(&self, id: u64, edit: MilestoneEdit) -> Milestone {
        let (m, hooks) = {
            let mut s = self.lock();
            s.update_milestone(id, edit).expect("valid milestone edit");
            (s.milestones[&id].clone(), s.take_pending())
        };
        webhook::dispatch(hooks);
        m
    }

    /// The issue with this `iid`, as stored.
    pub fn issue(&self, iid: u64) -> Option<Issue> {
        self.lock().issues.get(&iid).cloned()
    }

    /// The milestone with this id, as stored.
    pub fn milestone(&self, id: u64) -> Option<Milestone> {
        self.lock().milestones.get(&id).cloned()
    }

    /// Changes a label as a person would (`new_name`, `color`, `description`; GitLab sends
    /// no project hook for labels).
    pub fn update_label(&self, id: u64, params: serde_json::Value) {
        let p = params.as_object().cloned().unwrap_or_default();
        self.lock().update_label(id, &p).expect("valid label edit");
    }

    /// Every label of the project.
    pub fn labels(&self) -> Vec<Label> {
        self.lock().labels.values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, model::State> {
        self.state.lock().expect("sim state")
    }
}
