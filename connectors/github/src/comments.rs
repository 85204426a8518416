//! Issue comments (contract 1.1): listing every comment of an issue (following `Link`
//! pages of 100), creating, editing and deleting one through GitHub's REST issue-comment
//! routes, and mapping a GitHub comment to the contract's [`Comment`]. Comment webhooks
//! are [`crate::webhook`]'s.

use elder_connector_sdk::{Comment, ConnectorError, Kind, time};
use serde_json::json;

use crate::model::GhComment;
use crate::settings::Settings;

/// Comments asked for per page: GitHub's maximum.
pub const PER_PAGE: u32 = 100;

/// Pages followed at most (100,000 comments), so a `Link` loop cannot run forever.
const MAX_PAGES: usize = 1000;

/// A GitHub comment as the contract's comment; its `updated_at` text is the version.
pub fn comment(c: &GhComment) -> Result<Comment, ConnectorError> {
    Ok(Comment {
        external_id: c.id.to_string(),
        author: c.user.as_ref().map(|u| u.login.clone()).unwrap_or_default(),
        author_name: None,
        body: c.body.clone().unwrap_or_default(),
        created_at: time::parse_timestamp(&c.created_at)?,
        updated_at: time::parse_timestamp(&c.updated_at)?,
        version: Some(c.updated_at.clone()),
    })
}

fn number(what: &str, id: &str) -> Result<u64, ConnectorError> {
    id.parse().map_err(|_| {
        ConnectorError::invalid_input(format!("{what} id must be a number, got {id:?}"))
    })
}

/// `/issues/{n}/comments` of the repository (only issues have comments here).
fn issue_comments_path(s: &Settings, kind: Kind, item_id: &str) -> Result<String, ConnectorError> {
    if kind != Kind::Issue {
        return Err(elder_connector_sdk::unsupported("comments", kind));
    }
    Ok(s.repo_path(&format!("/issues/{}/comments", number("issue", item_id)?)))
}

/// `/issues/comments/{id}` of the repository.
fn comment_path(s: &Settings, comment_id: &str) -> Result<String, ConnectorError> {
    Ok(s.repo_path(&format!(
        "/issues/comments/{}",
        number("comment", comment_id)?
    )))
}

/// Every comment of an issue, oldest first, following `Link: rel="next"` pages.
pub fn list(s: &Settings, kind: Kind, item_id: &str) -> Result<Vec<Comment>, ConnectorError> {
    let path = issue_comments_path(s, kind, item_id)?;
    let mut resp = s.api.get(&path).query("per_page", PER_PAGE).send()?;
    let mut comments = Vec::new();
    for page in 1.. {
        for c in resp.json::<Vec<GhComment>>()? {
            comments.push(comment(&c)?);
        }
        let Some(next) = resp.next_link() else {
            return Ok(comments);
        };
        if page >= MAX_PAGES {
            break;
        }
        resp = s.api.get(&next).send()?;
    }
    Err(ConnectorError::internal(format!(
        "issue #{item_id} has more than {MAX_PAGES} pages of comments"
    )))
}

/// Adds a comment to an issue and returns it as GitHub stored it.
pub fn create(
    s: &Settings,
    kind: Kind,
    item_id: &str,
    body: &str,
) -> Result<Comment, ConnectorError> {
    let path = issue_comments_path(s, kind, item_id)?;
    let created: GhComment = s
        .api
        .post(&path)
        .json(&json!({ "body": body }))?
        .send_json()?;
    comment(&created)
}

/// Replaces a comment's body and returns it as GitHub stored it.
pub fn update(
    s: &Settings,
    kind: Kind,
    item_id: &str,
    comment_id: &str,
    body: &str,
) -> Result<Comment, ConnectorError> {
    issue_comments_path(s, kind, item_id)?;
    let path = comment_path(s, comment_id)?;
    let edited: GhComment = s
        .api
        .patch(&path)
        .json(&json!({ "body": body }))?
        .send_json()?;
    comment(&edited)
}

/// Deletes a comment; one GitHub no longer has (404) is already gone, which is fine.
pub fn delete(
    s: &Settings,
    kind: Kind,
    item_id: &str,
    comment_id: &str,
) -> Result<(), ConnectorError> {
    issue_comments_path(s, kind, item_id)?;
    let resp = s.api.delete(&comment_path(s, comment_id)?).send_raw()?;
    if resp.status == 404 {
        return Ok(());
    }
    resp.error_for_status(elder_connector_sdk::clock::now_ms())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GitHub;
    use crate::model::fixtures;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};
    use serde_json::Value;

    fn s() -> Settings {
        settings::<GitHub>(&[("owner", "octocat"), ("repo", "Hello-World")]).unwrap()
    }

    fn fixture() -> Value {
        serde_json::from_str(fixtures::COMMENT).unwrap()
    }

    /// A comment like the fixture with id `id`.
    fn numbered(id: u64) -> Value {
        let mut c = fixture();
        c["id"] = json!(id);
        c["body"] = json!(format!("comment {id}"));
        c
    }

    #[test]
    fn maps_githubs_comment_shape() {
        let c = comment(&serde_json::from_str(fixtures::COMMENT).unwrap()).unwrap();
        assert_eq!(c.external_id, "1");
        assert_eq!((c.author.as_str(), c.author_name), ("octocat", None));
        assert_eq!(c.body, "Me too");
        assert_eq!(c.created_at, 1_302_796_849_000);
        assert_eq!(c.updated_at, 1_302_797_112_000);
        assert_eq!(c.version.as_deref(), Some("2011-04-14T16:05:12Z"));
        // A deleted account's comment has no user; a body may be null.
        let mut ghost = fixture();
        ghost["user"] = Value::Null;
        ghost["body"] = Value::Null;
        let c = comment(&serde_json::from_value(ghost).unwrap()).unwrap();
        assert_eq!((c.author.as_str(), c.body.as_str()), ("", ""));
    }

    #[test]
    fn lists_every_page_the_link_header_names() {
        let http = FakeHttp::new();
        let next =
            "https://api.github.com/repositories/1296269/issues/1347/comments?per_page=100&page=2";
        http.reply(
            Reply::json(200, Value::Array((1..=100).map(numbered).collect())).header(
                "Link",
                &format!("<{next}>; rel=\"next\", <{next}>; rel=\"last\""),
            ),
        );
        http.reply(Reply::json(200, json!([numbered(101), numbered(102)])));
        let listed = list(&s(), Kind::Issue, "1347").unwrap();
        assert_eq!(listed.len(), 102);
        assert_eq!(listed[0].external_id, "1");
        assert_eq!(listed[101].body, "comment 102");
        let sent = http.sent();
        assert_eq!(
            sent[0].url,
            "https://api.github.com/repos/octocat/Hello-World/issues/1347/comments?per_page=100"
        );
        assert_eq!(sent[1].url, next);
        assert_eq!(sent.len(), 2);
    }

    #[test]
    fn a_missing_issue_is_not_found() {
        let http = FakeHttp::new();
        http.reply(Reply::json(404, json!({"message": "Not Found"})));
        assert!(matches!(
            list(&s(), Kind::Issue, "9"),
            Err(ConnectorError::NotFound(_))
        ));
        assert_eq!(http.sent().len(), 1);
        assert!(matches!(
            list(&s(), Kind::Issue, "abc"),
            Err(ConnectorError::InvalidInput(m)) if m.contains("abc")
        ));
    }

    #[test]
    fn creates_and_edits_with_the_markdown_body() {
        let http = FakeHttp::new();
        http.reply(Reply::json(201, fixture()));
        let c = create(&s(), Kind::Issue, "1347", "Me too").unwrap();
        assert_eq!(c.external_id, "1");
        let sent = http.only_request();
        assert_eq!(
            (sent.method.as_str(), sent.url.as_str()),
            (
                "POST",
                "https://api.github.com/repos/octocat/Hello-World/issues/1347/comments"
            )
        );
        assert_eq!(sent.json(), json!({"body": "Me too"}));

        let http = FakeHttp::new();
        http.reply(Reply::json(200, fixture()));
        update(&s(), Kind::Issue, "1347", "1", "Me **too**").unwrap();
        let sent = http.only_request();
        assert_eq!(
            (sent.method.as_str(), sent.url.as_str()),
            (
                "PATCH",
                "https://api.github.com/repos/octocat/Hello-World/issues/comments/1"
            )
        );
        assert_eq!(sent.json(), json!({"body": "Me **too**"}));
    }

    #[test]
    fn deleting_a_comment_already_gone_is_fine_other_errors_are_not() {
        let http = FakeHttp::new();
        http.reply(Reply::status(204));
        http.reply(Reply::json(404, json!({"message": "Not Found"})));
        http.reply(Reply::json(
            403,
            json!({"message": "Must have admin rights"}),
        ));
        delete(&s(), Kind::Issue, "1347", "1").unwrap();
        delete(&s(), Kind::Issue, "1347", "1").unwrap();
        assert!(matches!(
            delete(&s(), Kind::Issue, "1347", "1"),
            Err(ConnectorError::Forbidden(_))
        ));
        let sent = http.sent();
        assert_eq!(
            (sent[0].method.as_str(), sent[0].url.as_str()),
            (
                "DELETE",
                "https://api.github.com/repos/octocat/Hello-World/issues/comments/1"
            )
        );
    }
}
