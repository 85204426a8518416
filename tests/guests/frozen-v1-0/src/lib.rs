//! A minimal, well-behaved connector written directly against the frozen contract
//! files `wit/since_v1.0.0/` with wit-bindgen, not through the SDK: whatever the SDK and
//! the newest contract become, this component stays a 1.0 component, and the host's
//! tests load it to prove 1.0 components keep working. It serves an in-memory tracker of
//! seven issues over three pages, so it also passes the conformance kit.

wit_bindgen::generate!({
    path: "../../../wit/since_v1.0.0",
    world: "connector-world",
    generate_all,
});

use elder::connector::types::{
    Change, Config, ConnectorError, Item, ItemPatch, ItemState, Kind, NewItem, Page,
};
use exports::elder::connector::connector::{
    ConfigField, ConnectorInfo, Guest, HmacAlgorithm, HmacSignature, SignatureEncoding,
    SignedContent, WebhookInfo, WebhookScheme,
};

/// Issues the simulated tracker holds.
const ISSUES: u32 = 7;

struct Frozen;

fn setting<'a>(config: &'a Config, key: &str) -> Option<&'a str> {
    config
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.as_str())
        .filter(|v| !v.trim().is_empty())
}

fn project(config: &Config) -> Result<&str, ConnectorError> {
    setting(config, "project")
        .ok_or_else(|| ConnectorError::InvalidConfig("missing required key `project`".into()))
}

fn issue(project: &str, n: u32) -> Item {
    Item {
        kind: Kind::Issue,
        external_id: n.to_string(),
        title: format!("{project} issue {n}"),
        body: String::new(),
        state: ItemState::Open,
        status_name: None,
        labels: Vec::new(),
        assignees: Vec::new(),
        milestone_ref: None,
        parent_ref: None,
        url: None,
        updated_at: 1_700_000_000_000 + i64::from(n),
        version: None,
        extras: "{}".into(),
    }
}

fn unsupported<T>(what: &str) -> Result<T, ConnectorError> {
    Err(ConnectorError::Unsupported(format!(
        "{what} is not supported"
    )))
}

impl Guest for Frozen {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "frozen-v1-0".into(),
            version: "1.0.0".into(),
            platform: "frozen".into(),
            kinds: vec![Kind::Issue],
            config_schema: vec![
                ConfigField {
                    key: "project".into(),
                    description: "The project to read".into(),
                    required: true,
                    secret: false,
                },
                ConfigField {
                    key: "api_token".into(),
                    description: "Token".into(),
                    required: false,
                    secret: true,
                },
            ],
            auth: Vec::new(),
            webhooks: Some(WebhookInfo {
                schemes: vec![WebhookScheme::Hmac(HmacSignature {
                    header: "X-Frozen-Signature".into(),
                    prefix: "sha256=".into(),
                    algorithm: HmacAlgorithm::Sha256,
                    encoding: SignatureEncoding::Hex,
                    content: SignedContent::Body,
                })],
                delivery_id_headers: vec!["X-Frozen-Delivery".into()],
            }),
            hosts: Vec::new(),
        }
    }

    fn validate_config(config: Config) -> Result<(), ConnectorError> {
        project(&config).map(|_| ())
    }

    fn test_connection(config: Config) -> Result<String, ConnectorError> {
        Ok(format!("frozen project {}", project(&config)?))
    }

    fn list_changes(
        config: Config,
        kind: Kind,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        let project = project(&config)?;
        if kind != Kind::Issue {
            return unsupported("this kind");
        }
        let start: u32 = match cursor.as_deref() {
            None => 1,
            Some(c) => c
                .parse()
                .map_err(|_| ConnectorError::InvalidInput(format!("bad cursor {c:?}")))?,
        };
        let size = page_size.clamp(1, 3);
        let end = (start + size).min(ISSUES + 1);
        let items = (start..end).map(|n| issue(project, n)).collect();
        let has_more = end <= ISSUES;
        Ok(Page {
            items,
            deleted_ids: Vec::new(),
            next_cursor: Some(end.to_string()),
            has_more,
        })
    }

    fn get(config: Config, kind: Kind, external_id: String) -> Result<Item, ConnectorError> {
        let project = project(&config)?;
        match (kind, external_id.parse::<u32>()) {
            (Kind::Issue, Ok(n)) if (1..=ISSUES).contains(&n) => Ok(issue(project, n)),
            (Kind::Issue, _) => Err(ConnectorError::NotFound(format!("issue {external_id}"))),
            _ => unsupported("this kind"),
        }
    }

    fn create(_: Config, _: NewItem) -> Result<Item, ConnectorError> {
        unsupported("create")
    }

    fn update(_: Config, _: Kind, _: String, _: ItemPatch) -> Result<Item, ConnectorError> {
        unsupported("update")
    }

    fn close(_: Config, _: Kind, _: String) -> Result<Item, ConnectorError> {
        unsupported("close")
    }

    fn reopen(_: Config, _: Kind, _: String) -> Result<Item, ConnectorError> {
        unsupported("reopen")
    }

    fn delete(_: Config, _: Kind, _: String) -> Result<(), ConnectorError> {
        unsupported("delete")
    }

    fn parse_webhook(
        _: Config,
        _: Vec<(String, String)>,
        body: Vec<u8>,
    ) -> Result<Vec<Change>, ConnectorError> {
        // A real delivery is `{"issue": <n>}`; anything else is refused.
        let text = std::str::from_utf8(&body)
            .map_err(|_| ConnectorError::InvalidInput("the body is not UTF-8".into()))?;
        let n = text
            .trim()
            .strip_prefix("{\"issue\":")
            .and_then(|r| r.strip_suffix('}'))
            .and_then(|n| n.trim().parse::<u32>().ok())
            .ok_or_else(|| ConnectorError::InvalidInput("not a frozen delivery".into()))?;
        Ok(vec![Change {
            kind: Kind::Issue,
            external_id: n.to_string(),
            action: elder::connector::types::ChangeAction::Updated,
            item: None,
            occurred_at: elder::connector::clock::now_ms(),
        }])
    }
}

// Exported symbols exist only in the wasm build: a native build (cargo test --workspace)
// type-checks the impl and exports nothing.
#[cfg(target_arch = "wasm32")]
export!(Frozen);
