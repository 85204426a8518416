//! Misbehaving test connector: proves the runtime's isolation.
//!
//! Its behaviour in `test-connection` is chosen by the config key `mode`:
//!
//! - `ok`: returns `ok`.
//! - `loop`: spins forever (the host's epoch deadline must stop it).
//! - `bomb`: allocates memory until the allocation fails (the store's memory cap must stop it).
//! - `panic`: panics (the component traps).
//! - `forbidden-host`: sends a request to a host not in `describe.hosts` and reports the
//!   host's answer as text (`http-error: host-not-allowed: ...`).
//! - `echo-config`: returns every config entry it received as `key=value` lines.
//! - `http`: GETs `{base_url}/echo` and returns `status` and the body.
//! - `clock`: returns the host clock's milliseconds.
//! - `log`: writes one log record and returns `logged`.
//!
//! `parse-webhook` (for the runtime's batch tests) is chosen by the body:
//!
//! - `panic`, `loop`, `bomb`: as above.
//! - `busy:<ms>`: spins for that many milliseconds of host clock, then answers like any body.
//! - `hoard:<MiB>`: keeps that much memory for the life of the instance, then answers.
//! - `refuse`: the `invalid-input` error (not a trap).
//! - `state`: one change whose external id tells what this instance remembers:
//!   `served=<calls this instance served> modes=<the mode of every config it saw>`.
//! - anything else: one `updated` issue change whose external id is the body.

// Natively (clippy, cargo test) the export glue is compiled out, so the connector is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use elder_connector_sdk::bindings::elder::connector::{clock, http, log};
use std::sync::Mutex;

use elder_connector_sdk::{
    AuthRule, Change, ChangeAction, Config, ConfigField, ConnectorError, ConnectorInfo, Kind,
    RawConnector, export_raw_connector,
};

/// What this instance remembers across calls: the modes of the configs it served, and
/// the memory `hoard:` keeps. A fresh instance starts empty.
static SEEN_MODES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static HOARD: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

struct Chaos;

fn field(key: &str, required: bool, secret: bool) -> ConfigField {
    ConfigField {
        key: key.into(),
        description: format!("chaos {key}"),
        required,
        secret,
    }
}

fn value<'a>(config: &'a Config, key: &str) -> Option<&'a str> {
    config
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.as_str())
}

fn describe_http_error(e: &http::HttpError) -> String {
    match e {
        http::HttpError::HostNotAllowed(h) => format!("http-error: host-not-allowed: {h}"),
        http::HttpError::InvalidRequest(m) => format!("http-error: invalid-request: {m}"),
        http::HttpError::Timeout => "http-error: timeout".into(),
        http::HttpError::ResponseTooLarge(n) => format!("http-error: response-too-large: {n}"),
        http::HttpError::Transport(m) => format!("http-error: transport: {m}"),
    }
}

fn send(url: String, headers: Vec<http::Header>) -> String {
    let req = http::Request {
        method: "GET".into(),
        url,
        headers,
        body: None,
    };
    match http::send(&req) {
        Ok(resp) => format!("{} {}", resp.status, String::from_utf8_lossy(&resp.body)),
        Err(e) => describe_http_error(&e),
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
        let chunk = vec![1u8; 1 << 20];
        hoard.push(std::hint::black_box(chunk));
        if hoard.len() > 1 << 16 {
            return format!("survived {} MiB", hoard.len());
        }
    }
}

fn echo_config(config: &Config) -> String {
    config
        .iter()
        .map(|e| format!("{}={}", e.key, e.value))
        .collect::<Vec<_>>()
        .join("\n")
}

impl RawConnector for Chaos {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "chaos".into(),
            version: "0.1.0".into(),
            platform: "chaos".into(),
            kinds: vec![Kind::Issue],
            config_schema: vec![
                field("mode", true, false),
                field("base_url", false, false),
                field("token", false, true),
                field("guest_auth", false, false),
            ],
            auth: vec![AuthRule::Header((
                "Authorization".into(),
                "Bearer {token}".into(),
            ))],
            webhooks: None,
            hosts: vec!["{base_url}".into(), "api.chaos.example".into()],
        }
    }

    fn validate_config(config: &Config) -> Result<(), ConnectorError> {
        value(config, "mode")
            .map(|_| ())
            .ok_or_else(|| ConnectorError::invalid_config("mode is required"))
    }

    fn test_connection(config: &Config) -> Result<String, ConnectorError> {
        let mode = value(config, "mode").unwrap_or("ok");
        let base = value(config, "base_url").unwrap_or("https://api.chaos.example");
        match mode {
            "ok" => Ok("ok".into()),
            "loop" => spin(),
            "bomb" => Ok(bomb()),
            "panic" => panic!("chaos guest panics on purpose"),
            "forbidden-host" => Ok(send("https://evil.example.net/steal".into(), vec![])),
            "echo-config" => Ok(echo_config(config)),
            "http" => {
                // A guest-set Authorization header must be overridden by the host.
                let headers = value(config, "guest_auth")
                    .map(|v| {
                        vec![http::Header {
                            name: "authorization".into(),
                            value: v.into(),
                        }]
                    })
                    .unwrap_or_default();
                Ok(send(format!("{base}/echo"), headers))
            }
            "clock" => Ok(clock::now_ms().to_string()),
            "log" => {
                log::write(
                    log::Level::Info,
                    "chaos says hello",
                    &[log::Field {
                        key: "mode".into(),
                        value: "log".into(),
                    }],
                );
                Ok("logged".into())
            }
            other => Err(ConnectorError::invalid_config(format!(
                "unknown mode {other}"
            ))),
        }
    }

    fn parse_webhook(
        config: &Config,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Vec<Change>, ConnectorError> {
        let mut seen = SEEN_MODES.lock().unwrap_or_else(|p| p.into_inner());
        seen.push(value(config, "mode").unwrap_or("").to_string());
        let served = seen.len();
        let text = String::from_utf8_lossy(body).into_owned();
        let id = match text.as_str() {
            "panic" => panic!("chaos guest panics on purpose"),
            "loop" => spin(),
            "bomb" => bomb(),
            "refuse" => return Err(ConnectorError::invalid_input("refused on purpose")),
            "state" => format!("served={served} modes={}", seen.join(",")),
            t if t.starts_with("busy:") => {
                let ms: i64 = t["busy:".len()..].parse().unwrap_or(0);
                let until = clock::now_ms() + ms;
                while clock::now_ms() < until {
                    std::hint::black_box(());
                }
                text
            }
            t if t.starts_with("hoard:") => {
                let mib: usize = t["hoard:".len()..].parse().unwrap_or(0);
                let chunk = std::hint::black_box(vec![1u8; mib << 20]);
                HOARD.lock().unwrap_or_else(|p| p.into_inner()).push(chunk);
                text
            }
            _ => text,
        };
        Ok(vec![Change {
            kind: Kind::Issue,
            external_id: id,
            action: ChangeAction::Updated,
            item: None,
            occurred_at: 0,
        }])
    }
}

export_raw_connector!(Chaos);
