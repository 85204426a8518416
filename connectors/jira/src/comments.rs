//! Issue comments through REST v3: every page of `GET /rest/api/3/issue/{key}/comment`
//! (`startAt` advanced by what each page returned, until `total`), and `POST`/`PUT`/
//! `DELETE` of one comment. Bodies are ADF on Jira and Markdown here, converted with
//! [`crate::mapping::adf`]; times are Jira's offsets, read with [`crate::mapping::time`].

use elder_connector_sdk::{Comment, ConnectorError, Kind};
use serde_json::{Value, json};

use crate::mapping::adf::{adf_to_markdown, markdown_to_adf};
use crate::mapping::time;
use crate::model::text;
use crate::settings::Settings;
use crate::writes::{check_key, check_num};

/// Comments asked for per page (Jira may answer with fewer).
const PAGE: u32 = 100;

/// `/rest/api/3/issue/{key}/comment`, for issues only.
fn comments_path(kind: Kind, key: &str) -> Result<String, ConnectorError> {
    if kind != Kind::Issue {
        return Err(ConnectorError::unsupported(
            "Jira comments are synced for issues only",
        ));
    }
    Ok(format!("/rest/api/3/issue/{}/comment", check_key(key)?))
}

fn comment_path(kind: Kind, key: &str, id: &str) -> Result<String, ConnectorError> {
    Ok(format!("{}/{}", comments_path(kind, key)?, check_num(id)?))
}

/// Every comment of an issue, oldest first.
pub fn list(s: &Settings, kind: Kind, key: &str) -> Result<Vec<Comment>, ConnectorError> {
    let path = comments_path(kind, key)?;
    let mut comments = Vec::new();
    loop {
        let page: Value = s
            .api
            .get(&path)
            .query("startAt", comments.len())
            .query("maxResults", PAGE)
            .query("orderBy", "created")
            .send_json()?;
        let rows = page
            .get("comments")
            .and_then(Value::as_array)
            .ok_or_else(|| ConnectorError::internal("Jira comment page without `comments`"))?;
        for c in rows {
            comments.push(comment(c)?);
        }
        let total = page.get("total").and_then(Value::as_u64).unwrap_or(0);
        if rows.is_empty() || comments.len() as u64 >= total {
            return Ok(comments);
        }
    }
}

/// `POST` a comment with the Markdown converted to ADF; returns it as stored.
pub fn create(s: &Settings, kind: Kind, key: &str, md: &str) -> Result<Comment, ConnectorError> {
    let body = json!({ "body": markdown_to_adf(md) });
    comment(
        &s.api
            .post(&comments_path(kind, key)?)
            .json(&body)?
            .send_json()?,
    )
}

/// `PUT` a comment's body; returns it as stored.
pub fn update(
    s: &Settings,
    kind: Kind,
    key: &str,
    id: &str,
    md: &str,
) -> Result<Comment, ConnectorError> {
    let body = json!({ "body": markdown_to_adf(md) });
    comment(
        &s.api
            .put(&comment_path(kind, key, id)?)
            .json(&body)?
            .send_json()?,
    )
}

/// `DELETE` a comment; one already gone is not an error.
pub fn delete(s: &Settings, kind: Kind, key: &str, id: &str) -> Result<(), ConnectorError> {
    match s.api.delete(&comment_path(kind, key, id)?).send() {
        Ok(_) | Err(ConnectorError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A REST v3 comment as a comment (`version` is its `updated`).
pub fn comment(c: &Value) -> Result<Comment, ConnectorError> {
    let ms = |key: &str| {
        let raw = text(c, &format!("/{key}"));
        time::parse_ms(raw)
            .ok_or_else(|| ConnectorError::internal(format!("unreadable comment {key} `{raw}`")))
    };
    let id = text(c, "/id");
    if id.is_empty() {
        return Err(ConnectorError::internal("Jira comment without `id`"));
    }
    let name = text(c, "/author/displayName");
    Ok(Comment {
        external_id: id.to_string(),
        author: text(c, "/author/accountId").to_string(),
        author_name: (!name.is_empty()).then(|| name.to_string()),
        body: adf_to_markdown(c.get("body").unwrap_or(&Value::Null)),
        created_at: ms("created")?,
        updated_at: ms("updated")?,
        version: Some(text(c, "/updated").to_string()).filter(|v| !v.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};

    fn st() -> Settings {
        settings::<crate::JiraConnector>(&[
            ("email", "a@b.c"),
            ("jira_url", "https://acme.atlassian.net"),
            ("project_key", "ELD"),
        ])
        .unwrap()
    }

    fn jira_comment(id: &str, word: &str) -> Value {
        json!({"id": id, "author": {"accountId": "557058:ab", "displayName": "Ann"},
               "body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
                   {"type": "text", "text": word, "marks": [{"type": "strong"}]}]}]},
               "created": "2024-01-02T03:04:05.678+0000", "updated": "2024-01-02T08:34:05.678+0530"})
    }

    #[test]
    fn lists_pages_until_total_advancing_by_what_came_back() {
        let http = FakeHttp::new();
        http.reply(Reply::json(
            200,
            json!({"startAt": 0, "maxResults": 2, "total": 3,
                   "comments": [jira_comment("10", "one"), jira_comment("11", "two")]}),
        ));
        http.reply(Reply::json(
            200,
            json!({"startAt": 2, "maxResults": 2, "total": 3, "comments": [jira_comment("12", "three")]}),
        ));
        let got = list(&st(), Kind::Issue, "ELD-4").unwrap();
        let bodies: Vec<_> = got.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, ["**one**", "**two**", "**three**"]);
        assert_eq!(
            (got[0].author.as_str(), got[0].author_name.as_deref()),
            ("557058:ab", Some("Ann"))
        );
        assert_eq!(got[0].created_at, 1_704_164_645_678);
        assert_eq!(
            got[0].updated_at, 1_704_164_645_678,
            "+0530 is the same instant"
        );
        let sent = http.sent();
        assert!(
            sent[1].url.contains("startAt=2&maxResults=100"),
            "{}",
            sent[1].url
        );
    }

    #[test]
    fn writes_send_adf_and_delete_tolerates_a_gone_comment() {
        let http = FakeHttp::new();
        http.reply(Reply::json(201, jira_comment("20", "hi")));
        http.reply(Reply::json(200, jira_comment("20", "edited")));
        http.reply(Reply::json(
            404,
            json!({"errorMessages": ["gone"], "errors": {}}),
        ));
        let c = create(&st(), Kind::Issue, "ELD-4", "**hi**").unwrap();
        assert_eq!((c.external_id.as_str(), c.body.as_str()), ("20", "**hi**"));
        update(&st(), Kind::Issue, "ELD-4", "20", "**edited**").unwrap();
        delete(&st(), Kind::Issue, "ELD-4", "20").unwrap();
        let sent = http.sent();
        assert_eq!(sent[0].json()["body"], markdown_to_adf("**hi**"));
        assert_eq!(sent[0].json()["body"]["type"], "doc");
        assert_eq!(sent[1].method, "PUT");
        assert!(sent[1].url.ends_with("/rest/api/3/issue/ELD-4/comment/20"));
        assert_eq!(sent[2].method, "DELETE");
    }

    #[test]
    fn bad_keys_and_other_kinds_are_refused_without_a_request() {
        let _http = FakeHttp::new();
        assert!(matches!(
            list(&st(), Kind::Issue, "../myself"),
            Err(ConnectorError::InvalidInput(_))
        ));
        assert!(matches!(
            create(&st(), Kind::Milestone, "5", "x"),
            Err(ConnectorError::Unsupported(_))
        ));
    }
}
