//! Template connector for a small task tracker with a REST API:
//! `GET {base_url}/tasks?updated_since=<rfc3339>&page=<n>` (oldest change first, a
//! `Link: rel="next"` header while more pages follow) and `GET {base_url}/tasks/{id}`.
//! Copy it, rename the crate and the manifest id, and replace the API shapes.
//!
//! Comments: when the tracker has comments, list the kinds in `COMMENT_KINDS` and
//! implement `list_comments`, `create_comment`, `update_comment` and `delete_comment`
//! (see the SDK README); this template syncs none.

use elder_connector_sdk::{
    AuthRule, Client, Connector, ConnectorError, Field, Item, ItemState, Kind, Page, Settings,
    Values, cursor, time,
};
use serde::{Deserialize, Serialize};

/// The connector.
pub struct Tasks;

/// Its configuration, declared once.
pub struct Config {
    api: Client,
}

impl Settings for Config {
    const FIELDS: &'static [Field] = &[
        Field::new("api_token", "API token of the tracker")
            .required()
            .secret(),
        Field::new("base_url", "API root, e.g. https://tasks.example/api").required(),
    ];

    fn parse(v: &Values<'_>) -> Result<Self, ConnectorError> {
        let api = Client::new(v.url("base_url")?).header("Accept", "application/json");
        Ok(Config { api })
    }
}

/// A task as the tracker sends it.
#[derive(Deserialize)]
struct Task {
    id: u64,
    title: String,
    #[serde(default)]
    description: String,
    done: bool,
    updated_at: String,
}

impl Task {
    fn into_item(self) -> Result<Item, ConnectorError> {
        let updated = time::parse_timestamp(&self.updated_at)?;
        Ok(Item::new(
            Kind::Issue,
            self.id.to_string(),
            self.title,
            ItemState::from_closed(self.done),
            updated,
        )
        .body(self.description)
        .version(self.updated_at))
    }
}

/// Where listing resumes: the newest change delivered, and the next page URL.
#[derive(Default, Serialize, Deserialize)]
struct Cursor {
    since: Option<String>,
    next: Option<String>,
}

impl Connector for Tasks {
    type Settings = Config;
    const KINDS: &'static [Kind] = &[Kind::Issue];

    fn auth() -> Vec<AuthRule> {
        vec![AuthRule::bearer("api_token")]
    }

    fn test_connection(s: &Config) -> Result<String, ConnectorError> {
        s.api.get("/tasks").query("page", 1).send()?;
        Ok(format!("task tracker at {}", s.api.base_url()))
    }

    fn list_changes(
        s: &Config,
        _kind: Kind,
        cursor: Option<&str>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        let at: Cursor = cursor::decode(cursor)?.unwrap_or_default();
        let req = match &at.next {
            Some(next) => s.api.get(next),
            None => s
                .api
                .get("/tasks")
                .query("per_page", page_size)
                .query_opt("updated_since", at.since.as_deref()),
        };
        let resp = req.send()?;
        let tasks: Vec<Task> = resp.json()?;
        let since = tasks.last().map(|t| t.updated_at.clone()).or(at.since);
        let next = resp.next_link();
        let has_more = next.is_some();
        let items = tasks
            .into_iter()
            .map(Task::into_item)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            items,
            deleted_ids: Vec::new(),
            next_cursor: Some(cursor::encode(&Cursor { since, next })),
            has_more,
        })
    }

    fn get(s: &Config, _kind: Kind, id: &str) -> Result<Item, ConnectorError> {
        s.api.get_json::<Task>(&format!("/tasks/{id}"))?.into_item()
    }
}

elder_connector_sdk::connector!(Tasks);

#[cfg(test)]
mod tests {
    use super::*;
    use elder_connector_sdk::testing::{FakeHttp, Reply, settings};
    use serde_json::json;

    fn config() -> Config {
        settings::<Tasks>(&[("base_url", "https://tasks.example/api/")]).unwrap()
    }

    fn task(id: u64, done: bool) -> serde_json::Value {
        json!({"id": id, "title": "Fix it", "done": done, "updated_at": "2024-05-01T10:00:00Z"})
    }

    #[test]
    fn describe_comes_from_the_manifest_and_settings() {
        let info = elder_connector_sdk::describe::<Tasks>();
        assert_eq!(
            (info.id.as_str(), info.version.as_str()),
            ("tasks", "0.1.0")
        );
        assert_eq!(info.hosts, ["{base_url}"]);
        assert!(
            info.config_schema
                .iter()
                .any(|f| f.key == "api_token" && f.secret)
        );
    }

    #[test]
    fn a_config_without_base_url_is_invalid() {
        assert!(matches!(
            settings::<Tasks>(&[]),
            Err(ConnectorError::InvalidConfig(m)) if m.contains("base_url")
        ));
    }

    #[test]
    fn gets_a_task() {
        let http = FakeHttp::new();
        http.reply(Reply::json(200, task(7, true)));
        let item = Tasks::get(&config(), Kind::Issue, "7").unwrap();
        assert_eq!(
            (item.external_id.as_str(), item.state),
            ("7", ItemState::Closed)
        );
        let sent = http.only_request();
        assert_eq!(sent.url, "https://tasks.example/api/tasks/7");
        assert_eq!(sent.header("accept"), Some("application/json"));
    }

    #[test]
    fn lists_pages_and_resumes_after_the_newest_change() {
        let http = FakeHttp::new();
        let next = "https://tasks.example/api/tasks?page=2";
        http.reply(
            Reply::json(200, json!([task(1, false)]))
                .header("Link", &format!("<{next}>; rel=\"next\"")),
        )
        .reply(Reply::json(200, json!([task(2, false)])))
        .reply(Reply::json(200, json!([])));
        let first = Tasks::list_changes(&config(), Kind::Issue, None, 50).unwrap();
        assert!(first.has_more);
        let second =
            Tasks::list_changes(&config(), Kind::Issue, first.next_cursor.as_deref(), 50).unwrap();
        assert!(!second.has_more);
        assert_eq!(second.items[0].external_id, "2");
        Tasks::list_changes(&config(), Kind::Issue, second.next_cursor.as_deref(), 50).unwrap();
        let urls: Vec<String> = http.sent().into_iter().map(|s| s.url).collect();
        assert_eq!(urls[0], "https://tasks.example/api/tasks?per_page=50");
        assert_eq!(urls[1], next);
        assert_eq!(
            urls[2],
            "https://tasks.example/api/tasks?per_page=50&updated_since=2024-05-01T10%3A00%3A00Z"
        );
    }

    #[test]
    fn a_rate_limit_answer_is_rate_limited() {
        let http = FakeHttp::new();
        http.reply(Reply::status(429).header("Retry-After", "5"));
        let err = Tasks::get(&config(), Kind::Issue, "1").unwrap_err();
        assert!(matches!(err, ConnectorError::RateLimited(r) if r.retry_after_ms == 5000));
    }
}
