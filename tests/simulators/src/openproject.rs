//! OpenProject simulator (API v3, HAL+JSON): one project with statuses (New, In progress,
//! Closed, Rejected), categories, versions and work packages; Basic `apikey:<key>` auth; the
//! default open-only filter when `filters` is absent; `updatedAt` `<>d` filters, `sortBy` and
//! 1-based page-number `offset`; `lockVersion` 409s; relative HAL links; activities (journals,
//! comments among them); webhooks signed with `X-OP-Signature` when a secret is set.

mod activities;
mod filters;
mod hal;
mod model;
mod ops;
mod routes;
mod webhook;

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

pub use model::STATUSES;
pub use routes::MAX_PAGE_SIZE;
pub use webhook::{Delivery, signature};

use crate::server::SimServer;

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct OpenProjectOptions {
    /// The API key (Basic `apikey:<key>`).
    pub api_key: String,
    /// The project's identifier (its numeric id is 3).
    pub project_identifier: String,
}

impl Default for OpenProjectOptions {
    fn default() -> Self {
        OpenProjectOptions {
            api_key: "op-simulated-api-key".into(),
            project_identifier: "elder".into(),
        }
    }
}

/// A running OpenProject simulator.
pub struct OpenProjectSim {
    state: Arc<Mutex<model::State>>,
    server: SimServer,
}

impl OpenProjectSim {
    /// Starts the simulator on a loopback port.
    pub async fn start(options: OpenProjectOptions) -> std::io::Result<OpenProjectSim> {
        let state = Arc::new(Mutex::new(model::State::new(options)));
        let server = SimServer::start(routes::router(state.clone())).await?;
        Ok(OpenProjectSim { state, server })
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
        webhook::dispatch(hooks);
        out
    }

    /// The project's numeric id.
    pub fn project_id(&self) -> u64 {
        3
    }

    /// Sends webhooks to `url`, signed with `secret` when given.
    pub fn set_webhook(&self, url: Option<&str>, secret: Option<&str>) {
        let mut s = self.lock();
        s.hook_url = url.map(str::to_string);
        s.hook_secret = secret.map(str::to_string);
    }

    /// The next request answers with this status (a server error body).
    pub fn fail_next(&self, status: u16) {
        self.lock().forced_errors.push(status);
    }

    /// API requests received so far.
    pub fn request_count(&self) -> u64 {
        self.lock().requests
    }

    /// Creates a work package as a user would, from a HAL body (`subject`, `description`,
    /// `_links`), and returns its id.
    pub fn create_work_package(&self, body: Value) -> u64 {
        self.run(|s| s.create_wp(3, &body).expect("valid work package"))
    }

    /// Changes a work package as a user would; the current lockVersion is used.
    pub fn update_work_package(&self, id: u64, mut body: Value) {
        self.run(|s| {
            body["lockVersion"] = s.work_packages[&id].lock_version.into();
            s.update_wp(id, &body).expect("valid update")
        });
    }

    /// The work package as the API renders it.
    pub fn work_package(&self, id: u64) -> Option<Value> {
        let s = self.lock();
        s.work_packages.get(&id).map(|w| s.wp_json(w))
    }

    /// Comments on a work package as user `user_id` would (emits
    /// `work_package_comment:comment`); returns the activity id.
    pub fn add_comment(&self, work_package: u64, user_id: u64, raw: &str) -> u64 {
        self.run(|s| {
            s.add_comment(work_package, user_id, raw)
                .expect("valid comment")
        })
    }

    /// Edits a comment as its author would (OpenProject sends no webhook for it).
    pub fn edit_comment(&self, activity: u64, raw: &str) {
        self.run(|s| s.edit_comment(activity, raw).expect("existing activity"));
    }

    /// `(activity id, comment)` of every activity of a work package, oldest first (changes
    /// without a comment have an empty one).
    pub fn activities(&self, work_package: u64) -> Vec<(u64, String)> {
        self.lock()
            .wp_journals(work_package)
            .into_iter()
            .map(|j| (j.id, j.notes.clone()))
            .collect()
    }

    /// Number of work packages (open and closed).
    pub fn work_package_count(&self) -> usize {
        self.lock().work_packages.len()
    }

    /// Creates a version as a user would and returns its id.
    pub fn create_version(&self, name: &str) -> u64 {
        let body = serde_json::json!({"name": name, "_links": {"definingProject": {"href": "/api/v3/projects/3"}}});
        self.run(|s| s.create_version(&body).expect("valid version"))
    }

    /// Changes a version as a user would (`name`, `description`, `status`, `startDate`,
    /// `endDate`).
    pub fn update_version(&self, id: u64, body: Value) {
        self.run(|s| s.apply_version(id, &body).expect("valid version update"));
    }

    /// The version as the API renders it.
    pub fn version(&self, id: u64) -> Option<Value> {
        let s = self.lock();
        s.versions.get(&id).map(|v| s.version_json(v))
    }

    /// Changes the project as a user would (`name`, `description`).
    pub fn update_project(&self, body: Value) {
        self.run(|s| s.update_project(3, &body).expect("valid project update"));
    }

    /// `(id, name)` of the project's categories.
    pub fn categories(&self) -> Vec<(u64, String)> {
        self.lock()
            .categories
            .values()
            .map(|c| (c.id, c.name.clone()))
            .collect()
    }

    /// Every webhook delivery made so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.lock().deliveries.clone()
    }
}
