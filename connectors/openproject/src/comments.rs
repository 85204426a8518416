//! Work-package comments: OpenProject keeps them as activities (journals) of the work
//! package; only those with a non-empty `comment.raw` are comments (the rest record field
//! changes). Bodies are Markdown on both sides. A comment is added with `POST
//! .../work_packages/{id}/activities` and edited with `PATCH /activities/{id}`; OpenProject
//! has no API to delete one, so delete answers `unsupported`.

use std::collections::BTreeSet;

use elder_connector_sdk::{Comment, ConnectorError, Kind, time};

use crate::model::Activity;
use crate::settings::Settings;
use crate::settings::api::{Api, check_id};

/// Why a comment cannot be deleted from Elder.
pub const NO_DELETE: &str = "OpenProject has no API to delete a comment (an activity of the \
     work package); edit its text instead";

/// Follows at most this many `nextByOffset` links (OpenProject serves one page).
const MAX_PAGES: usize = 100;

fn work_packages_only(kind: Kind) -> Result<(), ConnectorError> {
    if kind == Kind::Issue {
        Ok(())
    } else {
        Err(ConnectorError::unsupported(
            "OpenProject comments are synced for work packages only",
        ))
    }
}

/// Every comment of a work package, oldest first.
pub fn list(cfg: &Settings, kind: Kind, wp: &str) -> Result<Vec<Comment>, ConnectorError> {
    work_packages_only(kind)?;
    check_id(wp)?;
    let api = Api::new(cfg);
    let mut path = format!("work_packages/{wp}/activities");
    let mut seen = BTreeSet::new();
    let mut comments = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = api.activities(&path)?;
        for a in &page.embedded.elements {
            if seen.insert(a.id) && is_comment(a) {
                comments.push(comment(a)?);
            }
        }
        match page.links.next_by_offset.and_then(|l| l.href) {
            Some(href) if !page.embedded.elements.is_empty() => {
                path = format!("{}{href}", cfg.base_url);
            }
            _ => break,
        }
    }
    Ok(comments)
}

/// Adds a comment; returns it as stored.
pub fn create(cfg: &Settings, kind: Kind, wp: &str, body: &str) -> Result<Comment, ConnectorError> {
    work_packages_only(kind)?;
    comment(&Api::new(cfg).add_comment(wp, body)?)
}

/// Replaces a comment's text; returns it as stored.
pub fn update(
    cfg: &Settings,
    kind: Kind,
    wp: &str,
    id: &str,
    body: &str,
) -> Result<Comment, ConnectorError> {
    work_packages_only(kind)?;
    check_id(wp)?;
    let a = Api::new(cfg).edit_comment(id, body)?;
    if a.links
        .work_package
        .id()
        .as_deref()
        .is_some_and(|w| w != wp)
    {
        return Err(ConnectorError::invalid_input(format!(
            "activity {id} is not a comment of work package {wp}"
        )));
    }
    comment(&a)
}

/// Always `unsupported`: see [`NO_DELETE`].
pub fn delete(kind: Kind) -> Result<(), ConnectorError> {
    work_packages_only(kind)?;
    Err(ConnectorError::unsupported(NO_DELETE))
}

fn is_comment(a: &Activity) -> bool {
    a.comment
        .raw
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty())
}

/// An activity as a comment: the author is the user id (as assignees are), named by the
/// link's title; `version` is `updatedAt`.
fn comment(a: &Activity) -> Result<Comment, ConnectorError> {
    let ms = |raw: &str| {
        time::parse_timestamp(raw)
            .map_err(|_| ConnectorError::internal(format!("unreadable activity time `{raw}`")))
    };
    Ok(Comment {
        external_id: a.id.to_string(),
        author: a.links.user.id().unwrap_or_default(),
        author_name: a.links.user.title.clone().filter(|t| !t.is_empty()),
        body: a.comment.raw.clone().unwrap_or_default(),
        created_at: ms(&a.created_at)?,
        updated_at: ms(&a.updated_at)?,
        version: Some(a.updated_at.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};
    use serde_json::{Value, json};

    fn cfg() -> Settings {
        settings::<crate::OpenProject>(&[
            ("base_url", "https://op.example.com"),
            ("project_id", "3"),
        ])
        .unwrap()
    }

    fn activity(id: u64, raw: &str) -> Value {
        json!({"_type": if raw.is_empty() { "Activity" } else { "Activity::Comment" }, "id": id,
               "comment": {"format": "markdown", "raw": raw, "html": ""},
               "createdAt": "2014-08-29T12:40:53Z", "updatedAt": "2014-08-29T12:41:00Z",
               "_links": {"user": {"href": "/api/v3/users/5", "title": "Ada Lovelace"},
                          "workPackage": {"href": "/api/v3/work_packages/7"}}})
    }

    fn collection(elements: Vec<Value>, next: Option<&str>) -> Value {
        let mut links = json!({"self": {"href": "/api/v3/work_packages/7/activities"}});
        if let Some(n) = next {
            links["nextByOffset"] = json!({"href": n});
        }
        json!({"_type": "Collection", "total": 9, "count": elements.len(),
               "_embedded": {"elements": elements}, "_links": links})
    }

    #[test]
    fn only_activities_with_a_comment_are_comments() {
        let http = FakeHttp::new();
        http.reply(Reply::json(
            200,
            collection(
                vec![activity(1, ""), activity(2, "*first*"), activity(3, "  ")],
                None,
            ),
        ));
        let got = list(&cfg(), Kind::Issue, "7").unwrap();
        assert_eq!(got.len(), 1);
        let c = &got[0];
        assert_eq!(
            (
                c.external_id.as_str(),
                c.body.as_str(),
                c.author.as_str(),
                c.author_name.as_deref()
            ),
            ("2", "*first*", "5", Some("Ada Lovelace"))
        );
        assert_eq!(
            (c.created_at, c.updated_at),
            (1_409_316_053_000, 1_409_316_060_000)
        );
        assert_eq!(
            http.only_request().url,
            "https://op.example.com/api/v3/work_packages/7/activities"
        );
    }

    #[test]
    fn a_next_link_is_followed_without_repeating_activities() {
        let http = FakeHttp::new();
        http.reply(Reply::json(
            200,
            collection(
                vec![activity(2, "a")],
                Some("/api/v3/work_packages/7/activities?offset=2"),
            ),
        ));
        http.reply(Reply::json(
            200,
            collection(vec![activity(2, "a"), activity(4, "b")], None),
        ));
        let got = list(&cfg(), Kind::Issue, "7").unwrap();
        let ids: Vec<_> = got.iter().map(|c| c.external_id.as_str()).collect();
        assert_eq!(ids, ["2", "4"]);
        assert_eq!(
            http.sent()[1].url,
            "https://op.example.com/api/v3/work_packages/7/activities?offset=2"
        );
    }

    #[test]
    fn writes_send_raw_markdown_and_delete_is_unsupported() {
        let http = FakeHttp::new();
        http.reply(Reply::json(201, activity(8, "hi")));
        http.reply(Reply::json(200, activity(8, "edited")));
        create(&cfg(), Kind::Issue, "7", "hi").unwrap();
        let edited = update(&cfg(), Kind::Issue, "7", "8", "edited").unwrap();
        assert_eq!(edited.body, "edited");
        let sent = http.sent();
        assert_eq!(
            (sent[0].method.as_str(), sent[0].json()),
            ("POST", json!({"comment": {"raw": "hi"}}))
        );
        assert_eq!(
            (sent[1].method.as_str(), sent[1].url.as_str()),
            ("PATCH", "https://op.example.com/api/v3/activities/8")
        );
        assert!(matches!(
            delete(Kind::Issue),
            Err(ConnectorError::Unsupported(m)) if m.contains("no API to delete")
        ));
    }
}
