//! The GitHub simulator's state: issues (and pull requests), their comments, milestones,
//! labels, the simulated clock, request log, rate-limit plan and webhook configuration, plus
//! rendering of each object in GitHub's JSON shape.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::comments::Comment;
use super::webhook::{Delivery, HookConfig};
use super::{GithubOptions, RateLimitKind};

/// An issue or pull request (`is_pull_request`), as the simulator stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// Repository-scoped number.
    pub number: u64,
    /// Global id.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Markdown body.
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// `completed`, `not_planned`, `reopened`, `duplicate` or none.
    pub state_reason: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Assignee logins.
    pub assignees: Vec<String>,
    /// Milestone number.
    pub milestone: Option<u64>,
    /// Whether this is a pull request.
    pub is_pull_request: bool,
    /// Author login.
    pub user: String,
    /// Creation time, epoch seconds.
    pub created_at: i64,
    /// Last change, epoch seconds.
    pub updated_at: i64,
    /// Close time, epoch seconds.
    pub closed_at: Option<i64>,
}

/// A milestone.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// Repository-scoped number.
    pub number: u64,
    /// Global id.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// Due date, epoch seconds.
    pub due_on: Option<i64>,
    /// Creation time, epoch seconds.
    pub created_at: i64,
    /// Last change, epoch seconds.
    pub updated_at: i64,
    /// Close time, epoch seconds.
    pub closed_at: Option<i64>,
}

/// A label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Global id.
    pub id: u64,
    /// Name (unique per repository, case-insensitively).
    pub name: String,
    /// Six hex digits without `#`.
    pub color: String,
    /// Description.
    pub description: Option<String>,
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The `Authorization` header as received.
    pub authorization: Option<String>,
    /// All headers, names lower-cased.
    pub headers: Vec<(String, String)>,
}

/// The whole simulated repository.
pub struct State {
    /// Options the simulator was started with.
    pub options: GithubOptions,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Seconds added to the wall clock.
    pub clock_offset: i64,
    /// Issues and pull requests by number.
    pub issues: BTreeMap<u64, Issue>,
    /// Milestones by number.
    pub milestones: BTreeMap<u64, Milestone>,
    /// Labels in creation order.
    pub labels: Vec<Label>,
    /// Issue comments by id (ids grow, so this is creation order too).
    pub comments: BTreeMap<u64, Comment>,
    /// Logins that may be assigned.
    pub collaborators: Vec<String>,
    /// Next issue/PR number (shared, as on GitHub).
    pub next_number: u64,
    /// Next milestone number.
    pub next_milestone: u64,
    /// Next global id.
    pub next_id: u64,
    /// Requests received.
    pub requests: Vec<RecordedRequest>,
    /// Rate-limit answers to give to the next requests.
    pub rate_limits: VecDeque<RateLimitKind>,
    /// Requests counted against the hourly quota.
    pub used: u64,
    /// Webhook configuration.
    pub hook: Option<HookConfig>,
    /// Deliveries built (and sent when a hook URL is set).
    pub deliveries: Vec<Delivery>,
    /// How long `POST .../issues` holds its answer after the issue is created (a platform
    /// that commits a create but answers after the caller's deadline).
    pub create_answer_delay: std::time::Duration,
    /// How long `GET .../issues` takes to answer (a slow listing, to watch a run's progress).
    pub list_answer_delay: std::time::Duration,
}

impl State {
    /// A repository with no content.
    pub fn new(options: GithubOptions) -> Self {
        State {
            options,
            base_url: String::new(),
            clock_offset: 0,
            issues: BTreeMap::new(),
            milestones: BTreeMap::new(),
            labels: Vec::new(),
            comments: BTreeMap::new(),
            collaborators: vec!["octocat".into(), "hubot".into(), "monalisa".into()],
            next_number: 1,
            next_milestone: 1,
            next_id: 1_000_001,
            requests: Vec::new(),
            rate_limits: VecDeque::new(),
            used: 0,
            hook: None,
            deliveries: Vec::new(),
            create_answer_delay: std::time::Duration::ZERO,
            list_answer_delay: std::time::Duration::ZERO,
        }
    }

    /// The simulated time, epoch seconds.
    pub fn now(&self) -> i64 {
        Utc::now().timestamp() + self.clock_offset
    }

    /// A fresh global id.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The label named `name` (case-insensitive).
    pub fn label(&self, name: &str) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// `{base}/repos/{owner}/{repo}`.
    pub fn repo_api(&self) -> String {
        format!(
            "{}/repos/{}/{}",
            self.base_url, self.options.owner, self.options.repo
        )
    }

    fn repo_html(&self) -> String {
        format!(
            "https://github.com/{}/{}",
            self.options.owner, self.options.repo
        )
    }
}

/// ISO 8601 with `Z` and second precision, as GitHub writes it.
pub fn iso(secs: i64) -> String {
    DateTime::<Utc>::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Parses GitHub's ISO 8601 input (`since`, `due_on`) to epoch seconds.
pub fn parse_iso(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp())
}

/// A user object.
pub fn user_json(login: &str) -> Value {
    json!({
        "login": login,
        "id": login.bytes().map(u64::from).sum::<u64>(),
        "node_id": format!("MDQ6VXNlcj{login}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{login}?v=4"),
        "gravatar_id": "",
        "url": format!("https://api.github.com/users/{login}"),
        "html_url": format!("https://github.com/{login}"),
        "type": "User",
        "site_admin": false
    })
}

/// A label in GitHub's shape.
pub fn label_json(st: &State, l: &Label) -> Value {
    json!({
        "id": l.id,
        "node_id": format!("LA_kwDO{}", l.id),
        "url": format!("{}/labels/{}", st.repo_api(), l.name),
        "name": l.name,
        "color": l.color,
        "default": false,
        "description": l.description,
    })
}

/// A milestone in GitHub's shape.
pub fn milestone_json(st: &State, m: &Milestone) -> Value {
    milestone_json_counted(st, m, &Counters::of(st))
}

/// The counters GitHub keeps on objects (a milestone's open and closed issues, an issue's
/// comments), counted in one pass over the repository: a page of many objects renders in
/// time linear in the repository, not once per object.
#[derive(Debug, Default)]
pub struct Counters {
    /// `(open, closed)` issues by milestone number.
    milestones: HashMap<u64, (usize, usize)>,
    /// Comments by issue number.
    comments: HashMap<u64, usize>,
}

impl Counters {
    pub fn of(st: &State) -> Counters {
        let mut c = Counters::default();
        for i in st.issues.values() {
            if let Some(n) = i.milestone {
                let (open, closed) = c.milestones.entry(n).or_default();
                if i.state == "open" {
                    *open += 1;
                } else {
                    *closed += 1;
                }
            }
        }
        for comment in st.comments.values() {
            *c.comments.entry(comment.issue).or_default() += 1;
        }
        c
    }
}

/// A milestone in GitHub's shape, its issue counts taken from `counters`.
pub fn milestone_json_counted(st: &State, m: &Milestone, counters: &Counters) -> Value {
    let (open, closed) = counters
        .milestones
        .get(&m.number)
        .copied()
        .unwrap_or_default();
    json!({
        "url": format!("{}/milestones/{}", st.repo_api(), m.number),
        "html_url": format!("{}/milestone/{}", st.repo_html(), m.number),
        "labels_url": format!("{}/milestones/{}/labels", st.repo_api(), m.number),
        "id": m.id,
        "node_id": format!("MI_kwDO{}", m.id),
        "number": m.number,
        "state": m.state,
        "title": m.title,
        "description": m.description,
        "creator": user_json(&st.options.owner),
        "open_issues": open,
        "closed_issues": closed,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
        "closed_at": m.closed_at.map(iso),
        "due_on": m.due_on.map(iso),
    })
}

/// An issue (or pull request) in GitHub's shape.
pub fn issue_json(st: &State, i: &Issue) -> Value {
    issue_json_counted(st, i, &Counters::of(st))
}

/// An issue in GitHub's shape, its counters (and its milestone's) taken from `counters`.
pub fn issue_json_counted(st: &State, i: &Issue, counters: &Counters) -> Value {
    let api = st.repo_api();
    let kind = if i.is_pull_request { "pull" } else { "issues" };
    let labels: Vec<Value> = i
        .labels
        .iter()
        .filter_map(|n| st.label(n))
        .map(|l| label_json(st, l))
        .collect();
    let assignees: Vec<Value> = i.assignees.iter().map(|a| user_json(a)).collect();
    let mut v = json!({
        "url": format!("{api}/issues/{}", i.number),
        "repository_url": api,
        "labels_url": format!("{api}/issues/{}/labels{{/name}}", i.number),
        "comments_url": format!("{api}/issues/{}/comments", i.number),
        "events_url": format!("{api}/issues/{}/events", i.number),
        "html_url": format!("{}/{kind}/{}", st.repo_html(), i.number),
        "id": i.id,
        "node_id": format!("I_kwDO{}", i.id),
        "number": i.number,
        "title": i.title,
        "user": user_json(&i.user),
        "labels": labels,
        "state": i.state,
        "locked": false,
        "assignee": assignees.first().cloned(),
        "assignees": assignees,
        "milestone": i.milestone.and_then(|n| st.milestones.get(&n)).map(|m| milestone_json_counted(st, m, counters)),
        "comments": counters.comments.get(&i.number).copied().unwrap_or_default(),
        "created_at": iso(i.created_at),
        "updated_at": iso(i.updated_at),
        "closed_at": i.closed_at.map(iso),
        "author_association": "OWNER",
        "active_lock_reason": null,
        "body": i.body,
        "closed_by": null,
        "reactions": {"url": format!("{api}/issues/{}/reactions", i.number), "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
        "timeline_url": format!("{api}/issues/{}/timeline", i.number),
        "performed_via_github_app": null,
        "state_reason": i.state_reason,
    });
    if i.is_pull_request {
        v["pull_request"] = json!({
            "url": format!("{api}/pulls/{}", i.number),
            "html_url": format!("{}/pull/{}", st.repo_html(), i.number),
            "diff_url": format!("{}/pull/{}.diff", st.repo_html(), i.number),
            "patch_url": format!("{}/pull/{}.patch", st.repo_html(), i.number),
            "merged_at": null
        });
    }
    v
}

/// The repository object.
pub fn repo_json(st: &State) -> Value {
    json!({
        "id": 1_296_269,
        "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
        "name": st.options.repo,
        "full_name": format!("{}/{}", st.options.owner, st.options.repo),
        "private": false,
        "owner": user_json(&st.options.owner),
        "html_url": st.repo_html(),
        "url": st.repo_api(),
        "has_issues": true,
    })
}
