//! The egress policy of one call: which hosts and ports the connector may reach (from
//! `describe.hosts`, templates filled from the config), which addresses (literal
//! internal IPs refused unless allowed, see [`super::address`]), and how credentials are
//! applied (the `describe.auth` rules with `{key}` templates, secrets included). Auth is
//! applied only to the config's own platform host (see [`EgressPolicy::platform_host`]),
//! never to the other allowed hosts. Guest-set headers that an auth rule sets are
//! replaced by the host's.

use std::time::Duration;

use base64::Engine as _;
use elder_sync_model::{AuthRule, ConnectorInfo};

use super::address::check_literal_host;
use super::{EgressError, EgressRequest};
use crate::connector_settings::ConnectorSettings;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
/// Headers the transport sets itself; a guest's value is dropped.
const TRANSPORT_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// What the guest asked for.
#[derive(Debug, Clone)]
pub struct GuestRequest {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// The absolute URL, before the host's allow-list check.
    pub url: String,
    /// The guest's headers as (name, value) pairs; the host adds credentials itself.
    pub headers: Vec<(String, String)>,
    /// The request body; `None` for none.
    pub body: Option<Vec<u8>>,
}

/// The operator's network switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Network {
    /// `http://` URLs allowed (port 80 unless the host entry names one).
    pub allow_plain_http: bool,
    /// Loopback, private and other internal addresses allowed.
    pub allow_private: bool,
}

/// One reachable host: a lowercase name and the port its entry named, if any (none
/// means the scheme's default port only: 443 for https, 80 for http).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host name, lowercase.
    pub host: String,
    /// The port the entry named; `None` means the scheme's default port only.
    pub port: Option<u16>,
}

impl Target {
    fn admits(&self, url: &url::Url, host: &str) -> bool {
        self.host == host && url.port() == self.port
    }
}

/// Allowed hosts and auth rules of one connector with one config.
#[derive(Clone)]
pub struct EgressPolicy {
    allowed: Vec<Target>,
    platform: Option<Target>,
    auth: Vec<AuthRule>,
    config: ConnectorSettings,
    network: Network,
    /// Secret values that must never come back to the guest in a response.
    redact: Vec<String>,
}

impl EgressPolicy {
    /// The policy for `info` under `config` (which includes the secrets).
    pub fn new(info: &ConnectorInfo, config: ConnectorSettings, network: Network) -> Self {
        let allowed: Vec<Target> = info
            .hosts
            .iter()
            .filter_map(|entry| resolve_target(entry, &config))
            .collect();
        let platform = platform_target(&info.hosts, &config);
        EgressPolicy {
            allowed,
            platform,
            auth: info.auth.clone(),
            config,
            network,
            redact: Vec::new(),
        }
    }

    /// Also keeps these values out of responses handed to the guest.
    pub fn redacting(mut self, values: Vec<String>) -> Self {
        self.redact = values;
        self
    }

    /// A policy that refuses every request (used while calling `describe`).
    pub fn deny_all() -> Self {
        EgressPolicy {
            allowed: Vec::new(),
            platform: None,
            auth: Vec::new(),
            config: ConnectorSettings::default(),
            network: Network::default(),
            redact: Vec::new(),
        }
    }

    /// The resolved allowed hosts (lowercase).
    pub fn allowed_hosts(&self) -> Vec<&str> {
        self.allowed.iter().map(|t| t.host.as_str()).collect()
    }

    /// The host credentials go to: the first `{key}` hosts entry whose config value is
    /// set (the config says where its platform is), otherwise the first literal entry.
    pub fn platform_host(&self) -> Option<&Target> {
        self.platform.as_ref()
    }

    /// Every secret value this policy may place in a request (the values of the keys the
    /// auth templates name, and every value withheld from the guest): what must never
    /// come back to the guest in a response.
    pub fn secret_values(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .auth
            .iter()
            .flat_map(|rule| match rule {
                AuthRule::Header(_, t) | AuthRule::Query(_, t) => template_keys(t),
                AuthRule::Basic(u, p) => [template_keys(u), template_keys(p)].concat(),
            })
            .collect();
        keys.extend(self.config.secret_keys());
        let mut values: Vec<&str> = keys.iter().filter_map(|k| self.config.get(k)).collect();
        values.extend(self.redact.iter().map(String::as_str));
        values.sort_unstable();
        values.dedup();
        values
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
        let to_platform = self.check_host(&url)?;
        check_literal_host(&url, self.network.allow_private)?;
        let mut headers: Vec<(String, String)> = req
            .headers
            .into_iter()
            .filter(|(k, _)| !TRANSPORT_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
            .collect();
        if to_platform {
            for rule in &self.auth {
                self.apply(rule, &mut url, &mut headers)?;
            }
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
            "http" if self.network.allow_plain_http => Ok(()),
            "http" => Err(EgressError::InvalidRequest(
                "plain http is not allowed: use https".into(),
            )),
            other => Err(EgressError::InvalidRequest(format!(
                "unsupported URL scheme {other}"
            ))),
        }
    }

    /// Refuses hosts and ports outside the allowed list; true when the request goes to
    /// the platform host (and so gets the credentials).
    fn check_host(&self, url: &url::Url) -> Result<bool, EgressError> {
        let host = url
            .host_str()
            .ok_or_else(|| EgressError::InvalidRequest("URL has no host".into()))?
            .to_ascii_lowercase();
        if self.allowed.iter().any(|t| t.admits(url, &host)) {
            return Ok(self.platform.as_ref().is_some_and(|t| t.admits(url, &host)));
        }
        if self.allowed.iter().any(|t| t.host == host) {
            let port = url.port_or_known_default().unwrap_or_default();
            return Err(EgressError::HostNotAllowed(format!(
                "{host}:{port} (port {port} is not allowed: only {}'s default port, unless \
                 the host entry names a port)",
                url.scheme()
            )));
        }
        Err(EgressError::HostNotAllowed(host))
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
pub fn fill_template(template: &str, config: &ConnectorSettings) -> Result<String, EgressError> {
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

/// A `describe.hosts` entry as a target: literal, or `{key}` naming a config value that
/// is a URL or a host name (`None` when unset or unusable). A port written in the entry
/// or in the config value is the only port allowed for it.
fn resolve_target(entry: &str, config: &ConnectorSettings) -> Option<Target> {
    let entry = entry.trim();
    let value = match template_key(entry) {
        Some(key) => config.get(key)?.trim(),
        None => entry,
    };
    target_of(value)
}

/// The `key` of a `{key}` hosts entry.
fn template_key(entry: &str) -> Option<&str> {
    entry.strip_prefix('{').and_then(|e| e.strip_suffix('}'))
}

/// The platform host: the first `{key}` entry that resolves, else the first literal one.
fn platform_target(hosts: &[String], config: &ConnectorSettings) -> Option<Target> {
    let templated = hosts
        .iter()
        .filter(|h| template_key(h.trim()).is_some())
        .find_map(|h| resolve_target(h, config));
    templated.or_else(|| {
        hosts
            .iter()
            .filter(|h| template_key(h.trim()).is_none())
            .find_map(|h| resolve_target(h, config))
    })
}

fn target_of(value: &str) -> Option<Target> {
    if value.is_empty() {
        return None;
    }
    // A bare host, maybe with a port or path: let the URL parser find the host.
    let url = if value.contains("://") {
        url::Url::parse(value).ok()?
    } else {
        url::Url::parse(&format!("https://{value}")).ok()?
    };
    let host = url.host_str()?.to_ascii_lowercase();
    // `None` for the scheme's default port (`https://h:443` is `https://h`).
    let port = url.port();
    Some(Target { host, port })
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

    const STRICT: Network = Network {
        allow_plain_http: false,
        allow_private: false,
    };
    const LOOSE: Network = Network {
        allow_plain_http: true,
        allow_private: true,
    };

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

    fn config(pairs: &[(&str, &str)]) -> ConnectorSettings {
        ConnectorSettings::new(
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
            STRICT,
        );
        assert_eq!(p.allowed_hosts(), ["api.github.com", "git.example.org"]);
        let bare = EgressPolicy::new(
            &info(vec![], &["{bare}"]),
            config(&[("bare", "jira.local")]),
            STRICT,
        );
        assert_eq!(bare.allowed_hosts(), ["jira.local"]);
    }

    #[test]
    fn other_hosts_are_refused_with_their_name() {
        let p = EgressPolicy::new(&info(vec![], &["api.github.com"]), config(&[]), STRICT);
        let err = prepare(&p, get("https://evil.example.net/x", &[])).unwrap_err();
        assert_eq!(err, EgressError::HostNotAllowed("evil.example.net".into()));
        // A lookalike suffix is not the allowed host.
        let err = prepare(&p, get("https://api.github.com.evil.net/", &[])).unwrap_err();
        assert!(matches!(err, EgressError::HostNotAllowed(_)));
        assert!(prepare(&p, get("https://API.github.com/repos", &[])).is_ok());
    }

    #[test]
    fn plain_http_needs_the_operator_switch() {
        let i = info(vec![], &["127.0.0.1:9"]);
        let strict = EgressPolicy::new(&i, config(&[]), STRICT);
        let err = prepare(&strict, get("http://127.0.0.1:9/x", &[])).unwrap_err();
        assert!(matches!(err, EgressError::InvalidRequest(m) if m.contains("https")));
        let loose = EgressPolicy::new(&i, config(&[]), LOOSE);
        assert!(prepare(&loose, get("http://127.0.0.1:9/x", &[])).is_ok());
        let err = prepare(&loose, get("file:///etc/passwd", &[])).unwrap_err();
        assert!(matches!(err, EgressError::InvalidRequest(_)));
    }

    #[test]
    fn bad_methods_and_urls_are_invalid_requests() {
        let p = EgressPolicy::new(&info(vec![], &["h.io"]), config(&[]), STRICT);
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
            STRICT,
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
        let p = EgressPolicy::new(&info(auth, &["h.io"]), config(&[("token", "a&b")]), STRICT);
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
        let p = EgressPolicy::new(&info(auth, &["h.io"]), cfg, STRICT);
        let req = prepare(&p, get("https://h.io/", &[])).unwrap();
        assert!(
            req.headers
                .contains(&("Authorization".into(), "Basic YUBiLmM6dDBr".into()))
        );
    }

    #[test]
    fn template_naming_a_missing_key_names_it() {
        let auth = vec![AuthRule::Header("PRIVATE-TOKEN".into(), "{token}".into())];
        let p = EgressPolicy::new(&info(auth, &["h.io"]), config(&[]), STRICT);
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
        let p = EgressPolicy::new(&info(vec![], &["h.io"]), config(&[]), STRICT);
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

    #[test]
    fn only_the_default_port_unless_the_entry_names_one() {
        let p = EgressPolicy::new(
            &info(vec![], &["api.github.com", "{base_url}"]),
            config(&[("base_url", "https://ghe.example.org:8443/api/v3")]),
            LOOSE,
        );
        assert!(prepare(&p, get("https://api.github.com/x", &[])).is_ok());
        assert!(prepare(&p, get("https://api.github.com:443/x", &[])).is_ok());
        for bad in [
            "https://api.github.com:22/x",
            "http://api.github.com:443/x",
            "https://ghe.example.org/x",
        ] {
            let err = prepare(&p, get(bad, &[])).unwrap_err();
            assert!(
                matches!(&err, EgressError::HostNotAllowed(m) if m.contains("port")),
                "{bad}: {err:?}"
            );
        }
        assert!(prepare(&p, get("https://ghe.example.org:8443/x", &[])).is_ok());
        // Plain http (when allowed) reaches port 80 of a literal entry only.
        assert!(prepare(&p, get("http://api.github.com/x", &[])).is_ok());
    }

    #[test]
    fn credentials_go_to_the_platform_host_only() {
        let auth = vec![AuthRule::Header(
            "Authorization".into(),
            "Bearer {token}".into(),
        )];
        let has_auth = |req: &EgressRequest| {
            req.headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        };
        let hosts = ["uploads.example.com", "{base_url}", "cdn.example.com"];
        let set = EgressPolicy::new(
            &info(auth.clone(), &hosts),
            config(&[("token", "s3cret"), ("base_url", "https://git.example.org")]),
            STRICT,
        );
        assert_eq!(set.platform_host().unwrap().host, "git.example.org");
        assert!(has_auth(
            &prepare(&set, get("https://git.example.org/a", &[])).unwrap()
        ));
        for other in ["https://uploads.example.com/a", "https://cdn.example.com/a"] {
            assert!(
                !has_auth(&prepare(&set, get(other, &[])).unwrap()),
                "{other}"
            );
        }
        // Without a configured base URL the first literal entry is the platform host.
        let unset = EgressPolicy::new(&info(auth, &hosts), config(&[("token", "s3cret")]), STRICT);
        assert_eq!(unset.platform_host().unwrap().host, "uploads.example.com");
        assert!(has_auth(
            &prepare(&unset, get("https://uploads.example.com/", &[])).unwrap()
        ));
        assert!(!has_auth(
            &prepare(&unset, get("https://cdn.example.com/", &[])).unwrap()
        ));
    }

    #[test]
    fn literal_internal_addresses_need_the_private_network_opt_in() {
        let hosts = ["{base_url}"];
        for base in [
            "https://127.0.0.1",
            "https://169.254.169.254",
            "https://[::1]",
            "https://10.0.0.7",
            "https://[::ffff:127.0.0.1]",
        ] {
            let cfg = config(&[("base_url", base)]);
            let strict = EgressPolicy::new(&info(vec![], &hosts), cfg.clone(), STRICT);
            let err = prepare(&strict, get(&format!("{base}/x"), &[])).unwrap_err();
            assert!(
                matches!(&err, EgressError::HostNotAllowed(m) if m.contains("ELDER_EGRESS_ALLOW_PRIVATE")),
                "{base}: {err:?}"
            );
            let open = EgressPolicy::new(&info(vec![], &hosts), cfg, LOOSE);
            assert!(
                prepare(&open, get(&format!("{base}/x"), &[])).is_ok(),
                "{base}"
            );
        }
    }

    #[test]
    fn secret_values_cover_auth_templates_secrets_and_withheld_values() {
        let auth = vec![AuthRule::Query("key".into(), "{app_key}".into())];
        let cfg = config(&[("app_key", "k3y"), ("owner", "acme")])
            .with_secrets([("api_token".to_string(), "t0ken".to_string())]);
        let p = EgressPolicy::new(&info(auth, &["h.io"]), cfg, STRICT)
            .redacting(vec!["w1thheld".into()]);
        assert_eq!(p.secret_values(), ["k3y", "t0ken", "w1thheld"]);
    }
}
