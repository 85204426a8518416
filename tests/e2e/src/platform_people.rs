//! What a person does on each platform, the same way for all five (create an issue, rename
//! it, close it) and what they see there (an issue's title and state, how many issues
//! exist), so one test can run over any pair of platforms. Everything goes through the
//! simulators' control APIs, which emit the platforms' webhooks as real edits would.

use elder_sync_model::Kind;
use platform_simulators::jira::{IssueFields, STATUSES as JIRA_STATUSES};
use platform_simulators::openproject::STATUSES as OP_STATUSES;
use platform_simulators::{github, gitlab};
use serde_json::{Value, json};

use crate::platform_harness::{Platform, PlatformHost};

/// An issue as a person sees it on a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub title: String,
    pub closed: bool,
}

impl PlatformHost {
    /// A person creates an issue on `p`; returns its external id.
    pub fn person_creates(&self, p: Platform, title: &str) -> String {
        match p {
            Platform::Github => self
                .github()
                .user_open_issue(title, github::IssueEdit::default())
                .expect("github issue")
                .to_string(),
            Platform::Gitlab => self
                .gitlab()
                .create_issue(title, gitlab::IssueEdit::default())
                .iid
                .to_string(),
            Platform::Jira => {
                self.jira()
                    .create_issue(IssueFields {
                        summary: Some(title.into()),
                        issuetype: Some("Task".into()),
                        ..IssueFields::default()
                    })
                    .key
            }
            Platform::Trello => self.trello().create_card(json!({"name": title})),
            Platform::OpenProject => self
                .openproject()
                .create_work_package(json!({"subject": title}))
                .to_string(),
        }
    }

    /// A person renames issue `id` on `p`.
    pub fn person_renames(&self, p: Platform, id: &str, title: &str) {
        match p {
            Platform::Github => self
                .github()
                .user_edit_issue(
                    number(id),
                    github::IssueEdit {
                        title: Some(title.into()),
                        ..github::IssueEdit::default()
                    },
                )
                .expect("github edit"),
            Platform::Gitlab => {
                self.gitlab().update_issue(
                    number(id),
                    gitlab::IssueEdit {
                        title: Some(title.into()),
                        ..gitlab::IssueEdit::default()
                    },
                );
            }
            Platform::Jira => {
                self.jira().update_issue(
                    id,
                    IssueFields {
                        summary: Some(title.into()),
                        ..IssueFields::default()
                    },
                );
            }
            Platform::Trello => self.trello().update_card(id, json!({"name": title})),
            Platform::OpenProject => self
                .openproject()
                .update_work_package(number(id), json!({"subject": title})),
        }
    }

    /// A person closes issue `id` on `p` the platform's usual way.
    pub fn person_closes(&self, p: Platform, id: &str) {
        match p {
            Platform::Github => self
                .github()
                .user_edit_issue(
                    number(id),
                    github::IssueEdit {
                        state: Some("closed".into()),
                        ..github::IssueEdit::default()
                    },
                )
                .expect("github close"),
            Platform::Gitlab => {
                self.gitlab().update_issue(
                    number(id),
                    gitlab::IssueEdit {
                        state_event: Some("close".into()),
                        ..gitlab::IssueEdit::default()
                    },
                );
            }
            Platform::Jira => {
                self.jira().set_status(id, "Done");
            }
            Platform::Trello => {
                let done = self.trello().list_id("Done").expect("a Done list");
                self.trello().update_card(id, json!({"idList": done}));
            }
            Platform::OpenProject => {
                let closed = OP_STATUSES.iter().find(|s| s.is_closed).expect("closed");
                self.openproject().update_work_package(
                    number(id),
                    json!({"_links": {"status": {"href": format!("/api/v3/statuses/{}", closed.id)}}}),
                );
            }
        }
    }

    /// Issue `id` as `p` has it, if it exists.
    pub fn seen_on(&self, p: Platform, id: &str) -> Option<Seen> {
        let numeric = || id.parse::<u64>().ok();
        match p {
            Platform::Github => self.github().issue(numeric()?).map(|i| Seen {
                title: i.title,
                closed: i.state == "closed",
            }),
            Platform::Gitlab => self.gitlab().issue(numeric()?).map(|i| Seen {
                title: i.title,
                closed: i.state == "closed",
            }),
            Platform::Jira => self.jira().issue(id).map(|i| Seen {
                closed: JIRA_STATUSES
                    .iter()
                    .any(|s| s.id == i.status_id && s.category == "done"),
                title: i.summary,
            }),
            Platform::Trello => self.trello().card(id).map(|c| Seen {
                title: text(&c["name"]),
                closed: c["closed"] == true
                    || self
                        .trello()
                        .list_id("Done")
                        .is_some_and(|d| c["idList"] == d.as_str()),
            }),
            Platform::OpenProject => self.openproject().work_package(numeric()?).map(|w| {
                let status = text(&w["_links"]["status"]["href"]);
                Seen {
                    title: text(&w["subject"]),
                    closed: OP_STATUSES
                        .iter()
                        .any(|s| s.is_closed && status.ends_with(&format!("/{}", s.id))),
                }
            }),
        }
    }

    /// How many issues exist on `p` (open and closed).
    pub fn issue_count(&self, p: Platform) -> usize {
        match p {
            Platform::Github => self
                .github()
                .issues()
                .iter()
                .filter(|i| !i.is_pull_request)
                .count(),
            // iids and keys are dense from 1 and nothing is deleted here.
            Platform::Gitlab => (1..)
                .take_while(|n| self.gitlab().issue(*n).is_some())
                .count(),
            Platform::Jira => (1..)
                .take_while(|n| self.jira().issue(&format!("ELD-{n}")).is_some())
                .count(),
            Platform::Trello => self.trello().card_count(),
            Platform::OpenProject => self.openproject().work_package_count(),
        }
    }

    /// The Elder issue `elder_id` as `p` has it, through its mapping.
    pub async fn seen_for_elder(&self, p: Platform, elder_id: i64) -> Option<Seen> {
        let m = self
            .store
            .find_mapping_by_elder(self.config_id(p), Kind::Issue, elder_id)
            .await
            .ok()
            .flatten()?;
        self.seen_on(p, &m.external_id)
    }
}

fn number(id: &str) -> u64 {
    id.parse()
        .unwrap_or_else(|_| panic!("{id:?} is not a numeric id"))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
