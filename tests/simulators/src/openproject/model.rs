//! The OpenProject simulator's state: statuses, users, projects, versions, categories and
//! work packages with their lock versions, and the webhook settings.

use std::collections::BTreeMap;

use super::OpenProjectOptions;
use super::activities::Journal;
use super::webhook::{Delivery, PendingHook};

/// A work-package status.
#[derive(Debug, Clone)]
pub struct Status {
    pub id: u64,
    pub name: &'static str,
    pub is_closed: bool,
    pub is_default: bool,
}

/// The statuses every simulator starts with.
pub const STATUSES: [Status; 4] = [
    Status {
        id: 1,
        name: "New",
        is_closed: false,
        is_default: true,
    },
    Status {
        id: 7,
        name: "In progress",
        is_closed: false,
        is_default: false,
    },
    Status {
        id: 12,
        name: "Closed",
        is_closed: true,
        is_default: false,
    },
    Status {
        id: 14,
        name: "Rejected",
        is_closed: true,
        is_default: false,
    },
];

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    pub id: u64,
    pub identifier: String,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A version (milestone).
#[derive(Debug, Clone)]
pub struct Version {
    pub id: u64,
    pub project_id: u64,
    pub name: String,
    pub description: String,
    pub status: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A category.
#[derive(Debug, Clone)]
pub struct Category {
    pub id: u64,
    pub project_id: u64,
    pub name: String,
}

/// A work package.
#[derive(Debug, Clone)]
pub struct WorkPackage {
    pub id: u64,
    pub project_id: u64,
    pub subject: String,
    pub description: String,
    pub status_id: u64,
    pub category_id: Option<u64>,
    pub version_id: Option<u64>,
    pub assignee_id: Option<u64>,
    pub parent_id: Option<u64>,
    /// `startDate`, `YYYY-MM-DD`.
    pub start_date: Option<String>,
    /// `dueDate` (the finish date), `YYYY-MM-DD`, never before `startDate`.
    pub due_date: Option<String>,
    pub lock_version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub login: String,
    pub name: String,
}

/// Everything the simulator holds.
pub struct State {
    pub options: OpenProjectOptions,
    pub projects: BTreeMap<u64, Project>,
    pub versions: BTreeMap<u64, Version>,
    pub categories: BTreeMap<u64, Category>,
    pub work_packages: BTreeMap<u64, WorkPackage>,
    /// Journals (activities) of every work package by id.
    pub journals: BTreeMap<u64, Journal>,
    pub users: Vec<User>,
    pub hook_url: Option<String>,
    pub hook_secret: Option<String>,
    pub deliveries: Vec<Delivery>,
    pub pending: Vec<PendingHook>,
    pub forced_errors: Vec<u16>,
    pub requests: u64,
    next_id: u64,
}

/// OpenProject's timestamp format: `2014-08-29T12:40:53Z` (second precision).
pub fn now_stamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl State {
    /// One project (id 3, the configured identifier) with two categories.
    pub fn new(options: OpenProjectOptions) -> State {
        let now = now_stamp();
        let project = Project {
            id: 3,
            identifier: options.project_identifier.clone(),
            name: "Elder project".into(),
            description: String::new(),
            active: true,
            created_at: now.clone(),
            updated_at: now,
        };
        let mut s = State {
            options,
            projects: BTreeMap::from([(3, project)]),
            versions: BTreeMap::new(),
            categories: BTreeMap::new(),
            work_packages: BTreeMap::new(),
            journals: BTreeMap::new(),
            users: vec![
                User {
                    id: 1,
                    login: "elderbot".into(),
                    name: "Elder Bot".into(),
                },
                User {
                    id: 5,
                    login: "ada".into(),
                    name: "Ada Lovelace".into(),
                },
            ],
            hook_url: None,
            hook_secret: None,
            deliveries: Vec::new(),
            pending: Vec::new(),
            forced_errors: Vec::new(),
            requests: 0,
            next_id: 100,
        };
        for name in ["bug", "feature"] {
            let id = s.next_id();
            s.categories.insert(
                id,
                Category {
                    id,
                    project_id: 3,
                    name: name.into(),
                },
            );
        }
        s
    }

    /// A fresh id (shared sequence for every resource).
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Deliveries queued for sending once the lock is released.
    pub fn take_pending(&mut self) -> Vec<PendingHook> {
        std::mem::take(&mut self.pending)
    }

    /// The project with this numeric id or identifier.
    pub fn project_by_ref(&self, r: &str) -> Option<&Project> {
        self.projects
            .values()
            .find(|p| p.id.to_string() == r || p.identifier == r)
    }

    pub fn status(&self, id: u64) -> Option<&'static Status> {
        STATUSES.iter().find(|s| s.id == id)
    }

    pub fn user(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
}
