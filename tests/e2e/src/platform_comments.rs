//! Comments as a person writes and reads them on each platform, the same way for all five
//! (a commenter account, a comment on an issue, the comments an issue shows), so one test
//! can run over any platform. Everything goes through the simulators' control APIs, which
//! emit the platforms' webhooks as real comments would.

use serde_json::Value;

use crate::platform_harness::{Platform, PlatformHost};

impl PlatformHost {
    /// A person who can comment on `p`; returns their id as `p` knows them.
    pub fn commenter(&self, p: Platform) -> String {
        match p {
            Platform::Github => "octocat".into(),
            Platform::Gitlab => self.gitlab().add_user("ann").to_string(),
            Platform::Jira => self.jira().add_user("Ann Lee"),
            Platform::Trello => self.trello().add_member("ann", "Ann Lee"),
            // Ada Lovelace is one of the simulator's users.
            Platform::OpenProject => "5".into(),
        }
    }

    /// `who` comments on issue `id` of `p`. `body` is a JSON string on every platform but
    /// Jira, where it is the ADF document Jira's editor would store.
    pub fn person_comments(&self, p: Platform, who: &str, id: &str, body: &Value) {
        let text = || body.as_str().expect("a text body").to_string();
        match p {
            Platform::Github => {
                self.github()
                    .user_comment(number(id), who, &text())
                    .expect("github comment");
            }
            Platform::Gitlab => {
                self.gitlab().add_note(number(id), number(who), &text());
            }
            Platform::Jira => {
                self.jira().add_comment(id, who, body.clone());
            }
            Platform::Trello => {
                self.trello().add_comment(id, who, &text());
            }
            Platform::OpenProject => {
                self.openproject()
                    .add_comment(number(id), number(who), &text());
            }
        }
    }

    /// The ids of the comments issue `id` shows on `p`, oldest first (the order of
    /// [`PlatformHost::comments_seen`]).
    pub fn comment_ids_seen(&self, p: Platform, id: &str) -> Vec<String> {
        self.comments_on(p, id)
            .into_iter()
            .map(|(cid, _)| cid)
            .collect()
    }

    /// Comment `cid` of issue `id` on `p` is edited to `body` by its author, as in the
    /// platform's UI (`body` as for [`PlatformHost::person_comments`]). GitLab and Jira
    /// announce it; OpenProject sends no webhook for an edit.
    pub fn person_edits_comment(&self, p: Platform, id: &str, cid: &str, body: &Value) {
        let text = || body.as_str().expect("a text body").to_string();
        match p {
            Platform::Github => {
                self.github()
                    .user_edit_comment(number(cid), &text())
                    .expect("github edit");
            }
            Platform::Gitlab => {
                self.gitlab().edit_note(number(id), number(cid), &text());
            }
            Platform::Jira => {
                self.jira().edit_comment(id, number(cid), body.clone());
            }
            Platform::Trello => self.trello().edit_comment(id, cid, &text()),
            Platform::OpenProject => self.openproject().edit_comment(number(cid), &text()),
        }
    }

    /// Comment `cid` of issue `id` on `p` is deleted by its author, as in the platform's UI
    /// (GitLab sends no webhook for it). OpenProject cannot delete a comment: panics.
    pub fn person_deletes_comment(&self, p: Platform, id: &str, cid: &str) {
        match p {
            Platform::Github => {
                self.github()
                    .user_delete_comment(number(cid))
                    .expect("github delete");
            }
            Platform::Gitlab => self.gitlab().delete_note(number(id), number(cid)),
            Platform::Jira => self.jira().delete_comment(id, number(cid)),
            Platform::Trello => self.trello().delete_comment(id, cid),
            Platform::OpenProject => panic!("OpenProject comments cannot be deleted"),
        }
    }

    /// The comments issue `id` shows on `p`, oldest first: JSON strings, but Jira's ADF
    /// documents as Jira stores them (GitLab's system notes and OpenProject's changes
    /// without a comment are not comments).
    pub fn comments_seen(&self, p: Platform, id: &str) -> Vec<Value> {
        self.comments_on(p, id)
            .into_iter()
            .map(|(_, body)| body)
            .collect()
    }

    /// `(comment id, body)` of the comments issue `id` shows on `p`, oldest first, bodies as
    /// [`PlatformHost::comments_seen`] gives them.
    fn comments_on(&self, p: Platform, id: &str) -> Vec<(String, Value)> {
        match p {
            Platform::Github => self
                .github()
                .comments(number(id))
                .into_iter()
                .map(|c| (c.id.to_string(), Value::String(c.body)))
                .collect(),
            Platform::Gitlab => self
                .gitlab()
                .notes(number(id))
                .into_iter()
                .filter(|n| !n.system)
                .map(|n| (n.id.to_string(), Value::String(n.body)))
                .collect(),
            Platform::Jira => self
                .jira()
                .comments(id)
                .into_iter()
                .map(|c| (c.id.to_string(), c.body))
                .collect(),
            Platform::Trello => self
                .trello()
                .comments(id)
                .into_iter()
                .map(|(action, text)| (action, Value::String(text)))
                .collect(),
            Platform::OpenProject => self
                .openproject()
                .activities(number(id))
                .into_iter()
                .filter(|(_, notes)| !notes.is_empty())
                .map(|(activity, notes)| (activity.to_string(), Value::String(notes)))
                .collect(),
        }
    }
}

fn number(id: &str) -> u64 {
    id.parse().expect("a numeric id")
}
