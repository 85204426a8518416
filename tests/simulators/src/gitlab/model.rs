//! The GitLab simulator's stored records and how the REST API renders them as JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::GitlabOptions;
use super::notes::Note;
use super::webhook::{Delivery, HookConfig, PendingHook};

/// A project issue. `iid` is the per-project number used in paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub id: u64,
    pub iid: u64,
    pub title: String,
    pub description: Option<String>,
    /// `opened` or `closed`.
    pub state: String,
    pub labels: Vec<String>,
    pub assignee_ids: Vec<u64>,
    pub milestone_id: Option<u64>,
    /// `YYYY-MM-DD` or none (GitLab issues have no start date).
    pub due_date: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A project milestone. Its API paths use `id`, not `iid`.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub id: u64,
    pub iid: u64,
    pub title: String,
    pub description: Option<String>,
    /// `active` or `closed`.
    pub state: String,
    pub due_date: Option<String>,
    pub start_date: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A project label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

/// A group epic (Premium).
#[derive(Debug, Clone, PartialEq)]
pub struct Epic {
    pub id: u64,
    pub iid: u64,
    pub title: String,
    pub description: Option<String>,
    /// `opened` or `closed`.
    pub state: String,
    pub labels: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Everything the simulator stores.
pub struct State {
    pub options: GitlabOptions,
    pub base_url: String,
    pub issues: BTreeMap<u64, Issue>,
    pub milestones: BTreeMap<u64, Milestone>,
    pub labels: BTreeMap<u64, Label>,
    pub epics: BTreeMap<u64, Epic>,
    /// Notes of every issue by note id.
    pub notes: BTreeMap<u64, Note>,
    pub users: BTreeMap<u64, String>,
    pub hook: HookConfig,
    pub deliveries: Vec<Delivery>,
    pub pending: Vec<PendingHook>,
    pub rate_limited: u32,
    pub requests: u64,
    next_id: u64,
    last_time: DateTime<Utc>,
}

impl State {
    /// An empty project with one user (`root`, id 1).
    pub fn new(options: GitlabOptions) -> State {
        let mut users = BTreeMap::new();
        users.insert(1, "root".to_string());
        State {
            options,
            base_url: String::new(),
            issues: BTreeMap::new(),
            milestones: BTreeMap::new(),
            labels: BTreeMap::new(),
            epics: BTreeMap::new(),
            notes: BTreeMap::new(),
            users,
            hook: HookConfig::default(),
            deliveries: Vec::new(),
            pending: Vec::new(),
            rate_limited: 0,
            requests: 0,
            next_id: 1000,
            last_time: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// A fresh global id.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The current time, millisecond precision, strictly later than any earlier answer.
    pub fn tick(&mut self) -> DateTime<Utc> {
        let now = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("time");
        let t = if now <= self.last_time {
            self.last_time + chrono::Duration::milliseconds(1)
        } else {
            now
        };
        self.last_time = t;
        t
    }

    /// Adds a user; returns its id.
    pub fn add_user(&mut self, username: &str) -> u64 {
        let id = self.next_id();
        self.users.insert(id, username.to_string());
        id
    }

    /// The hooks queued by the last operation.
    pub fn take_pending(&mut self) -> Vec<PendingHook> {
        std::mem::take(&mut self.pending)
    }

    pub fn web_base(&self) -> String {
        format!("{}/{}", self.base_url, self.options.project_path)
    }

    /// An issue as `GET /projects/:id/issues/:iid` renders it.
    pub fn issue_json(&self, i: &Issue) -> Value {
        let assignees: Vec<Value> = i
            .assignee_ids
            .iter()
            .map(|id| self.user_json(*id))
            .collect();
        json!({
            "id": i.id,
            "iid": i.iid,
            "project_id": self.options.project_id,
            "title": i.title,
            "description": i.description,
            "state": i.state,
            "created_at": iso(i.created_at),
            "updated_at": iso(i.updated_at),
            "closed_at": i.closed_at.map(iso),
            "due_date": i.due_date,
            "labels": i.labels,
            "milestone": i.milestone_id.and_then(|m| self.milestones.get(&m)).map(|m| self.milestone_json(m)),
            "assignees": assignees,
            "assignee": assignees.first().cloned(),
            "author": self.user_json(1),
            "type": "ISSUE",
            "issue_type": "issue",
            "user_notes_count": self.notes.values().filter(|n| n.issue_iid == i.iid && !n.system).count(),
            "web_url": format!("{}/-/issues/{}", self.web_base(), i.iid),
            "references": {"short": format!("#{}", i.iid), "full": format!("{}#{}", self.options.project_path, i.iid)},
        })
    }

    /// A milestone as the milestones API renders it.
    pub fn milestone_json(&self, m: &Milestone) -> Value {
        json!({
            "id": m.id,
            "iid": m.iid,
            "project_id": self.options.project_id,
            "title": m.title,
            "description": m.description,
            "state": m.state,
            "due_date": m.due_date,
            "start_date": m.start_date,
            "created_at": iso(m.created_at),
            "updated_at": iso(m.updated_at),
            "expired": false,
            "web_url": format!("{}/-/milestones/{}", self.web_base(), m.iid),
        })
    }

    /// A label as the labels API renders it.
    pub fn label_json(&self, l: &Label) -> Value {
        json!({
            "id": l.id,
            "name": l.name,
            "color": l.color,
            "text_color": "#FFFFFF",
            "description": l.description,
            "open_issues_count": self.issues.values().filter(|i| i.state == "opened" && i.labels.contains(&l.name)).count(),
            "priority": null,
            "is_project_label": true,
        })
    }

    /// An epic as the epics API renders it.
    pub fn epic_json(&self, e: &Epic) -> Value {
        json!({
            "id": e.id,
            "iid": e.iid,
            "group_id": self.options.group_id,
            "title": e.title,
            "description": e.description,
            "state": e.state,
            "labels": e.labels,
            "created_at": iso(e.created_at),
            "updated_at": iso(e.updated_at),
            "web_url": format!("{}/groups/{}/-/epics/{}", self.base_url, self.options.group_id, e.iid),
        })
    }

    pub fn user_json(&self, id: u64) -> Value {
        let name = self
            .users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("user{id}"));
        json!({"id": id, "username": name, "name": name, "state": "active"})
    }
}

/// `2016-01-04T15:31:51.081Z`: the REST API's format.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2017-09-15 16:50:55 UTC`: the other format, seen in hook payloads.
pub fn utc_words(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
