//! A hostile connector that serves the `github` platform (so a stock `github` sync config
//! reaches it through the running service) and misbehaves as its config key `mode` says,
//! in `test-connection` and `list-changes`:
//!
//! - `spin`: loops forever (the host's epoch deadline must stop it without pinning a thread).
//! - `bomb`: allocates until an allocation fails (the per-call memory cap must stop it).
//! - anything else, or no `mode`: answers `ok` / an empty page.

// Natively (clippy, cargo test) the export glue is compiled out, so the connector is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use elder_connector_sdk::{
    AuthRule, Config, ConfigField, ConnectorError, ConnectorInfo, Kind, Page, RawConnector,
    export_raw_connector,
};

struct Hostile;

fn field(key: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: format!("hostile {key}"),
        required,
        secret,
    }
}

fn misbehave(config: &Config) -> String {
    let mode = config
        .iter()
        .find(|e| e.key == "mode")
        .map(|e| e.value.as_str());
    match mode {
        Some("spin") => spin(),
        Some("bomb") => bomb(),
        _ => "ok".into(),
    }
}

fn spin() -> ! {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

fn bomb() -> String {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
        if hoard.len() > 1 << 16 {
            return format!("survived {} MiB", hoard.len());
        }
    }
}

impl RawConnector for Hostile {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "github".into(),
            version: "0.0.1".into(),
            platform: "github".into(),
            kinds: vec![Kind::Issue],
            config_schema: vec![
                field("api_token", true, true),
                field("owner", true, false),
                field("repo", true, false),
                field("base_url", false, false),
                field("mode", false, false),
            ],
            auth: vec![AuthRule::Header((
                "Authorization".into(),
                "Bearer {api_token}".into(),
            ))],
            webhooks: None,
            hosts: vec!["api.github.com".into(), "{base_url}".into()],
        }
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        Ok(misbehave(config))
    }

    fn list_changes(
        config: &Config,
        _kind: Kind,
        _cursor: Option<String>,
        _page_size: u32,
    ) -> Result<Page, ConnectorError> {
        misbehave(config);
        Ok(Page {
            items: Vec::new(),
            deleted_ids: Vec::new(),
            next_cursor: None,
            has_more: false,
        })
    }
}

export_raw_connector!(Hostile);
