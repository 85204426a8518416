//! The egress policy of one call: which hosts the connector may reach (from
//! `describe.hosts`, templates filled from the config) and how credentials are applied
//! (the `describe.auth` rules with `{key}` templates, secrets included). Guest-set
//! headers that an auth rule sets are replaced by the host's.

use std::time::Duration;

use base64::Engine as _;
use elder_sync_model::{AuthRule, ConnectorInfo};

use super::{EgressError, EgressRequest};
use crate::config::ConnectorConfig;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
/// Headers the transport sets itself; a guest's value is dropped.
const TRANSPORT_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// What the guest asked for.
#[derive(Debug, Clone)]
pub struct GuestRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Allowed hosts and auth rules of one connector with one config.
#[derive(Clone)]
pub struct EgressPolicy {
    allowed_hosts: Vec<String>,
    auth: Vec<AuthRule>,
    config: ConnectorConfig,
    allow_plain_http: bool,
}

impl EgressPolicy {
    /// The policy for `info` under `config` (which includes the secrets).
    pub fn new(info: &ConnectorInfo, config: ConnectorConfig, allow_plain_http: bool) -> Self {
        let allowed_hosts = info
            .hosts
            .iter()
            .filter_map(|entry| resolve_host(entry, &config))
            .collect();
        EgressPolicy {
            allowed_hosts,
            auth: info.auth.clone(),
            config,
            allow_plain_http,
        }
    }

    /// A policy that refuses every request (used while calling `describe`).
    pub fn deny_all() -> Self {
        EgressPolicy {
            allowed_hosts: Vec::new(),
            auth: Vec::new(),
            config: ConnectorConfig::default(),
            allow_plain_http: false,
        }
    }

    /// The resolved allowed hosts (lowercase).
    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed_hosts
    }

    /// Checks the request and applies the credentials.
    pub fn prepare(
        &self,
        req: GuestRequest,
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Result<EgressRequest, EgressError> {
        let method = req.method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(EgressError::InvalidRequest(format!(
                "method {:?} is not one of {}",
                req.method,
                METHODS.join(", ")
            )));
        }
        let mut url = url::Url::parse(&req.url)
            .map_err(|e| EgressError::InvalidRequest(format!("bad URL: {e}")))?;
        self.check_scheme(&url)?;
        self.check_host(&url)?;
        let mut headers: Vec<(String, String)> = req
            .headers
            .into_iter()
            .filter(|(k, _)| !TRANSPORT_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
            .collect();
        for rule in &self.auth {
            self.apply(rule, &mut url, &mut headers)?;
        }
        Ok(EgressRequest {
            method,
            url,
            headers,
            body: req.body,
            timeout,
            max_response_bytes,
        })
    }

    fn check_scheme(&self, url: &url::Url) -> Result<(), EgressError> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.allow_plain_http => Ok(()),
            "http" => Err(EgressError::InvalidRequest(
                "plain http is not allowed: use https".into(),
            )),
            other => Err(EgressError::InvalidRequest(format!(
                "unsupported URL scheme {other}"
            ))),
        }
    }

    fn check_host(&self, url: &url::Url) -> Result<(), EgressError> {
        let host = url
            .host_str()
            .ok_or_else(|| EgressError::InvalidRequest("URL has no host".into()))?
            .to_ascii_lowercase();
        if self.allowed_hosts.contains(&host) {
            Ok(())
        } else {
            Err(EgressError::HostNotAllowed(host))
        }
    }

    fn apply(
        &self,
        rule: &AuthRule,
        url: &mut url::Url,
        headers: &mut Vec<(String, String)>,
    ) -> Result<(), EgressError> {
        match rule {
            AuthRule::Header(name, template) => {
                let value = fill_template(template, &self.config)?;
                set_header(headers, name, value);
            }
            AuthRule::Query(name, template) => {
                let value = fill_template(template, &self.config)?;
                set_query(url, name, &value);
            }
            AuthRule::Basic(user, password) => {
                let user = fill_template(user, &self.config)?;
                let password = fill_template(password, &self.config)?;
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                set_header(headers, "Authorization", format!("Basic {token}"));
            }
        }
        Ok(())
    }
}

/// Replaces every `{key}` in `template` with the config value; an unset key is an
/// `invalid-request` naming it. An unclosed `{` is kept literally.
pub fn fill_template(template: &str, config: &ConnectorConfig) -> Result<String, EgressError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        let key = &rest[open + 1..open + close];
        let value = config.get(key).ok_or_else(|| {
            EgressError::InvalidRequest(format!(
                "the auth template names the config key `{key}`, which is not set"
            ))
        })?;
        out.push_str(value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The config keys a template names.
pub fn template_keys(template: &str) -> Vec<&str> {
    let mut keys = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        keys.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    keys
}

/// A `describe.hosts` entry as a lowercase host: literal, or `{key}` naming a config
/// value that is a URL or a host name (`None` when unset or unusable).
fn resolve_host(entry: &str, config: &ConnectorConfig) -> Option<String> {
    let entry = entry.trim();
    let value = match entry.strip_prefix('{').and_then(|e| e.strip_suffix('}')) {
        Some(key) => config.get(key)?.trim(),
        None => entry,
    };
    host_of(value)
}

fn host_of(value: &str) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    if value.contains("://") {
        return url::Url::parse(value)
            .ok()?
            .host_str()
            .map(str::to_ascii_lowercase);
    }
    // A bare host, maybe with a port or path: let the URL parser find the host.
    url::Url::parse(&format!("https://{value}"))
        .ok()?
        .host_str()
        .map(str::to_ascii_lowercase)
}

fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value));
}

fn set_query(url: &mut url::Url, name: &str, value: &str) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut pairs = url.query_pairs_mut();
    pairs.clear();
    pairs.extend_pairs(kept);
    pairs.append_pair(name, value);
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use elder_sync_model::ConfigField;

    use super::*;

    fn info(auth: Vec<AuthRule>, hosts: &[&str]) -> ConnectorInfo {
        ConnectorInfo {
            id: "t".into(),
            version: "1".into(),
            platform: "t".into(),
            kinds: vec![],
            config_schema: vec![ConfigField {
                key: "token".into(),
                description: String::new(),
                required: true,
                secret: true,
            }],
            auth,
            webhooks: None,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    fn config(pairs: &[(&str, &str)]) -> ConnectorConfig {
        ConnectorConfig::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn get(url: &str, headers: &[(&str, &str)]) -> GuestRequest {
        GuestRequest {
            method: "get".into(),
            url: url.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: None,
        }
    }

    fn prepare(p: &EgressPolicy, r: GuestRequest) -> Result<EgressRequest, EgressError> {
        p.prepare(r, Duration::from_secs(1), 100)
    }

    #[test]
    fn hosts_resolve_from_literals_and_config_templates() {
        let cfg = config(&[("base_url", "https://Git.Example.org:8443/api")]);
        let p = EgressPolicy::new(
            &info(
                vec![],
                &["api.github.com", "{base_url}", "{unset}", "{bare}"],
            ),
            cfg,
            false,
        );
        assert_eq!(p.allowed_hosts(), ["api.github.com", "git.example.org"]);
        let bare = EgressPolicy::new(
            &info(vec![], &["{bare}"]),
            config(&[("bare", "jira.local")]),
            false,
        );
        assert_eq!(bare.allowed_hosts(), ["jira.local"]);
    }

    #[test]
    fn other_hosts_are_refused_with_their_name() {
        let p = EgressPolicy::new(&info(vec![], &["api.github.com"]), config(&[]), false);
        let err = prepare(&p, get("https://evil.example.net/x", &[])).unwrap_err();
        assert_eq!(err, EgressError::HostNotAllowed("evil.example.net".into()));
        // A lookalike suffix is not the allowed host.
        let err = prepare(&p, get("https://api.github.com.evil.net/", &[])).unwrap_err();
        assert!(matches!(err, EgressError::HostNotAllowed(_)));
        assert!(prepare(&p, get("https://API.github.com/repos", &[])).is_ok());
    }

    #[test]
    fn plain_http_needs_the_operator_switch() {
        let i = info(vec![], &["127.0.0.1"]);
        let strict = EgressPolicy::new(&i, config(&[]), false);
        let err = prepare(&strict, get("http://127.0.0.1:9/x", &[])).unwrap_err();
        assert!(matches!(err, EgressError::InvalidRequest(m) if m.contains("https")));
        let loose = EgressPolicy::new(&i, config(&[]), true);
        assert!(prepare(&loose, get("http://127.0.0.1:9/x", &[])).is_ok());
        let err = prepare(&loose, get("file:///etc/passwd", &[])).unwrap_err();
        assert!(matches!(err, EgressError::InvalidRequest(_)));
    }

    #[test]
    fn bad_methods_and_urls_are_invalid_requests() {
        let p = EgressPolicy::new(&info(vec![], &["h.io"]), config(&[]), false);
        let mut r = get("https://h.io/", &[]);
        r.method = "CONNECT".into();
        assert!(matches!(
            prepare(&p, r),
            Err(EgressError::InvalidRequest(_))
        ));
        assert!(matches!(
            prepare(&p, get("not a url", &[])),
            Err(EgressError::InvalidRequest(_))
        ));
    }

    #[test]
    fn header_rule_overrides_the_guests_header() {
        let auth = vec![AuthRule::Header(
            "Authorization".into(),
            "Bearer {token}".into(),
        )];
        let p = EgressPolicy::new(
            &info(auth, &["h.io"]),
            config(&[("token", "s3cret")]),
            false,
        );
        let req = prepare(
            &p,
            get(
                "https://h.io/",
                &[("authorization", "Bearer forged"), ("Accept", "x")],
            ),
        )
        .unwrap();
        let auth: Vec<_> = req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .collect();
        assert_eq!(
            auth,
            [&("Authorization".to_string(), "Bearer s3cret".to_string())]
        );
        assert!(req.headers.contains(&("Accept".into(), "x".into())));
    }

    #[test]
    fn query_rule_replaces_the_parameter() {
        let auth = vec![AuthRule::Query("key".into(), "{token}".into())];
        let p = EgressPolicy::new(&info(auth, &["h.io"]), config(&[("token", "a&b")]), false);
        let req = prepare(&p, get("https://h.io/1/boards?key=forged&fields=name", &[])).unwrap();
        let pairs: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("fields".into(), "name".into()),
                ("key".into(), "a&b".into())
            ]
        );
    }

    #[test]
    fn basic_rule_encodes_user_and_password() {
        let auth = vec![AuthRule::Basic("{email}".into(), "{token}".into())];
        let cfg = config(&[("email", "a@b.c"), ("token", "t0k")]);
        let p = EgressPolicy::new(&info(auth, &["h.io"]), cfg, false);
        let req = prepare(&p, get("https://h.io/", &[])).unwrap();
        assert!(
            req.headers
                .contains(&("Authorization".into(), "Basic YUBiLmM6dDBr".into()))
        );
    }

    #[test]
    fn template_naming_a_missing_key_names_it() {
        let auth = vec![AuthRule::Header("PRIVATE-TOKEN".into(), "{token}".into())];
        let p = EgressPolicy::new(&info(auth, &["h.io"]), config(&[]), false);
        let err = prepare(&p, get("https://h.io/", &[])).unwrap_err();
        assert!(
            matches!(&err, EgressError::InvalidRequest(m) if m.contains("`token`")),
            "{err}"
        );
    }

    #[test]
    fn templates_fill_every_key_and_keep_unclosed_braces() {
        let cfg = config(&[("a", "1"), ("b", "2")]);
        assert_eq!(fill_template("x{a}-{b}y{", &cfg).unwrap(), "x1-2y{");
        assert_eq!(template_keys("OAuth k=\"{a}\", t=\"{b}\""), ["a", "b"]);
    }

    #[test]
    fn transport_headers_from_the_guest_are_dropped() {
        let p = EgressPolicy::new(&info(vec![], &["h.io"]), config(&[]), false);
        let req = prepare(
            &p,
            get("https://h.io/", &[("Host", "evil.net"), ("X-A", "1")]),
        )
        .unwrap();
        assert_eq!(req.headers, [("X-A".to_string(), "1".to_string())]);
    }

    #[test]
    fn deny_all_refuses_everything() {
        let err = prepare(
            &EgressPolicy::deny_all(),
            get("https://api.github.com/", &[]),
        )
        .unwrap_err();
        assert!(matches!(err, EgressError::HostNotAllowed(_)));
    }
}
