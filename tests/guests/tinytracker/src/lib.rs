//! Tinytracker connector, written as a third party would: from the SDK and the platform's
//! API documentation (the module doc of `tests/simulators/src/tinytracker.rs`) alone.
//! Tickets are issues; `revision` is the item version (optimistic locking on PATCH);
//! listing follows `updated_since` windows (inclusive, second precision) page by page;
//! webhooks are HMAC-SHA256 signed (verified by the host) and parsed here.

use elder_connector_sdk::{
    AuthRule, Change, ChangeAction, Client, Connector, ConnectorError, Field, HmacAlgorithm, Item,
    ItemPatch, ItemState, Kind, NewItem, Page, Settings, SignatureEncoding, Values, WebhookInfo,
    WebhookScheme, cursor, time,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The connector.
pub struct Tinytracker;

/// Its configuration, declared once.
pub struct Config {
    api: Client,
    project: String,
}

impl Settings for Config {
    const FIELDS: &'static [Field] = &[
        Field::new("api_token", "Tinytracker API token (Settings > API)")
            .required()
            .secret(),
        Field::new(
            "base_url",
            "Your instance, e.g. https://acme.tinytracker.example",
        )
        .required(),
        Field::new("project", "Project key, e.g. ELD").required(),
    ];

    fn parse(v: &Values<'_>) -> Result<Self, ConnectorError> {
        Ok(Config {
            api: Client::new(v.url("base_url")?).header("Accept", "application/json"),
            project: v.text("project")?.to_string(),
        })
    }
}

impl Config {
    fn tickets(&self) -> String {
        format!("/api/projects/{}/tickets", self.project)
    }

    fn ticket(&self, id: &str) -> Result<String, ConnectorError> {
        let n: u64 = id
            .parse()
            .map_err(|_| ConnectorError::NotFound(format!("ticket {id}")))?;
        Ok(format!("{}/{n}", self.tickets()))
    }
}

/// A ticket as Tinytracker sends it.
#[derive(Deserialize)]
struct Ticket {
    number: u64,
    title: String,
    #[serde(default)]
    body: Option<String>,
    state: String,
    #[serde(default)]
    labels: Vec<String>,
    revision: u64,
    updated_at: String,
    #[serde(default)]
    url: Option<String>,
}

impl Ticket {
    fn into_item(self) -> Result<Item, ConnectorError> {
        let updated = time::parse_timestamp(&self.updated_at)?;
        Ok(Item::new(
            Kind::Issue,
            self.number.to_string(),
            self.title,
            ItemState::from_closed(self.state == "done"),
            updated,
        )
        .body(self.body.unwrap_or_default())
        .status(self.state)
        .labels(self.labels)
        .url(self.url)
        .version(self.revision.to_string()))
    }
}

/// Where listing resumes: the `updated_at` window start and the page within it.
#[derive(Default, Serialize, Deserialize)]
struct Cursor {
    since: Option<String>,
    page: u32,
}

fn state_name(state: ItemState) -> &'static str {
    match state {
        ItemState::Open => "open",
        ItemState::Closed => "done",
    }
}

impl Tinytracker {
    fn patch(
        s: &Config,
        id: &str,
        mut body: Map<String, Value>,
        expected: Option<&str>,
    ) -> Result<Item, ConnectorError> {
        let revision = match expected.and_then(|v| v.parse::<u64>().ok()) {
            Some(r) => r,
            None => s.api.get_json::<Ticket>(&s.ticket(id)?)?.revision,
        };
        body.insert("revision".into(), json!(revision));
        s.api
            .patch(&s.ticket(id)?)
            .json(&body)?
            .send_json::<Ticket>()?
            .into_item()
    }

    fn set_state(s: &Config, id: &str, state: ItemState) -> Result<Item, ConnectorError> {
        let mut body = Map::new();
        body.insert("state".into(), json!(state_name(state)));
        Self::patch(s, id, body, None)
    }
}

impl Connector for Tinytracker {
    type Settings = Config;
    const KINDS: &'static [Kind] = &[Kind::Issue];

    fn auth() -> Vec<AuthRule> {
        vec![AuthRule::bearer("api_token")]
    }

    fn webhooks() -> Option<WebhookInfo> {
        let scheme = WebhookScheme::hmac(
            "X-Tinytracker-Signature",
            "sha256=",
            HmacAlgorithm::Sha256,
            SignatureEncoding::Hex,
        );
        Some(WebhookInfo::new(vec![scheme]).delivery_id("X-Tinytracker-Delivery"))
    }

    fn test_connection(s: &Config) -> Result<String, ConnectorError> {
        s.api.get(&s.tickets()).query("per_page", 1).send()?;
        Ok(format!("Tinytracker project {}", s.project))
    }

    fn list_changes(
        s: &Config,
        _kind: Kind,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        let at: Cursor = cursor::decode(cursor)?.unwrap_or_default();
        let page = at.page.max(1);
        // `+` would read as a space: send the instant in `Z` form.
        let since = at.since.as_deref().map(|t| t.replace("+00:00", "Z"));
        let resp = s
            .api
            .get(&s.tickets())
            .query("per_page", page_size.clamp(1, 50))
            .query("page", page)
            .query_opt("updated_since", since.as_deref())
            .send()?;
        let total: u32 = resp
            .header("x-total-pages")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        let tickets: Vec<Ticket> = resp.json()?;
        let newest = tickets.last().map(|t| t.updated_at.clone());
        // A page all in the window's own second makes no progress by time: read the
        // window's next page; otherwise start a new window at the newest time seen
        // (inclusive, so that second's tickets come again: the host ignores repeats).
        let next = match newest {
            Some(t) if Some(&t) != at.since.as_ref() => Cursor {
                since: Some(t),
                page: 1,
            },
            _ if total > page => Cursor {
                since: at.since.clone(),
                page: page + 1,
            },
            _ => Cursor {
                since: at.since.clone(),
                page: 1,
            },
        };
        let has_more = total > page;
        let items = tickets
            .into_iter()
            .map(Ticket::into_item)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            deleted_ids: Vec::new(),
            next_cursor: Some(cursor::encode(&next)),
            has_more,
        })
    }

    fn get(s: &Config, _kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        s.api.get_json::<Ticket>(&s.ticket(id)?)?.into_item()
    }

    fn create(s: &Config, item: &NewItem) -> Result<Item, ConnectorError> {
        let created: Ticket = s
            .api
            .post(&s.tickets())
            .json(&json!({"title": item.title, "body": item.body, "labels": item.labels}))?
            .send_json()?;
        match item.state {
            ItemState::Open => created.into_item(),
            ItemState::Closed => {
                let id = created.number.to_string();
                let mut body = Map::new();
                body.insert("state".into(), json!("done"));
                Self::patch(s, &id, body, Some(&created.revision.to_string()))
            }
        }
    }

    fn update(
        s: &Config,
        _kind: Kind,
        id: &str,
        patch: &ItemPatch,
    ) -> Result<Item, ConnectorError> {
        let mut body = Map::new();
        if let Some(t) = &patch.title {
            body.insert("title".into(), json!(t));
        }
        if let Some(b) = &patch.body {
            body.insert("body".into(), json!(b));
        }
        if let Some(st) = patch.state {
            body.insert("state".into(), json!(state_name(st)));
        }
        if let Some(l) = &patch.labels {
            body.insert("labels".into(), json!(l));
        }
        Self::patch(s, id, body, patch.expected_version.as_deref())
    }

    fn close(s: &Config, _kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        Self::set_state(s, id, ItemState::Closed)
    }

    fn reopen(s: &Config, _kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        Self::set_state(s, id, ItemState::Open)
    }

    fn delete(s: &Config, _kind: Kind, id: &str) -> Result<(), ConnectorError> {
        s.api.delete(&s.ticket(id)?).send().map(|_| ())
    }

    fn parse_webhook(
        _s: &Config,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        #[derive(Deserialize)]
        struct Delivery {
            event: String,
            ticket: Ticket,
        }
        let d: Delivery = serde_json::from_slice(body).map_err(|e| {
            ConnectorError::invalid_input(format!("not a Tinytracker delivery: {e}"))
        })?;
        let action = match d.event.as_str() {
            "ticket.created" => ChangeAction::Created,
            "ticket.updated" => ChangeAction::Updated,
            "ticket.deleted" => ChangeAction::Deleted,
            other => {
                return Err(ConnectorError::invalid_input(format!(
                    "unknown event {other:?}"
                )));
            }
        };
        let external_id = d.ticket.number.to_string();
        let occurred_at = time::parse_timestamp(&d.ticket.updated_at)?;
        let item = (action != ChangeAction::Deleted)
            .then(|| d.ticket.into_item())
            .transpose()?;
        Ok(vec![Change {
            kind: Kind::Issue,
            external_id,
            action,
            item,
            occurred_at,
        }])
    }
}

elder_connector_sdk::connector!(Tinytracker);

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};

    fn config() -> Config {
        settings::<Tinytracker>(&[
            ("base_url", "https://acme.tinytracker.example/"),
            ("project", "ELD"),
        ])
        .unwrap()
    }

    fn ticket(n: u64, revision: u64, at: &str) -> Value {
        json!({"number": n, "project": "ELD", "title": format!("T{n}"), "body": null,
            "state": "open", "labels": ["bug"], "revision": revision,
            "created_at": at, "updated_at": at, "url": format!("https://acme.tinytracker.example/p/ELD/tickets/{n}")})
    }

    #[test]
    fn lists_with_the_window_start_in_z_form_and_moves_the_window() {
        let http = FakeHttp::new();
        http.reply(
            Reply::json(
                200,
                json!([
                    ticket(1, 1, "2026-11-30T12:00:00+00:00"),
                    ticket(2, 3, "2026-11-30T12:00:05+00:00")
                ]),
            )
            .header("X-Total-Pages", "1"),
        );
        let first = Tinytracker::list_changes(&config(), Kind::Issue, None, 20).unwrap();
        assert_eq!(first.items.len(), 2);
        assert_eq!(first.items[1].version.as_deref(), Some("3"));
        assert!(!first.has_more);
        http.reply(Reply::json(200, json!([])).header("X-Total-Pages", "0"));
        Tinytracker::list_changes(&config(), Kind::Issue, first.next_cursor.as_deref(), 20)
            .unwrap();
        let sent = http.sent();
        assert_eq!(
            sent[0].url,
            "https://acme.tinytracker.example/api/projects/ELD/tickets?per_page=20&page=1"
        );
        assert!(
            sent[1]
                .url
                .ends_with("&updated_since=2026-11-30T12%3A00%3A05Z")
                || sent[1].url.contains("updated_since=2026-11-30T12:00:05Z"),
            "{}",
            sent[1].url
        );
    }

    #[test]
    fn a_stale_revision_is_a_conflict() {
        let http = FakeHttp::new();
        http.reply(Reply::json(
            409,
            json!({"error": {"code": "revision_conflict", "message": "stale"}}),
        ));
        let patch = ItemPatch {
            title: Some("New".into()),
            expected_version: Some("2".into()),
            body: None,
            state: None,
            status_name: None,
            labels: None,
            assignees: None,
            milestone_ref: None,
            parent_ref: None,
            extras: None,
        };
        let err = Tinytracker::update(&config(), Kind::Issue, "7", &patch).unwrap_err();
        assert!(matches!(err, ConnectorError::Conflict(_)), "{err:?}");
        assert_eq!(
            http.only_request().json(),
            json!({"title": "New", "revision": 2})
        );
    }

    #[test]
    fn garbage_deliveries_are_refused() {
        assert!(matches!(
            Tinytracker::parse_webhook(&config(), &[], b"<html>"),
            Err(ConnectorError::InvalidInput(_))
        ));
    }
}
