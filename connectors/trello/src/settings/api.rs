//! Trello REST calls built on the settings' SDK `Client`: paths, parameters, and Trello's
//! 429 answers (`API_TOKEN_LIMIT_EXCEEDED` / `API_KEY_LIMIT_EXCEEDED`, waited out for the
//! limit's 10 s interval) mapped to `rate-limited`. The host adds `key` and `token`.

use elder_connector_sdk::ConnectorError;
use elder_connector_sdk::http::{Request, Response, header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::model::{Action, Board, Card, Label, List};
use crate::settings::Settings;

/// The largest page the action feed serves.
pub const ACTION_PAGE: usize = 1000;

/// Trello's rate-limit window when a 429 names no wait.
const LIMIT_INTERVAL_MS: u64 = 10_000;

/// The wait and message of a Trello 429 answer.
pub fn rate_limit_error(headers: &[(String, String)], body: &[u8]) -> ConnectorError {
    let text = String::from_utf8_lossy(body);
    let code = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect());
    let interval = |which: &str| {
        header(headers, &format!("x-rate-limit-api-{which}-interval-ms"))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let wait = header(headers, "retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s * 1000)
        .or_else(|| {
            if code.contains("KEY") {
                interval("key")
            } else {
                interval("token")
            }
        })
        .unwrap_or(LIMIT_INTERVAL_MS);
    ConnectorError::rate_limited(wait, format!("Trello rate limit: {code}"))
}

fn send(req: Request) -> Result<Response, ConnectorError> {
    let resp = req.send_raw()?;
    if resp.status == 429 {
        return Err(rate_limit_error(&resp.headers, &resp.body));
    }
    resp.error_for_status(elder_connector_sdk::clock::now_ms())
}

fn get_json<T: DeserializeOwned>(req: Request) -> Result<T, ConnectorError> {
    send(req)?.json()
}

/// The Trello API client for one configuration.
pub struct Api<'a> {
    cfg: &'a Settings,
}

impl<'a> Api<'a> {
    pub fn new(cfg: &'a Settings) -> Api<'a> {
        Api { cfg }
    }

    fn board_path(&self, tail: &str) -> String {
        format!("boards/{}{tail}", self.cfg.board_id)
    }

    pub fn board(&self) -> Result<Board, ConnectorError> {
        get_json(
            self.cfg
                .api
                .get(&self.board_path(""))
                .query("fields", "id,name,desc,closed,url,dateLastActivity"),
        )
    }

    pub fn lists(&self) -> Result<Vec<List>, ConnectorError> {
        get_json(
            self.cfg
                .api
                .get(&self.board_path("/lists"))
                .query("filter", "all"),
        )
    }

    pub fn labels(&self) -> Result<Vec<Label>, ConnectorError> {
        get_json(
            self.cfg
                .api
                .get(&self.board_path("/labels"))
                .query("limit", 1000),
        )
    }

    /// Every card of the board, archived ones included.
    pub fn all_cards(&self) -> Result<Vec<Card>, ConnectorError> {
        get_json(self.cfg.api.get(&self.board_path("/cards/all")))
    }

    pub fn card(&self, id: &str) -> Result<Card, ConnectorError> {
        check_id(id)?;
        get_json(self.cfg.api.get(&format!("cards/{id}")))
    }

    /// One page of the action feed, newest first.
    pub fn actions(
        &self,
        types: &[&str],
        since: Option<&str>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Action>, ConnectorError> {
        let req = self
            .cfg
            .api
            .get(&self.board_path("/actions"))
            .query("filter", types.join(","))
            .query("limit", limit)
            .query_opt("since", since)
            .query_opt("before", before);
        get_json(req)
    }

    pub fn create_card(&self, params: &Map<String, Value>) -> Result<Card, ConnectorError> {
        send(self.cfg.api.post("cards").json(params)?)?.json()
    }

    pub fn update_card(
        &self,
        id: &str,
        params: &Map<String, Value>,
    ) -> Result<Card, ConnectorError> {
        check_id(id)?;
        send(self.cfg.api.put(&format!("cards/{id}")).json(params)?)?.json()
    }

    pub fn delete_card(&self, id: &str) -> Result<(), ConnectorError> {
        check_id(id)?;
        send(self.cfg.api.delete(&format!("cards/{id}"))).map(|_| ())
    }

    /// One page of a card's comments (`commentCard` actions), newest first, older than
    /// the action `before` when given.
    pub fn card_comments(
        &self,
        card: &str,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Action>, ConnectorError> {
        check_id(card)?;
        let req = self
            .cfg
            .api
            .get(&format!("cards/{card}/actions"))
            .query("filter", "commentCard")
            .query("limit", limit)
            .query_opt("before", before);
        get_json(req)
    }

    /// Adds a comment; returns its `commentCard` action.
    pub fn add_comment(&self, card: &str, text: &str) -> Result<Action, ConnectorError> {
        check_id(card)?;
        let body = serde_json::json!({ "text": text });
        send(
            self.cfg
                .api
                .post(&format!("cards/{card}/actions/comments"))
                .json(&body)?,
        )?
        .json()
    }

    /// Replaces a comment's text; returns its action.
    pub fn edit_comment(
        &self,
        card: &str,
        action: &str,
        text: &str,
    ) -> Result<Action, ConnectorError> {
        check_id(card)?;
        check_id(action)?;
        let body = serde_json::json!({ "text": text });
        let path = format!("cards/{card}/actions/{action}/comments");
        send(self.cfg.api.put(&path).json(&body)?)?.json()
    }

    /// Deletes a comment.
    pub fn delete_comment(&self, card: &str, action: &str) -> Result<(), ConnectorError> {
        check_id(card)?;
        check_id(action)?;
        let path = format!("cards/{card}/actions/{action}/comments");
        send(self.cfg.api.delete(&path)).map(|_| ())
    }

    pub fn label(&self, id: &str) -> Result<Label, ConnectorError> {
        check_id(id)?;
        get_json(self.cfg.api.get(&format!("labels/{id}")))
    }

    pub fn create_label(&self, name: &str, color: Option<&str>) -> Result<Label, ConnectorError> {
        let body = serde_json::json!({"name": name, "color": color, "idBoard": self.cfg.board_id});
        send(self.cfg.api.post("labels").json(&body)?)?.json()
    }

    pub fn update_label(
        &self,
        id: &str,
        params: &Map<String, Value>,
    ) -> Result<Label, ConnectorError> {
        check_id(id)?;
        send(self.cfg.api.put(&format!("labels/{id}")).json(params)?)?.json()
    }

    pub fn delete_label(&self, id: &str) -> Result<(), ConnectorError> {
        check_id(id)?;
        send(self.cfg.api.delete(&format!("labels/{id}"))).map(|_| ())
    }
}

/// Trello ids are 24 hex digits (cards also answer to 8-character short links).
pub fn check_id(id: &str) -> Result<(), ConnectorError> {
    let ok = (id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit()))
        || (id.len() == 8 && id.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(ConnectorError::invalid_input(format!(
            "{id:?} is not a Trello id"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn token_limit_waits_the_token_interval_and_names_the_code() {
        let e = rate_limit_error(
            &h(&[
                ("x-rate-limit-api-token-interval-ms", "10000"),
                ("x-rate-limit-api-key-interval-ms", "20000"),
            ]),
            br#"{"error":"API_TOKEN_LIMIT_EXCEEDED","message":"Rate limit exceeded"}"#,
        );
        assert!(
            matches!(e, ConnectorError::RateLimited(ref r) if r.retry_after_ms == 10_000 && r.message.contains("API_TOKEN_LIMIT_EXCEEDED"))
        );
    }

    #[test]
    fn key_limit_waits_the_key_interval_and_plain_bodies_still_map() {
        let e = rate_limit_error(
            &h(&[("x-rate-limit-api-key-interval-ms", "20000")]),
            br#"{"error":"API_KEY_LIMIT_EXCEEDED"}"#,
        );
        assert!(matches!(e, ConnectorError::RateLimited(ref r) if r.retry_after_ms == 20_000));
        let e = rate_limit_error(&[], b"Too many requests");
        assert!(
            matches!(e, ConnectorError::RateLimited(ref r) if r.retry_after_ms == 10_000 && r.message.contains("Too many"))
        );
    }

    #[test]
    fn ids_are_checked_before_any_request() {
        assert!(check_id("5f1e2d3c4b5a69788796a5b4").is_ok());
        assert!(check_id("AbCd1234").is_ok());
        assert!(matches!(
            check_id("../boards/x"),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
