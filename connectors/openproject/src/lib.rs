//! Elder Sync connector for OpenProject (API v3, HAL+JSON): work packages as issues, the
//! project as the project, versions as milestones, categories as labels. See README.md.

mod api;
mod config;
mod describe;
mod mapping;
mod model;
mod poll;
mod webhook;
mod write;

use elder_connector_sdk::{
    Change, Config, ConnectorError, ConnectorInfo, Item, ItemPatch, Kind, NewItem, Page,
    RawConnector,
};

pub use config::OpConfig;

/// The OpenProject connector.
pub struct OpenProject;

impl RawConnector for OpenProject {
    fn describe() -> ConnectorInfo {
        describe::describe()
    }

    fn validate_config(config: &Config) -> Result<(), ConnectorError> {
        OpConfig::parse(config).map(|_| ())
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        let cfg = OpConfig::parse(config)?;
        let p = api::Api::new(&cfg).project()?;
        Ok(format!(
            "OpenProject project \"{}\" ({})",
            p.name, p.identifier
        ))
    }

    fn list_changes(
        config: &Config,
        kind: Kind,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        poll::list_changes(&OpConfig::parse(config)?, kind, cursor, page_size)
    }

    fn get(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::get(&OpConfig::parse(config)?, kind, external_id)
    }

    fn create(config: &Config, item: NewItem) -> Result<Item, ConnectorError> {
        write::create(&OpConfig::parse(config)?, item)
    }

    fn update(
        config: &Config,
        kind: Kind,
        external_id: &str,
        patch: ItemPatch,
    ) -> Result<Item, ConnectorError> {
        write::update(&OpConfig::parse(config)?, kind, external_id, patch)
    }

    fn close(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::close(&OpConfig::parse(config)?, kind, external_id)
    }

    fn reopen(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::reopen(&OpConfig::parse(config)?, kind, external_id)
    }

    fn delete(config: &Config, kind: Kind, external_id: &str) -> Result<(), ConnectorError> {
        write::delete(&OpConfig::parse(config)?, kind, external_id)
    }

    fn parse_webhook(
        _config: &Config,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        webhook::parse(body)
    }
}

elder_connector_sdk::export_raw_connector!(OpenProject);
