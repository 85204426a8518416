//! Elder Sync connector for GitHub issues, milestones and labels (REST API
//! version 2022-11-28). Module map: [`settings`] config and headers, [`model`]
//! GitHub shapes, [`mapping`] shapes to items, [`cursor`] and [`list`] change
//! listing, [`write`] reads and writes, [`webhook`] deliveries to changes,
//! [`describe`] the connector's description.

pub mod cursor;
pub mod describe;
#[cfg(test)]
mod fixtures;
pub mod list;
pub mod mapping;
pub mod model;
pub mod settings;
pub mod webhook;
pub mod write;

use elder_connector_sdk::http::Request;
use elder_connector_sdk::{
    Change, Config, ConnectorError, ConnectorInfo, Item, ItemPatch, Kind, NewItem, Page,
    RawConnector, clock, export_raw_connector,
};

use crate::model::GhRepo;
use crate::settings::{Settings, with_github_headers};

/// The GitHub connector.
pub struct GitHub;

impl RawConnector for GitHub {
    fn describe() -> ConnectorInfo {
        describe::info()
    }

    fn validate_config(config: &Config) -> Result<(), ConnectorError> {
        Settings::from_config(config).map(|_| ())
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        let s = Settings::from_config(config)?;
        let repo: GhRepo = with_github_headers(Request::get(s.repo_url("")))
            .send()?
            .json()?;
        Ok(format!("GitHub repository {}", repo.full_name))
    }

    fn list_changes(
        config: &Config,
        kind: Kind,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        list::list_changes(
            &Settings::from_config(config)?,
            kind,
            cursor.as_deref(),
            page_size,
        )
    }

    fn get(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::get(&Settings::from_config(config)?, kind, external_id)
    }

    fn create(config: &Config, item: NewItem) -> Result<Item, ConnectorError> {
        write::create(&Settings::from_config(config)?, &item)
    }

    fn update(
        config: &Config,
        kind: Kind,
        external_id: &str,
        patch: ItemPatch,
    ) -> Result<Item, ConnectorError> {
        write::update(&Settings::from_config(config)?, kind, external_id, &patch)
    }

    fn close(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::close(&Settings::from_config(config)?, kind, external_id)
    }

    fn reopen(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::reopen(&Settings::from_config(config)?, kind, external_id)
    }

    fn delete(config: &Config, kind: Kind, external_id: &str) -> Result<(), ConnectorError> {
        write::delete(&Settings::from_config(config)?, kind, external_id)
    }

    fn parse_webhook(
        _config: &Config,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        let now = if is_label_event(headers) {
            clock::now_ms()
        } else {
            0
        };
        webhook::parse(headers, body, now)
    }
}

/// Only label events need the clock (they carry no timestamp).
fn is_label_event(headers: &[(String, String)]) -> bool {
    elder_connector_sdk::http::header(headers, "x-github-event").map(str::trim) == Some("label")
}

export_raw_connector!(GitHub);
