//! Elder Sync connector for Trello: cards as issues, the board as the project, board
//! labels as labels, lists as workflow states. See README.md for what it maps.

mod api;
mod config;
mod cursor;
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

pub use config::{CloseMode, TrelloConfig};

/// The Trello connector.
pub struct Trello;

impl RawConnector for Trello {
    fn describe() -> ConnectorInfo {
        describe::describe()
    }

    fn validate_config(config: &Config) -> Result<(), ConnectorError> {
        TrelloConfig::parse(config).map(|_| ())
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        let cfg = TrelloConfig::parse(config)?;
        let board = api::Api::new(&cfg).board()?;
        Ok(format!("Trello board \"{}\" ({})", board.name, board.id))
    }

    fn list_changes(
        config: &Config,
        kind: Kind,
        cursor: Option<String>,
        page_size: u32,
    ) -> Result<Page, ConnectorError> {
        poll::list_changes(&TrelloConfig::parse(config)?, kind, cursor, page_size)
    }

    fn get(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::get(&TrelloConfig::parse(config)?, kind, external_id)
    }

    fn create(config: &Config, item: NewItem) -> Result<Item, ConnectorError> {
        write::create(&TrelloConfig::parse(config)?, item)
    }

    fn update(
        config: &Config,
        kind: Kind,
        external_id: &str,
        patch: ItemPatch,
    ) -> Result<Item, ConnectorError> {
        write::update(&TrelloConfig::parse(config)?, kind, external_id, patch)
    }

    fn close(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::close(&TrelloConfig::parse(config)?, kind, external_id)
    }

    fn reopen(config: &Config, kind: Kind, external_id: &str) -> Result<Item, ConnectorError> {
        write::reopen(&TrelloConfig::parse(config)?, kind, external_id)
    }

    fn delete(config: &Config, kind: Kind, external_id: &str) -> Result<(), ConnectorError> {
        write::delete(&TrelloConfig::parse(config)?, kind, external_id)
    }

    fn parse_webhook(
        config: &Config,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        webhook::parse(&TrelloConfig::parse(config)?, body)
    }
}

elder_connector_sdk::export_raw_connector!(Trello);
