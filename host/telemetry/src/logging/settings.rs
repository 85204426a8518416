//! Logging settings read from the environment (`LOG_*`, `SYSLOG_*`, `KILLKRILL_*`).

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::Error;

/// Console output format (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Pretty,
}

/// A value that must never be printed; `Debug` shows `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::REDACTED)
    }
}

/// Syslog (RFC 5424 over UDP) settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogSettings {
    /// `SYSLOG_HOST`, default `localhost`.
    pub host: String,
    /// `SYSLOG_PORT`, default 514.
    pub port: u16,
    /// `SYSLOG_FACILITY` (name like `local0`, `daemon`, or number 0..=23), default `local0` (16).
    pub facility: u8,
    /// Lines waiting to be sent; beyond this they are dropped and counted. Default 1024.
    pub queue_capacity: usize,
}

/// KillKrill batched log delivery settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillKrillSettings {
    /// `KILLKRILL_URL`: the endpoint entries are POSTed to.
    pub url: Url,
    /// `KILLKRILL_API_KEY`, sent as a Bearer token.
    pub api_key: Secret,
    /// `KILLKRILL_USE_HTTP3`: try HTTP/3 (QUIC) first, fall back to HTTP/2.
    pub use_http3: bool,
    /// `KILLKRILL_BATCH_SIZE`, default 100: a batch is sent once this many entries wait.
    pub batch_size: usize,
    /// `KILLKRILL_FLUSH_INTERVAL_MS`, default 5000: a partial batch is sent after this long.
    pub flush_interval: Duration,
    /// `KILLKRILL_QUEUE_CAPACITY`, default 10000: entries waiting; beyond this they are dropped.
    pub queue_capacity: usize,
    /// `KILLKRILL_MAX_RETRIES`, default 3: extra attempts per batch before it is dropped.
    pub max_retries: u32,
    /// `KILLKRILL_RETRY_BACKOFF_MS`, default 500: first retry delay, doubled each time (max 30s).
    pub retry_backoff: Duration,
    /// `KILLKRILL_TIMEOUT_MS`, default 10000: one request, connect included.
    pub request_timeout: Duration,
    /// `KILLKRILL_CONNECT_TIMEOUT_MS`, default 3000: QUIC handshake before falling back.
    pub connect_timeout: Duration,
    /// `KILLKRILL_SHUTDOWN_TIMEOUT_MS`, default 5000: how long shutdown waits for the last flush.
    pub shutdown_timeout: Duration,
    /// `KILLKRILL_CA_CERT`: path of an extra PEM root certificate (the file's content here).
    pub ca_cert_pem: Option<Vec<u8>>,
}

impl KillKrillSettings {
    /// Settings with the defaults above for `url` and `api_key`.
    pub fn new(url: Url, api_key: Secret) -> Self {
        Self {
            url,
            api_key,
            use_http3: false,
            batch_size: 100,
            flush_interval: Duration::from_millis(5000),
            queue_capacity: 10_000,
            max_retries: 3,
            retry_backoff: Duration::from_millis(500),
            request_timeout: Duration::from_millis(10_000),
            connect_timeout: Duration::from_millis(3000),
            shutdown_timeout: Duration::from_millis(5000),
            ca_cert_pem: None,
        }
    }
}

/// Everything the logger needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `LOG_FORMAT=json|pretty`, default pretty.
    pub format: LogFormat,
    /// `LOG_LEVEL`: a level (`DEBUG`, `info`, any case) or filter directives, default `info`.
    pub level: String,
    /// `SERVICE_NAME`, default `elder-sync`: syslog APP-NAME and KillKrill `service`.
    pub service_name: String,
    /// This machine's name (syslog HOSTNAME, KillKrill `hostname`).
    pub hostname: String,
    /// Present when `SYSLOG_ENABLED=true`.
    pub syslog: Option<SyslogSettings>,
    /// Present when `KILLKRILL_ENABLED=true`.
    pub killkrill: Option<KillKrillSettings>,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            level: "info".to_owned(),
            service_name: "elder-sync".to_owned(),
            hostname: local_hostname(),
            syslog: None,
            killkrill: None,
        }
    }
}

impl LogSettings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let defaults = Self::default();
        let format = match get("LOG_FORMAT").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("pretty") | Some("text") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(Error::invalid(
                    "LOG_FORMAT",
                    format!("`{other}` is not json or pretty"),
                ));
            }
        };
        let level = get("LOG_LEVEL").unwrap_or(defaults.level);
        super::filter::parse(&level)?;
        let syslog = if flag(&get, "SYSLOG_ENABLED")? {
            Some(syslog_settings(&get)?)
        } else {
            None
        };
        let killkrill = if flag(&get, "KILLKRILL_ENABLED")? {
            Some(killkrill_settings(&get)?)
        } else {
            None
        };
        Ok(Self {
            format,
            level,
            service_name: get("SERVICE_NAME").unwrap_or(defaults.service_name),
            hostname: defaults.hostname,
            syslog,
            killkrill,
        })
    }
}

fn syslog_settings(get: &impl Fn(&str) -> Option<String>) -> Result<SyslogSettings, Error> {
    Ok(SyslogSettings {
        host: get("SYSLOG_HOST").unwrap_or_else(|| "localhost".to_owned()),
        port: number(get, "SYSLOG_PORT", 514)?,
        facility: match get("SYSLOG_FACILITY") {
            Some(name) => facility(&name)?,
            None => 16,
        },
        queue_capacity: 1024,
    })
}

fn killkrill_settings(get: &impl Fn(&str) -> Option<String>) -> Result<KillKrillSettings, Error> {
    let raw_url = get("KILLKRILL_URL").ok_or(Error::MissingSetting("KILLKRILL_URL"))?;
    let url = Url::parse(&raw_url).map_err(|e| Error::invalid("KILLKRILL_URL", e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(
            "KILLKRILL_URL",
            "scheme must be http or https",
        ));
    }
    let api_key = get("KILLKRILL_API_KEY").ok_or(Error::MissingSetting("KILLKRILL_API_KEY"))?;
    let mut s = KillKrillSettings::new(url, Secret::new(api_key));
    s.use_http3 = flag(get, "KILLKRILL_USE_HTTP3")?;
    if s.use_http3 && s.url.scheme() != "https" {
        return Err(Error::invalid(
            "KILLKRILL_USE_HTTP3",
            "HTTP/3 needs an https KILLKRILL_URL",
        ));
    }
    s.batch_size = positive(
        number(get, "KILLKRILL_BATCH_SIZE", s.batch_size)?,
        "KILLKRILL_BATCH_SIZE",
    )?;
    s.queue_capacity = positive(
        number(get, "KILLKRILL_QUEUE_CAPACITY", s.queue_capacity)?,
        "KILLKRILL_QUEUE_CAPACITY",
    )?;
    s.max_retries = number(get, "KILLKRILL_MAX_RETRIES", s.max_retries)?;
    s.flush_interval = millis(get, "KILLKRILL_FLUSH_INTERVAL_MS", s.flush_interval)?;
    s.retry_backoff = millis(get, "KILLKRILL_RETRY_BACKOFF_MS", s.retry_backoff)?;
    s.request_timeout = millis(get, "KILLKRILL_TIMEOUT_MS", s.request_timeout)?;
    s.connect_timeout = millis(get, "KILLKRILL_CONNECT_TIMEOUT_MS", s.connect_timeout)?;
    s.shutdown_timeout = millis(get, "KILLKRILL_SHUTDOWN_TIMEOUT_MS", s.shutdown_timeout)?;
    if let Some(path) = get("KILLKRILL_CA_CERT") {
        let pem = std::fs::read(&path)
            .map_err(|e| Error::invalid("KILLKRILL_CA_CERT", format!("cannot read {path}: {e}")))?;
        s.ca_cert_pem = Some(pem);
    }
    Ok(s)
}

fn flag(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<bool, Error> {
    match get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
        None | Some("false" | "0" | "no" | "off") => Ok(false),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some(other) => Err(Error::invalid(
            name,
            format!("`{other}` is not true or false"),
        )),
    }
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, Error> {
    match get(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| Error::invalid(name, format!("`{v}` is not a valid number"))),
    }
}

fn positive(value: usize, name: &'static str) -> Result<usize, Error> {
    if value == 0 {
        return Err(Error::invalid(name, "must be at least 1"));
    }
    Ok(value)
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, Error> {
    let ms: u64 = number(
        get,
        name,
        u64::try_from(default.as_millis()).unwrap_or(u64::MAX),
    )?;
    if ms == 0 {
        return Err(Error::invalid(name, "must be at least 1 ms"));
    }
    Ok(Duration::from_millis(ms))
}

/// Syslog facility by RFC 5424 name or number.
fn facility(name: &str) -> Result<u8, Error> {
    const NAMES: [&str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7",
    ];
    let lower = name.to_ascii_lowercase();
    if let Some(pos) = NAMES.iter().position(|n| *n == lower) {
        return u8::try_from(pos).map_err(|_| Error::invalid("SYSLOG_FACILITY", "out of range"));
    }
    match lower.parse::<u8>() {
        Ok(n) if n <= 23 => Ok(n),
        _ => Err(Error::invalid(
            "SYSLOG_FACILITY",
            format!("`{name}` is not a facility"),
        )),
    }
}

fn local_hostname() -> String {
    let name = gethostname::gethostname().to_string_lossy().into_owned();
    if name.is_empty() {
        "localhost".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<LogSettings, Error> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LogSettings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_pretty_info_without_remote_sinks() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.format, LogFormat::Pretty);
        assert_eq!(s.level, "info");
        assert!(s.syslog.is_none() && s.killkrill.is_none());
    }

    #[test]
    fn level_any_case_and_json_format() {
        let s = settings(&[("LOG_LEVEL", "DEBUG"), ("LOG_FORMAT", "JSON")]).unwrap();
        assert_eq!(s.format, LogFormat::Json);
        assert_eq!(s.level, "DEBUG");
        assert!(settings(&[("LOG_LEVEL", "loud")]).is_err());
        assert!(settings(&[("LOG_FORMAT", "xml")]).is_err());
    }

    #[test]
    fn syslog_settings_parse() {
        let s = settings(&[
            ("SYSLOG_ENABLED", "TRUE"),
            ("SYSLOG_HOST", "logs.internal"),
            ("SYSLOG_PORT", "5514"),
            ("SYSLOG_FACILITY", "daemon"),
        ])
        .unwrap();
        let syslog = s.syslog.unwrap();
        assert_eq!(
            (syslog.host.as_str(), syslog.port, syslog.facility),
            ("logs.internal", 5514, 3)
        );
        assert!(settings(&[("SYSLOG_ENABLED", "true"), ("SYSLOG_PORT", "x")]).is_err());
    }

    #[test]
    fn killkrill_needs_url_and_key_and_hides_key() {
        assert!(matches!(
            settings(&[("KILLKRILL_ENABLED", "true"), ("KILLKRILL_API_KEY", "k")]),
            Err(Error::MissingSetting("KILLKRILL_URL"))
        ));
        let s = settings(&[
            ("KILLKRILL_ENABLED", "true"),
            ("KILLKRILL_URL", "https://kk.test/api/v1/logs"),
            ("KILLKRILL_API_KEY", "very-secret-key"),
            ("KILLKRILL_USE_HTTP3", "true"),
            ("KILLKRILL_BATCH_SIZE", "7"),
        ])
        .unwrap();
        let kk = s.killkrill.clone().unwrap();
        assert!(kk.use_http3);
        assert_eq!(kk.batch_size, 7);
        assert_eq!(kk.flush_interval, Duration::from_secs(5));
        assert!(!format!("{s:?}").contains("very-secret-key"));
    }
}
