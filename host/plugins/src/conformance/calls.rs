//! Checks that call a component's exports: validate-config refuses a config missing a
//! required key, parse-webhook refuses garbage without trapping, and (with a config that
//! reaches the platform) list-changes pages end and every declared kind answers `get`.

use std::collections::{BTreeMap, BTreeSet};

use elder_sync_model::{ConnectorError, ConnectorInfo, Kind};
use elder_sync_runtime::{CallError, ConnectorSettings, LoadedConnector};

use super::Report;

/// Pages followed before list-changes counts as never ending.
const MAX_PAGES: usize = 200;

/// Items asked for per page.
const PAGE_SIZE: u32 = 50;

/// An id no platform has.
const MISSING_ID: &str = "elder-conformance-no-such-item-404";

/// Bodies no platform sends: not JSON, truncated JSON, binary.
const GARBAGE: [&[u8]; 3] = [
    b"<html>not a webhook</html>",
    b"{\"action\": \"op",
    b"\x00\xff\xfe\x80",
];

/// One line for a failed call: a trap's kind and its last line (the reason), without the
/// wasm backtrace.
fn show(e: &CallError) -> String {
    match e {
        CallError::Trap { kind, message } => {
            let last = message.lines().last().unwrap_or_default();
            let reason = last.rsplit("wasm trap:").next().unwrap_or(last).trim();
            format!("trapped ({kind}): {reason}")
        }
        other => other.to_string(),
    }
}

pub(super) struct Calls<'a> {
    pub connector: &'a LoadedConnector,
    pub info: &'a ConnectorInfo,
}

impl Calls<'_> {
    /// Without a required (non-secret) key, validate-config answers `invalid-config`.
    pub async fn validate_config(&self, report: &mut Report) {
        const NAME: &str = "validate-config refuses a missing required key";
        // Secret keys never reach the guest: the host checks those itself.
        let required: Vec<&str> = self
            .info
            .config_schema
            .iter()
            .filter(|f| f.required && !f.secret)
            .map(|f| f.key.as_str())
            .collect();
        if required.is_empty() {
            report.pass(NAME, "declares no required non-secret keys");
            return;
        }
        for missing in &required {
            let values: BTreeMap<String, String> = required
                .iter()
                .filter(|k| *k != missing)
                .map(|k| (k.to_string(), "conformance".to_string()))
                .collect();
            match self
                .connector
                .validate_config(&ConnectorSettings::new(values))
                .await
            {
                Err(CallError::Connector(ConnectorError::InvalidConfig(_))) => {}
                Ok(()) => {
                    return report.fail(NAME, format!("accepted a config without `{missing}`"));
                }
                Err(e) => {
                    return report.fail(
                        NAME,
                        format!(
                            "without `{missing}`: {} (expected invalid-config)",
                            show(&e)
                        ),
                    );
                }
            }
        }
        report.pass(
            NAME,
            format!("refused without each of {}", required.join(", ")),
        );
    }

    /// Garbage bodies are refused with an error, never a trap or changes.
    pub async fn parse_webhook(&self, report: &mut Report) {
        const NAME: &str = "parse-webhook refuses garbage";
        if self.info.webhooks.is_none() {
            return report.skip(NAME, "declares no webhooks");
        }
        let cfg = ConnectorSettings::new(BTreeMap::new());
        for body in GARBAGE {
            let shown = String::from_utf8_lossy(body).into_owned();
            match self
                .connector
                .parse_webhook(&cfg, Vec::new(), body.to_vec())
                .await
            {
                Err(CallError::Connector(_)) => {}
                Ok(changes) if changes.is_empty() => {
                    return report.fail(
                        NAME,
                        format!("answered no changes for {shown:?}: refuse it (invalid-input) so the delivery is given up visibly"),
                    );
                }
                Ok(changes) => {
                    return report.fail(
                        NAME,
                        format!("turned {shown:?} into {} change(s)", changes.len()),
                    );
                }
                Err(e) => return report.fail(NAME, format!("on {shown:?}: {}", show(&e))),
            }
        }
        report.pass(NAME, format!("{} garbage bodies refused", GARBAGE.len()));
    }

    /// With a config that reaches the platform: the config validates, test-connection
    /// answers without trapping, list-changes ends for every declared kind, and every
    /// declared kind answers `get`.
    pub async fn platform(&self, cfg: &ConnectorSettings, report: &mut Report) {
        report.record(
            "validate-config accepts the given config",
            self.connector
                .validate_config(cfg)
                .await
                .map(|()| "accepted".to_string())
                .map_err(|e| show(&e)),
        );
        report.record(
            "test-connection answers",
            match self.connector.test_connection(cfg).await {
                Ok(m) => Ok(m),
                Err(CallError::Connector(e)) => Ok(format!("answered an error: {e}")),
                Err(e) => Err(show(&e)),
            },
        );
        for kind in &self.info.kinds {
            let listed = self.list_all(cfg, *kind).await;
            let first = listed.as_ref().ok().and_then(|(_, first)| first.clone());
            report.record(
                format!("list-changes ends ({})", kind.as_str()),
                listed.map(|(summary, _)| summary),
            );
            report.record(
                format!("get answers ({})", kind.as_str()),
                self.get(cfg, *kind, first.as_deref()).await,
            );
        }
    }

    /// Follows list-changes from the start; the summary and the first item's id.
    async fn list_all(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
    ) -> Result<(String, Option<String>), String> {
        let mut cursor: Option<String> = None;
        let mut seen = BTreeSet::new();
        let (mut items, mut first) = (0usize, None);
        for pages in 1..=MAX_PAGES {
            let page = match self
                .connector
                .list_changes(cfg, kind, cursor.clone(), PAGE_SIZE)
                .await
            {
                Ok(page) => page,
                Err(CallError::Connector(ConnectorError::Unsupported(m))) => {
                    return Ok((format!("unsupported: {m}"), None));
                }
                Err(e) => return Err(format!("page {pages}: {}", show(&e))),
            };
            items += page.items.len();
            if first.is_none() {
                first = page.items.first().map(|i| i.external_id.clone());
            }
            if !page.has_more {
                return Ok((format!("{items} item(s) in {pages} page(s)"), first));
            }
            match page.next_cursor {
                Some(next) if seen.insert(next.clone()) && Some(&next) != cursor.as_ref() => {
                    cursor = Some(next)
                }
                Some(next) => {
                    return Err(format!(
                        "page {pages} says has-more with cursor {next:?}, which it returned before: it would page forever"
                    ));
                }
                None => {
                    return Err(format!(
                        "page {pages} says has-more but gives no next cursor"
                    ));
                }
            }
        }
        Err(format!(
            "still has-more after {MAX_PAGES} pages of {PAGE_SIZE}: it does not end"
        ))
    }

    /// `get` answers a listed item with that item, and a missing id with not-found (or the
    /// kind with unsupported).
    async fn get(
        &self,
        cfg: &ConnectorSettings,
        kind: Kind,
        listed: Option<&str>,
    ) -> Result<String, String> {
        let mut detail = Vec::new();
        if let Some(id) = listed {
            match self.connector.get(cfg, kind, id).await {
                Ok(item) if item.external_id == id && item.kind == kind => {
                    detail.push(format!("item {id} read back"));
                }
                Ok(item) => {
                    return Err(format!(
                        "get({id}) answered {} {}",
                        item.kind.as_str(),
                        item.external_id
                    ));
                }
                Err(CallError::Connector(ConnectorError::Unsupported(_))) => {
                    detail.push("unsupported".into());
                }
                Err(e) => return Err(format!("get({id}) of a listed item: {}", show(&e))),
            }
        }
        match self.connector.get(cfg, kind, MISSING_ID).await {
            Err(CallError::Connector(
                ConnectorError::NotFound(_)
                | ConnectorError::Unsupported(_)
                | ConnectorError::InvalidInput(_),
            )) => detail.push("a missing id is not-found".into()),
            Ok(_) => return Err(format!("get({MISSING_ID}) answered an item")),
            Err(e) => {
                return Err(format!(
                    "get of a missing id: {} (expected not-found)",
                    show(&e)
                ));
            }
        }
        Ok(detail.join("; "))
    }
}
