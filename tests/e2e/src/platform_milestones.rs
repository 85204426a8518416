//! Milestones as a person handles them on each platform that has them (a GitHub or GitLab
//! milestone, a Jira sprint, an OpenProject version): create with dates, edit, close,
//! delete, and what they see there, so one test runs over every platform. Everything goes
//! through the simulators' control APIs, which emit the platforms' webhooks (where the
//! platform sends one) as real edits would. Dates are `YYYY-MM-DD`.

use elder_sync_model::Kind;
use elder_sync_store::{Mapping, NewResource, PageRequest, Resource, ResourceFilter};
use platform_simulators::{github, gitlab};
use serde_json::{Value, json};

use crate::platform_harness::{Platform, PlatformHost};

/// A milestone as a person sees it on a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenMilestone {
    pub title: String,
    pub description: String,
    pub closed: bool,
    pub start_date: Option<String>,
    pub due_date: Option<String>,
}

/// A milestone's dates and title as a person sets them.
#[derive(Debug, Clone, Default)]
pub struct MilestoneDraft {
    pub title: String,
    pub description: String,
    /// Ignored on GitHub (a GitHub milestone has a due date only).
    pub start_date: Option<String>,
    pub due_date: Option<String>,
}

impl PlatformHost {
    /// A person creates a milestone on `p`; returns its external id.
    pub fn person_creates_milestone(&self, p: Platform, d: &MilestoneDraft) -> String {
        match p {
            Platform::Github => {
                let edit = github::MilestoneEdit::from_json(&json!({
                    "title": d.title, "description": d.description,
                    "due_on": d.due_date.as_ref().map(|x| format!("{x}T00:00:00Z")),
                }))
                .expect("github milestone edit");
                self.github()
                    .user_create_milestone(edit)
                    .expect("github milestone")
                    .to_string()
            }
            Platform::Gitlab => {
                let edit = gitlab::MilestoneEdit {
                    description: Some(d.description.clone()),
                    start_date: Some(d.start_date.clone()),
                    due_date: Some(d.due_date.clone()),
                    ..gitlab::MilestoneEdit::default()
                };
                self.gitlab()
                    .create_milestone(&d.title, edit)
                    .id
                    .to_string()
            }
            Platform::Jira => {
                let id = self.jira().create_sprint(&d.title).id;
                let mut body = jira_body(d);
                body["goal"] = json!(d.description);
                self.jira().update_sprint(id, body);
                id.to_string()
            }
            Platform::OpenProject => {
                let id = self.openproject().create_version(&d.title);
                let mut body = op_body(d);
                body["description"] = json!({"format": "markdown", "raw": d.description});
                self.openproject().update_version(id, body);
                id.to_string()
            }
            Platform::Trello => panic!("Trello has no milestones"),
        }
    }

    /// A person changes milestone `id` on `p` to `d` (title, description, dates).
    pub fn person_edits_milestone(&self, p: Platform, id: &str, d: &MilestoneDraft) {
        match p {
            Platform::Github => {
                let edit = github::MilestoneEdit::from_json(&json!({
                    "title": d.title, "description": d.description,
                    "due_on": d.due_date.as_ref().map(|x| format!("{x}T00:00:00Z")),
                }))
                .expect("github milestone edit");
                self.github()
                    .user_edit_milestone(number(id), edit)
                    .expect("github milestone edit");
            }
            Platform::Gitlab => {
                self.gitlab().update_milestone(
                    number(id),
                    gitlab::MilestoneEdit {
                        title: Some(d.title.clone()),
                        description: Some(d.description.clone()),
                        start_date: Some(d.start_date.clone()),
                        due_date: Some(d.due_date.clone()),
                        ..gitlab::MilestoneEdit::default()
                    },
                );
            }
            Platform::Jira => {
                let mut body = jira_body(d);
                body["name"] = json!(d.title);
                body["goal"] = json!(d.description);
                self.jira().update_sprint(number(id), body);
            }
            Platform::OpenProject => {
                let mut body = op_body(d);
                body["name"] = json!(d.title);
                body["description"] = json!({"format": "markdown", "raw": d.description});
                self.openproject().update_version(number(id), body);
            }
            Platform::Trello => panic!("Trello has no milestones"),
        }
    }

    /// Milestone `id` as `p` has it, if it exists.
    pub fn milestone_seen_on(&self, p: Platform, id: &str) -> Option<SeenMilestone> {
        let n = id.parse::<u64>().ok()?;
        match p {
            Platform::Github => self.github().milestone(n).map(|m| SeenMilestone {
                title: m.title,
                description: m.description.unwrap_or_default(),
                closed: m.state == "closed",
                start_date: None,
                due_date: m.due_on.map(|t| github::iso(t)[..10].to_string()),
            }),
            Platform::Gitlab => self.gitlab().milestone(n).map(|m| SeenMilestone {
                title: m.title,
                description: m.description.unwrap_or_default(),
                closed: m.state == "closed",
                start_date: m.start_date,
                due_date: m.due_date,
            }),
            Platform::Jira => self.jira().sprint(n).map(|s| SeenMilestone {
                title: s.name,
                description: s.goal.unwrap_or_default(),
                closed: s.state == "closed",
                start_date: s.start_date.map(|d| d[..10].to_string()),
                due_date: s.end_date.map(|d| d[..10].to_string()),
            }),
            Platform::OpenProject => self.openproject().version(n).map(|v| SeenMilestone {
                title: text(&v["name"]),
                description: text(&v["description"]["raw"]),
                closed: v["status"] == "closed",
                start_date: v["startDate"].as_str().map(str::to_string),
                due_date: v["endDate"].as_str().map(str::to_string),
            }),
            Platform::Trello => None,
        }
    }

    /// The writes the connectors sent to `p`: successful requests other than reads (Jira's
    /// `POST .../search/jql` is a read).
    pub fn writes_on(&self, p: Platform) -> Vec<crate::platform_harness::SentRequest> {
        self.tap
            .writes_to(&self.sim_url(p))
            .into_iter()
            .filter(|r| !r.url.contains("/rest/api/3/search/jql"))
            .collect()
    }

    /// Every Elder milestone (whatever project).
    pub async fn elder_milestones(&self) -> Vec<Resource> {
        self.store
            .list_resources(
                Kind::Milestone,
                &ResourceFilter::default(),
                PageRequest {
                    page: 1,
                    per_page: 100,
                },
            )
            .await
            .expect("list milestones")
            .items
    }

    /// The mapping of `p`'s item of `kind` with `external_id`.
    pub async fn mapping_of(&self, p: Platform, kind: Kind, external_id: &str) -> Option<Mapping> {
        self.store
            .find_mapping_by_external(self.config_id(p), kind, external_id)
            .await
            .ok()
            .flatten()
    }

    /// The external id `p` has for Elder resource `(kind, elder_id)`.
    pub async fn external_id_of(&self, p: Platform, kind: Kind, elder_id: i64) -> Option<String> {
        self.store
            .find_mapping_by_elder(self.config_id(p), kind, elder_id)
            .await
            .ok()
            .flatten()
            .filter(|m| !elder_sync_store::is_reserved(&m.external_id))
            .map(|m| m.external_id)
    }

    /// Creates an Elder milestone in the project as a user of the Elder API would.
    pub async fn create_milestone_in_elder(&self, d: &MilestoneDraft) -> Resource {
        self.store
            .create_resource(
                Kind::Milestone,
                &NewResource {
                    title: d.title.clone(),
                    description: d.description.clone(),
                    project_id: Some(self.project_id),
                    extras: Some(dates_json(d)),
                    ..NewResource::default()
                },
            )
            .await
            .expect("create Elder milestone")
    }
}

/// The shared date fields of a draft as Elder's `extras` holds them.
pub fn dates_json(d: &MilestoneDraft) -> Value {
    let mut v = json!({});
    if let Some(s) = &d.start_date {
        v["start_date"] = json!(s);
    }
    if let Some(s) = &d.due_date {
        v["due_date"] = json!(s);
    }
    v
}

fn jira_body(d: &MilestoneDraft) -> Value {
    json!({
        "startDate": d.start_date.as_ref().map(|x| format!("{x}T09:00:00.000Z")),
        "endDate": d.due_date.as_ref().map(|x| format!("{x}T17:00:00.000Z")),
    })
}

fn op_body(d: &MilestoneDraft) -> Value {
    json!({"startDate": d.start_date, "endDate": d.due_date})
}

fn number(id: &str) -> u64 {
    id.parse()
        .unwrap_or_else(|_| panic!("{id:?} is not a numeric id"))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
