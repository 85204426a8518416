//! Issue comments through GitLab's Notes API: every page of
//! `GET /projects/:id/issues/:iid/notes` oldest first (following `x-next-page`), system
//! notes ("changed the description", "closed") left out, and `POST`/`PUT`/`DELETE` of
//! one note. GitLab notes are Markdown already, so bodies pass through unchanged.

use elder_connector_sdk::time;
use elder_connector_sdk::{Comment, ConnectorError, Kind};
use serde_json::{Value, json};

use crate::model::{required_id, s};
use crate::settings::Settings;
use crate::writes::check_id;

/// The largest page GitLab serves.
const PER_PAGE: u32 = 100;

/// `.../issues/:iid/notes`, for issues only.
fn notes_url(st: &Settings, kind: Kind, item_id: &str) -> Result<String, ConnectorError> {
    if kind != Kind::Issue {
        return Err(ConnectorError::unsupported(
            "GitLab comments are synced for issues only",
        ));
    }
    Ok(st.project_url(&format!("/issues/{}/notes", check_id(item_id)?)))
}

fn note_url(
    st: &Settings,
    kind: Kind,
    item_id: &str,
    comment_id: &str,
) -> Result<String, ConnectorError> {
    Ok(format!(
        "{}/{}",
        notes_url(st, kind, item_id)?,
        check_id(comment_id)?
    ))
}

/// Every user note of an issue, oldest first.
pub fn list(st: &Settings, kind: Kind, item_id: &str) -> Result<Vec<Comment>, ConnectorError> {
    let url = notes_url(st, kind, item_id)?;
    let mut comments = Vec::new();
    let mut page = 1;
    loop {
        let resp = st
            .api
            .get(&url)
            .query("sort", "asc")
            .query("order_by", "created_at")
            .query("per_page", PER_PAGE)
            .query("page", page)
            .send()?;
        let notes: Vec<Value> = resp.json()?;
        for n in notes.iter().filter(|n| !is_system(n)) {
            comments.push(comment(n)?);
        }
        match resp.next_page_number() {
            Some(next) if next > page => page = next,
            _ => return Ok(comments),
        }
    }
}

/// `POST` a note; returns it as stored.
pub fn create(
    st: &Settings,
    kind: Kind,
    item_id: &str,
    body: &str,
) -> Result<Comment, ConnectorError> {
    let url = notes_url(st, kind, item_id)?;
    comment(
        &st.api
            .post(&url)
            .json(&json!({ "body": body }))?
            .send_json()?,
    )
}

/// `PUT` a note's body; returns it as stored.
pub fn update(
    st: &Settings,
    kind: Kind,
    item_id: &str,
    comment_id: &str,
    body: &str,
) -> Result<Comment, ConnectorError> {
    let url = note_url(st, kind, item_id, comment_id)?;
    comment(
        &st.api
            .put(&url)
            .json(&json!({ "body": body }))?
            .send_json()?,
    )
}

/// `DELETE` a note; one already gone is not an error.
pub fn delete(
    st: &Settings,
    kind: Kind,
    item_id: &str,
    comment_id: &str,
) -> Result<(), ConnectorError> {
    match st
        .api
        .delete(&note_url(st, kind, item_id, comment_id)?)
        .send()
    {
        Ok(_) | Err(ConnectorError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

fn is_system(note: &Value) -> bool {
    note.get("system").and_then(Value::as_bool).unwrap_or(false)
}

/// A note of the Notes API as a comment (`version` is its `updated_at`).
pub fn comment(n: &Value) -> Result<Comment, ConnectorError> {
    let ms = |key: &str| {
        let raw = s(n, key);
        time::parse_timestamp(raw)
            .map_err(|_| ConnectorError::internal(format!("unreadable note {key} `{raw}`")))
    };
    let author = n.get("author").unwrap_or(&Value::Null);
    let name = s(author, "name");
    Ok(Comment {
        external_id: required_id(n, "id")?,
        author: s(author, "username").to_string(),
        author_name: (!name.is_empty()).then(|| name.to_string()),
        body: s(n, "body").to_string(),
        created_at: ms("created_at")?,
        updated_at: ms("updated_at")?,
        version: Some(s(n, "updated_at").to_string()).filter(|v| !v.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};

    fn st() -> Settings {
        settings::<crate::GitlabConnector>(&[("project_id", "acme/web")]).unwrap()
    }

    fn note(id: u64, body: &str, system: bool) -> Value {
        json!({"id": id, "body": body, "system": system,
               "author": {"id": 1, "username": "ann", "name": "Ann Lee"},
               "created_at": "2024-01-05T10:00:00.000Z", "updated_at": "2024-01-05T10:00:01.500Z"})
    }

    #[test]
    fn lists_every_page_oldest_first_without_system_notes() {
        let http = FakeHttp::new();
        http.reply(
            Reply::json(
                200,
                json!([
                    note(1, "first", false),
                    note(2, "changed the description", true)
                ]),
            )
            .header("x-next-page", "2"),
        );
        http.reply(Reply::json(200, json!([note(3, "second", false)])).header("x-next-page", ""));
        let got = list(&st(), Kind::Issue, "7").unwrap();
        let bodies: Vec<_> = got.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, ["first", "second"]);
        let c = &got[0];
        assert_eq!(
            (
                c.external_id.as_str(),
                c.author.as_str(),
                c.author_name.as_deref()
            ),
            ("1", "ann", Some("Ann Lee"))
        );
        assert_eq!(
            (c.created_at, c.updated_at),
            (1_704_448_800_000, 1_704_448_801_500)
        );
        let sent = http.sent();
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[1].url,
            "https://gitlab.com/api/v4/projects/acme%2Fweb/issues/7/notes?sort=asc&order_by=created_at&per_page=100&page=2"
        );
    }

    #[test]
    fn writes_send_the_markdown_body_and_delete_tolerates_a_gone_note() {
        let http = FakeHttp::new();
        http.reply(Reply::json(201, note(9, "**hi**", false)));
        http.reply(Reply::json(200, note(9, "edited", false)));
        http.reply(Reply::json(404, json!({"message": "404 Note Not Found"})));
        let created = create(&st(), Kind::Issue, "7", "**hi**").unwrap();
        assert_eq!(created.external_id, "9");
        update(&st(), Kind::Issue, "7", "9", "edited").unwrap();
        delete(&st(), Kind::Issue, "7", "9").unwrap();
        let sent = http.sent();
        assert_eq!(
            (sent[0].method.as_str(), sent[0].json()),
            ("POST", json!({"body": "**hi**"}))
        );
        assert_eq!(sent[1].method, "PUT");
        assert!(
            sent[1].url.ends_with("/issues/7/notes/9"),
            "{}",
            sent[1].url
        );
        assert_eq!(sent[2].method, "DELETE");
    }

    #[test]
    fn other_kinds_and_bad_ids_are_refused_without_a_request() {
        let _http = FakeHttp::new();
        assert!(matches!(
            list(&st(), Kind::Milestone, "7"),
            Err(ConnectorError::Unsupported(_))
        ));
        assert!(matches!(
            delete(&st(), Kind::Issue, "7", "../../x"),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
