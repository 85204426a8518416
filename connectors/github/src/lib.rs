//! GitHub connector (skeleton: being written).

use elder_connector_sdk::{Connector, ConnectorInfo, Kind, export_connector};

/// The GitHub connector.
pub struct GitHub;

impl Connector for GitHub {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "github".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            platform: "github".into(),
            kinds: vec![Kind::Issue, Kind::Milestone, Kind::Label],
            config_schema: vec![],
            auth: vec![],
            webhooks: None,
            hosts: vec!["api.github.com".into()],
        }
    }
}

export_connector!(GitHub);
