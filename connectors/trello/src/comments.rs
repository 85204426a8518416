//! Card comments: Trello keeps them as `commentCard` actions, served newest first, so the
//! listing pages backwards with `before` (the oldest id of the page) until a page comes
//! back short, then turns the whole list oldest first. The comment's id is its action's id,
//! its Markdown is `data.text`, an edit shows as `data.dateLastEdited`.

use elder_connector_sdk::{Comment, ConnectorError, Kind, time};

use crate::model::Action;
use crate::settings::Settings;
use crate::settings::api::{ACTION_PAGE, Api};

fn cards_only(kind: Kind) -> Result<(), ConnectorError> {
    if kind == Kind::Issue {
        Ok(())
    } else {
        Err(ConnectorError::unsupported(
            "Trello comments are synced for cards only",
        ))
    }
}

/// Every comment of a card, oldest first.
pub fn list(cfg: &Settings, kind: Kind, card: &str) -> Result<Vec<Comment>, ConnectorError> {
    cards_only(kind)?;
    list_paged(&Api::new(cfg), card, ACTION_PAGE)
}

/// [`list`] with pages of `page` actions.
fn list_paged(api: &Api, card: &str, page: usize) -> Result<Vec<Comment>, ConnectorError> {
    let mut newest_first = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let actions = api.card_comments(card, before.as_deref(), page)?;
        let full = actions.len() == page;
        before = actions.last().map(|a| a.id.clone());
        for a in &actions {
            newest_first.push(comment(a)?);
        }
        if !full || before.is_none() {
            break;
        }
    }
    newest_first.reverse();
    Ok(newest_first)
}

/// Adds a comment; returns it as stored.
pub fn create(
    cfg: &Settings,
    kind: Kind,
    card: &str,
    text: &str,
) -> Result<Comment, ConnectorError> {
    cards_only(kind)?;
    comment(&Api::new(cfg).add_comment(card, text)?)
}

/// Replaces a comment's text; returns it as stored.
pub fn update(
    cfg: &Settings,
    kind: Kind,
    card: &str,
    id: &str,
    text: &str,
) -> Result<Comment, ConnectorError> {
    cards_only(kind)?;
    comment(&Api::new(cfg).edit_comment(card, id, text)?)
}

/// Deletes a comment; one already gone is not an error.
pub fn delete(cfg: &Settings, kind: Kind, card: &str, id: &str) -> Result<(), ConnectorError> {
    cards_only(kind)?;
    match Api::new(cfg).delete_comment(card, id) {
        Ok(()) | Err(ConnectorError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A `commentCard` action as a comment (`version`: its date, and its last edit's once edited).
fn comment(a: &Action) -> Result<Comment, ConnectorError> {
    let ms = |raw: &str| {
        time::parse_timestamp(raw)
            .map_err(|_| ConnectorError::internal(format!("unreadable Trello date `{raw}`")))
    };
    let edited = a.data.get("dateLastEdited").and_then(|v| v.as_str());
    let written = edited.unwrap_or(&a.date);
    let member = a.member_creator.clone().unwrap_or_default();
    Ok(Comment {
        external_id: a.id.clone(),
        author: member.username,
        author_name: member.full_name.filter(|n| !n.is_empty()),
        body: a
            .data
            .get("text")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string(),
        created_at: ms(&a.date)?,
        updated_at: ms(written)?,
        version: Some(match edited {
            Some(e) => format!("{}~{e}", a.date),
            None => a.date.clone(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};
    use serde_json::{Value, json};

    const CARD: &str = "5f1e2d3c4b5a69788796a5c0";

    fn cfg() -> Settings {
        settings::<crate::Trello>(&[("board_id", "5f1e2d3c4b5a69788796a5b4")]).unwrap()
    }

    fn action(n: u32, text: &str) -> Value {
        json!({"id": format!("5f1e2d3c4b5a69788796a{n:03x}"), "type": "commentCard",
               "date": "2026-03-01T10:00:00.500Z",
               "data": {"text": text, "card": {"id": CARD}},
               "memberCreator": {"id": "m1", "username": "ann", "fullName": "Ann Lee"}})
    }

    #[test]
    fn pages_backwards_with_before_and_returns_oldest_first() {
        let http = FakeHttp::new();
        http.reply(Reply::json(
            200,
            json!([action(3, "third"), action(2, "second")]),
        ));
        http.reply(Reply::json(200, json!([action(1, "first")])));
        let got = list_paged(&Api::new(&cfg()), CARD, 2).unwrap();
        let bodies: Vec<_> = got.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, ["first", "second", "third"]);
        assert_eq!(
            (got[0].author.as_str(), got[0].author_name.as_deref()),
            ("ann", Some("Ann Lee"))
        );
        let sent = http.sent();
        assert!(
            sent[0].url.contains("filter=commentCard&limit=2"),
            "{}",
            sent[0].url
        );
        assert!(!sent[0].url.contains("before="));
        assert!(
            sent[1].url.contains("before=5f1e2d3c4b5a69788796a002"),
            "{}",
            sent[1].url
        );
    }

    #[test]
    fn an_edit_is_the_updated_time_and_version() {
        let mut a = action(1, "edited");
        a["data"]["dateLastEdited"] = json!("2026-03-02T10:00:00.000Z");
        let http = FakeHttp::new();
        http.reply(Reply::json(200, a));
        let c = update(
            &cfg(),
            Kind::Issue,
            CARD,
            "5f1e2d3c4b5a69788796a001",
            "edited",
        )
        .unwrap();
        assert_eq!(c.created_at, 1_772_359_200_500);
        assert_eq!(c.updated_at, 1_772_445_600_000);
        assert_eq!(
            c.version.as_deref(),
            Some("2026-03-01T10:00:00.500Z~2026-03-02T10:00:00.000Z")
        );
        let sent = http.only_request();
        assert_eq!(
            (sent.method.as_str(), sent.json()),
            ("PUT", json!({"text": "edited"}))
        );
    }

    #[test]
    fn delete_tolerates_a_gone_comment_and_other_kinds_are_refused() {
        let http = FakeHttp::new();
        http.reply(Reply::text(404, "The requested resource was not found."));
        delete(&cfg(), Kind::Issue, CARD, "5f1e2d3c4b5a69788796a001").unwrap();
        assert_eq!(http.only_request().method, "DELETE");
        assert!(matches!(
            list(&cfg(), Kind::Label, CARD),
            Err(ConnectorError::Unsupported(_))
        ));
        assert!(matches!(
            create(&cfg(), Kind::Issue, "../x", "hi"),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
