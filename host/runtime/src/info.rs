//! Checks a `describe` answer before a connector is accepted: a usable id, kinds, host
//! and auth templates that name keys of its own config schema, and comment kinds among
//! the kinds it syncs.

use elder_sync_model::{AuthRule, ConnectorInfo, Kind};

use crate::egress::policy::template_keys;
use crate::error::RuntimeError;

/// Rejects an unusable `describe` answer with a message naming the problem.
pub(crate) fn check(info: &ConnectorInfo) -> Result<(), RuntimeError> {
    let bad = |m: String| Err(RuntimeError::InvalidInfo(m));
    let id_ok = !info.id.is_empty()
        && info
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !id_ok {
        return bad(format!(
            "id {:?} must be non-empty lowercase letters, digits, - or _",
            info.id
        ));
    }
    if info.kinds.is_empty() {
        return bad(format!("connector {} syncs no kinds", info.id));
    }
    let known = |key: &str| info.config_schema.iter().any(|f| f.key == key);
    for host in &info.hosts {
        for key in template_keys(host) {
            if !known(key) {
                return bad(format!(
                    "host template {host:?} names unknown config key `{key}`"
                ));
            }
        }
    }
    for rule in &info.auth {
        let templates = match rule {
            AuthRule::Header(_, t) | AuthRule::Query(_, t) => vec![t],
            AuthRule::Basic(u, p) => vec![u, p],
        };
        for t in templates {
            for key in template_keys(t) {
                if !known(key) {
                    return bad(format!(
                        "auth template {t:?} names unknown config key `{key}`"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Rejects a `comment-kinds` answer naming a kind the connector does not sync.
pub(crate) fn check_comment_kinds(
    info: &ConnectorInfo,
    comment_kinds: &[Kind],
) -> Result<(), RuntimeError> {
    match comment_kinds.iter().find(|k| !info.kinds.contains(k)) {
        Some(kind) => Err(RuntimeError::InvalidInfo(format!(
            "connector {} declares comments for {kind}, a kind it does not sync",
            info.id
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use elder_sync_model::{ConfigField, Kind};

    use super::*;

    fn info() -> ConnectorInfo {
        ConnectorInfo {
            id: "github".into(),
            version: "1.0.0".into(),
            platform: "github".into(),
            kinds: vec![Kind::Issue],
            config_schema: vec![ConfigField {
                key: "token".into(),
                description: String::new(),
                required: true,
                secret: true,
            }],
            auth: vec![AuthRule::Header(
                "Authorization".into(),
                "Bearer {token}".into(),
            )],
            webhooks: None,
            hosts: vec!["api.github.com".into()],
        }
    }

    #[test]
    fn a_sound_answer_passes() {
        assert!(check(&info()).is_ok());
    }

    #[test]
    fn bad_ids_and_empty_kinds_are_rejected() {
        let mut i = info();
        i.id = "Git Hub".into();
        assert!(check(&i).unwrap_err().to_string().contains("Git Hub"));
        let mut i = info();
        i.kinds.clear();
        assert!(check(&i).unwrap_err().to_string().contains("no kinds"));
    }

    #[test]
    fn comment_kinds_must_be_synced_kinds() {
        assert!(check_comment_kinds(&info(), &[]).is_ok());
        assert!(check_comment_kinds(&info(), &[Kind::Issue]).is_ok());
        let err = check_comment_kinds(&info(), &[Kind::Label]).unwrap_err();
        assert!(err.to_string().contains("comments for label"), "{err}");
    }

    #[test]
    fn templates_must_name_schema_keys() {
        let mut i = info();
        i.auth = vec![AuthRule::Basic("{email}".into(), "{token}".into())];
        assert!(check(&i).unwrap_err().to_string().contains("`email`"));
        let mut i = info();
        i.hosts = vec!["{base_url}".into()];
        assert!(check(&i).unwrap_err().to_string().contains("`base_url`"));
    }
}
