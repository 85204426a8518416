//! The security surface of a connector version, read from its `describe`: which config
//! keys it declares secret, its auth rules and the host they apply to, and its webhook
//! schemes. A version whose surface differs from the approved one waits for an operator
//! like one asking for new hosts, and the approval diff lists the changes. The approved
//! surface also remembers every key any approved version declared secret
//! (`ever_secret`): those stay withheld from later versions whatever they declare.

use std::collections::BTreeSet;

use elder_sync_model::ConnectorInfo;
use serde::{Deserialize, Serialize};

/// What needs approval when it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Surface {
    /// Config keys `describe` marks secret.
    pub secret_keys: BTreeSet<String>,
    /// Auth rules as JSON text (`{"header":["Authorization","Bearer {api_token}"]}`).
    pub auth: Vec<String>,
    /// The hosts entries credentials go to, in the order the runtime tries them: the
    /// `{key}` entries (the first one set in a config wins), then the first literal entry.
    pub auth_hosts: Vec<String>,
    /// Webhook schemes as JSON text.
    pub webhook_schemes: Vec<String>,
    /// Every key any approved version declared secret (only ever grows).
    #[serde(default)]
    pub ever_secret: BTreeSet<String>,
}

impl Surface {
    /// The surface `info` declares (its own secret keys count as `ever_secret`).
    pub fn of(info: &ConnectorInfo) -> Surface {
        let secret_keys: BTreeSet<String> = info.secret_keys().map(str::to_string).collect();
        Surface {
            ever_secret: secret_keys.clone(),
            secret_keys,
            auth: info.auth.iter().map(json).collect(),
            auth_hosts: auth_hosts(&info.hosts),
            webhook_schemes: info
                .webhooks
                .iter()
                .flat_map(|w| w.schemes.iter())
                .map(json)
                .collect(),
        }
    }

    /// This surface once approved on top of `earlier`: it remembers every key either
    /// declared secret.
    pub fn approved_after(mut self, earlier: Option<&Surface>) -> Surface {
        if let Some(e) = earlier {
            self.ever_secret.extend(e.ever_secret.iter().cloned());
            self.ever_secret.extend(e.secret_keys.iter().cloned());
        }
        self
    }

    /// What changed from the approved `old` to `new`, one line each; empty when nothing
    /// that needs approval changed.
    pub fn changes(old: &Surface, new: &Surface) -> Vec<String> {
        let mut out = Vec::new();
        for k in old.secret_keys.difference(&new.secret_keys) {
            out.push(format!(
                "secret flag dropped: {k} (still withheld from the connector)"
            ));
        }
        for k in new.secret_keys.difference(&old.secret_keys) {
            out.push(format!("secret flag added: {k}"));
        }
        list_changes(&mut out, "auth rule", &old.auth, &new.auth);
        if old.auth_hosts != new.auth_hosts {
            out.push(format!(
                "credentials now go to {:?} (were {:?})",
                new.auth_hosts, old.auth_hosts
            ));
        }
        list_changes(
            &mut out,
            "webhook scheme",
            &old.webhook_schemes,
            &new.webhook_schemes,
        );
        out
    }
}

fn list_changes(out: &mut Vec<String>, what: &str, old: &[String], new: &[String]) {
    for r in old.iter().filter(|r| !new.contains(r)) {
        out.push(format!("{what} removed: {r}"));
    }
    for r in new.iter().filter(|r| !old.contains(r)) {
        out.push(format!("{what} added: {r}"));
    }
}

fn auth_hosts(hosts: &[String]) -> Vec<String> {
    let templated = |h: &&String| h.trim().starts_with('{') && h.trim().ends_with('}');
    let mut out: Vec<String> = hosts.iter().filter(templated).cloned().collect();
    out.extend(hosts.iter().find(|h| !templated(h)).cloned());
    out
}

/// JSON text of a plain-data value (never fails for these types).
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use elder_sync_model::{AuthRule, ConfigField, WebhookInfo};

    use super::*;

    fn info(secret_token: bool, auth: &str, hosts: &[&str]) -> ConnectorInfo {
        ConnectorInfo {
            id: "x".into(),
            version: "1".into(),
            platform: "x".into(),
            kinds: vec![],
            config_schema: vec![ConfigField {
                key: "api_token".into(),
                description: String::new(),
                required: true,
                secret: secret_token,
            }],
            auth: vec![AuthRule::Header("Authorization".into(), auth.into())],
            webhooks: Some(WebhookInfo {
                schemes: vec![],
                delivery_id_headers: vec![],
            }),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    #[test]
    fn an_identical_surface_has_no_changes() {
        let a = Surface::of(&info(true, "Bearer {api_token}", &["h.io", "{base_url}"]));
        assert!(Surface::changes(&a, &a.clone()).is_empty());
    }

    #[test]
    fn dropped_secret_flags_auth_and_auth_host_changes_are_listed() {
        let old = Surface::of(&info(true, "Bearer {api_token}", &["h.io", "{base_url}"]));
        let new = Surface::of(&info(
            false,
            "token {api_token}",
            &["{base_url}", "evil.io"],
        ));
        let lines = Surface::changes(&old, &new);
        assert!(
            lines
                .iter()
                .any(|l| l.contains("secret flag dropped: api_token")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("auth rule added") && l.contains("token {api_token}")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("auth rule removed")),
            "{lines:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("credentials now go to") && l.contains("evil.io")),
            "{lines:?}"
        );
    }

    #[test]
    fn approval_remembers_every_key_ever_declared_secret() {
        let v1 = Surface::of(&info(true, "Bearer {api_token}", &["h.io"])).approved_after(None);
        let v2 =
            Surface::of(&info(false, "Bearer {api_token}", &["h.io"])).approved_after(Some(&v1));
        assert!(v2.secret_keys.is_empty());
        assert!(v2.ever_secret.contains("api_token"));
        let v3 =
            Surface::of(&info(false, "Bearer {api_token}", &["h.io"])).approved_after(Some(&v2));
        assert!(v3.ever_secret.contains("api_token"));
    }
}
