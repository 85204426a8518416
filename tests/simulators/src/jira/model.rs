//! The Jira simulator's stored records and their REST renderings (fields, timestamps in
//! the site's offset such as `2022-03-20T06:21:50.520+0530`).

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Map, Value, json};

use super::JiraOptions;
use super::comments::Comment;
use super::webhook::{Delivery, HookConfig, PendingHook};
use super::workflow::{self, Status};

/// The sprint custom field of this site.
pub const SPRINT_FIELD: &str = "customfield_10020";

/// An issue.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub id: u64,
    pub key: String,
    pub summary: String,
    /// The description as an ADF document, or none.
    pub description: Option<Value>,
    pub status_id: String,
    pub issuetype: String,
    pub labels: Vec<String>,
    pub component_ids: Vec<u64>,
    pub assignee: Option<String>,
    pub sprint_ids: Vec<u64>,
    pub resolution: Option<String>,
    /// `duedate`: `YYYY-MM-DD` or none.
    pub duedate: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Before this instant the issue's latest change is not yet in the search index.
    pub indexed_at: Instant,
    /// What search shows until then (none: the issue is absent from search).
    pub indexed: Option<Box<Issue>>,
}

/// A project component.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub id: u64,
    pub name: String,
    pub description: Option<String>,
}

/// A sprint on the project's board.
#[derive(Debug, Clone, PartialEq)]
pub struct Sprint {
    pub id: u64,
    pub name: String,
    pub goal: Option<String>,
    /// `future`, `active` or `closed`.
    pub state: String,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
}

/// Everything the simulator stores.
pub struct State {
    pub options: JiraOptions,
    pub base_url: String,
    pub issues: BTreeMap<u64, Issue>,
    pub components: BTreeMap<u64, Component>,
    pub sprints: BTreeMap<u64, Sprint>,
    /// Comments of every issue by comment id.
    pub comments: BTreeMap<u64, Comment>,
    pub users: BTreeMap<String, String>,
    pub hook: HookConfig,
    pub deliveries: Vec<Delivery>,
    pub pending: Vec<PendingHook>,
    pub rate_limited: u32,
    pub requests: u64,
    pub project_id: u64,
    pub board_id: u64,
    next_id: u64,
    next_number: u64,
    last_time: DateTime<Utc>,
}

impl State {
    /// An empty project with one user.
    pub fn new(options: JiraOptions) -> State {
        let mut users = BTreeMap::new();
        users.insert(
            "5b10a2844c20165700ede21g".to_string(),
            "Sync Bot".to_string(),
        );
        State {
            options,
            base_url: String::new(),
            issues: BTreeMap::new(),
            components: BTreeMap::new(),
            sprints: BTreeMap::new(),
            comments: BTreeMap::new(),
            users,
            hook: HookConfig::default(),
            deliveries: Vec::new(),
            pending: Vec::new(),
            rate_limited: 0,
            requests: 0,
            project_id: 10000,
            board_id: 1,
            next_id: 10000,
            next_number: 0,
            last_time: DateTime::<Utc>::MIN_UTC,
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The next issue key number.
    pub fn next_number(&mut self) -> u64 {
        self.next_number += 1;
        self.next_number
    }

    /// Now, millisecond precision, strictly later than any earlier answer.
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

    pub fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.options.utc_offset_secs).expect("valid offset")
    }

    /// `2022-03-20T06:21:50.520+0530`.
    pub fn ts(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.offset())
            .format("%Y-%m-%dT%H:%M:%S%.3f%z")
            .to_string()
    }

    pub fn add_user(&mut self, name: &str) -> String {
        let id = format!("557058:{:08x}", self.next_id());
        self.users.insert(id.clone(), name.to_string());
        id
    }

    pub fn take_pending(&mut self) -> Vec<PendingHook> {
        std::mem::take(&mut self.pending)
    }

    /// The id of the issue with this key or numeric id.
    pub fn id_of(&self, key_or_id: &str) -> Result<u64, super::ops::SimError> {
        self.issues
            .values()
            .find(|i| i.key.eq_ignore_ascii_case(key_or_id) || i.id.to_string() == key_or_id)
            .map(|i| i.id)
            .ok_or_else(|| {
                super::ops::SimError::msg(
                    404,
                    "Issue does not exist or you do not have permission to see it.",
                )
            })
    }

    pub fn status_of(&self, i: &Issue) -> Status {
        workflow::status(&i.status_id).expect("stored status exists")
    }

    /// All fields of an issue.
    pub fn fields(&self, i: &Issue) -> Map<String, Value> {
        let base = &self.base_url;
        let mut f = Map::new();
        f.insert("summary".into(), json!(i.summary));
        f.insert(
            "description".into(),
            i.description.clone().unwrap_or(Value::Null),
        );
        f.insert(
            "status".into(),
            workflow::status_json(base, self.status_of(i)),
        );
        f.insert(
            "issuetype".into(),
            json!({"id": issuetype_id(&i.issuetype), "name": i.issuetype, "subtask": false}),
        );
        f.insert("project".into(), self.project_ref());
        f.insert("labels".into(), json!(i.labels));
        let comps: Vec<Value> = i
            .component_ids
            .iter()
            .filter_map(|c| self.components.get(c))
            .map(|c| self.component_json(c))
            .collect();
        f.insert("components".into(), Value::Array(comps));
        f.insert(
            "assignee".into(),
            i.assignee
                .as_ref()
                .map(|a| self.user_json(a))
                .unwrap_or(Value::Null),
        );
        let sprints: Vec<Value> = i
            .sprint_ids
            .iter()
            .filter_map(|s| self.sprints.get(s))
            .map(|s| self.sprint_json(s))
            .collect();
        f.insert(
            SPRINT_FIELD.into(),
            if sprints.is_empty() {
                Value::Null
            } else {
                Value::Array(sprints)
            },
        );
        f.insert(
            "resolution".into(),
            i.resolution
                .as_ref()
                .map(|r| json!({"name": r}))
                .unwrap_or(Value::Null),
        );
        f.insert("duedate".into(), json!(i.duedate));
        f.insert("created".into(), json!(self.ts(i.created)));
        f.insert("updated".into(), json!(self.ts(i.updated)));
        f.insert("fixVersions".into(), json!([]));
        f
    }

    /// An issue with the requested fields (`*all`/`*navigable` for all; none: only `id`).
    pub fn issue_json(&self, i: &Issue, fields: Option<&[String]>) -> Value {
        let Some(wanted) = fields else {
            return json!({"id": i.id.to_string()});
        };
        let all = self.fields(i);
        let every = wanted.iter().any(|w| w == "*all" || w == "*navigable");
        let picked: Map<String, Value> = all
            .into_iter()
            .filter(|(k, _)| every || wanted.iter().any(|w| w == k))
            .collect();
        json!({
            "id": i.id.to_string(),
            "key": i.key,
            "self": format!("{}/rest/api/3/issue/{}", self.base_url, i.id),
            "fields": picked,
        })
    }

    pub fn project_ref(&self) -> Value {
        json!({"id": self.project_id.to_string(), "key": self.options.project_key, "name": "Elder Sync test project",
               "self": format!("{}/rest/api/3/project/{}", self.base_url, self.project_id)})
    }

    pub fn user_json(&self, account_id: &str) -> Value {
        json!({"accountId": account_id, "displayName": self.users.get(account_id), "active": true, "accountType": "atlassian"})
    }

    pub fn component_json(&self, c: &Component) -> Value {
        json!({"id": c.id.to_string(), "name": c.name, "description": c.description,
               "self": format!("{}/rest/api/3/component/{}", self.base_url, c.id),
               "project": self.options.project_key, "projectId": self.project_id})
    }

    pub fn sprint_json(&self, s: &Sprint) -> Value {
        json!({"id": s.id, "self": format!("{}/rest/agile/1.0/sprint/{}", self.base_url, s.id),
               "state": s.state, "name": s.name, "goal": s.goal, "startDate": s.start_date,
               "endDate": s.end_date, "originBoardId": self.board_id, "boardId": self.board_id})
    }
}

pub fn issuetype_id(name: &str) -> &'static str {
    match name {
        "Bug" => "10004",
        "Story" => "10001",
        "Epic" => "10000",
        _ => "10002",
    }
}

/// The issue types this project has.
pub const ISSUE_TYPES: [&str; 4] = ["Task", "Bug", "Story", "Epic"];
