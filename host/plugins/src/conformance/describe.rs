//! Checks of what a component declares: `describe` agrees with the manifest, and is
//! well-formed enough for the host to act on (ids, kinds, a unique config schema, and
//! templates naming only declared keys; webhooks only with a way to verify them), and
//! which kinds' comments it syncs (contract 1.1; a 1.0 component syncs none).

use std::collections::BTreeSet;

use elder_sync_model::{AuthRule, ConnectorInfo, Kind};
use elder_sync_store::PlatformId;

use super::Report;
use crate::host::check_describe;
use crate::manifest::Manifest;

pub(super) fn check(info: &ConnectorInfo, manifest: Option<&Manifest>, report: &mut Report) {
    match manifest {
        Some(m) => report.record(
            "describe agrees with manifest",
            check_describe(m, info)
                .map(|()| format!("{} {}", m.id, m.version))
                .map_err(|e| e.to_string()),
        ),
        None => report.skip(
            "describe agrees with manifest",
            "no manifest given (--manifest, or a .toml beside the component)",
        ),
    }
    report.record("describe is well-formed", well_formed(info));
    report.record("webhooks can be verified", webhooks(info));
}

/// The comment kinds line: which kinds' comments the component syncs, if any (the
/// runtime already refused comment kinds outside the synced kinds at load).
pub(super) fn comments(comment_kinds: &[Kind], report: &mut Report) {
    if comment_kinds.is_empty() {
        report.skip(
            "comment kinds",
            "syncs no comments (a 1.0 component, or none declared)",
        );
        return;
    }
    let names: Vec<&str> = comment_kinds.iter().map(|k| k.as_str()).collect();
    report.pass(
        "comment kinds",
        format!("syncs comments of {}", names.join(", ")),
    );
}

fn well_formed(info: &ConnectorInfo) -> Result<String, String> {
    // The platform becomes a config's `platform`: the store's rule for those is the rule.
    if PlatformId::parse(&info.id).is_err() || PlatformId::parse(&info.platform).is_err() {
        return Err(format!(
            "id {:?} and platform {:?} must be lowercase slugs",
            info.id, info.platform
        ));
    }
    if info.kinds.is_empty() {
        return Err("declares no kinds: nothing could ever sync".into());
    }
    let mut keys = BTreeSet::new();
    for field in &info.config_schema {
        if field.key.trim().is_empty() || !keys.insert(field.key.as_str()) {
            return Err(format!(
                "config schema key {:?} is empty or declared twice",
                field.key
            ));
        }
    }
    for template in templates(info) {
        for key in template_keys(template) {
            if !keys.contains(key) {
                return Err(format!(
                    "{template:?} names config key {key:?}, which the config schema does not declare"
                ));
            }
        }
    }
    Ok(format!(
        "{} kinds, {} config keys ({} secret)",
        info.kinds.len(),
        info.config_schema.len(),
        info.secret_keys().count()
    ))
}

fn webhooks(info: &ConnectorInfo) -> Result<String, String> {
    match &info.webhooks {
        None => Ok("declares no webhooks (polling only)".into()),
        Some(w) if w.schemes.is_empty() => Err(
            "declares webhooks but no signature scheme: the host would refuse every delivery"
                .into(),
        ),
        Some(w) => Ok(format!("{} signature scheme(s)", w.schemes.len())),
    }
}

/// Every host and auth template of `info`.
fn templates(info: &ConnectorInfo) -> Vec<&str> {
    let mut all: Vec<&str> = info.hosts.iter().map(String::as_str).collect();
    for rule in &info.auth {
        let (a, b) = match rule {
            AuthRule::Header(a, b) | AuthRule::Query(a, b) | AuthRule::Basic(a, b) => (a, b),
        };
        all.extend([a.as_str(), b.as_str()]);
    }
    all
}

/// The `{key}` names in a template.
fn template_keys(template: &str) -> impl Iterator<Item = &str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(key, _)| key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::Outcome;

    #[test]
    fn template_keys_are_read_from_braces() {
        let keys: Vec<_> = template_keys("Bearer {api_token} for {user}").collect();
        assert_eq!(keys, vec!["api_token", "user"]);
        assert_eq!(template_keys("api.github.com").count(), 0);
    }

    #[test]
    fn comment_kinds_are_listed_or_skipped() {
        let mut report = Report::default();
        comments(&[Kind::Issue, Kind::Project], &mut report);
        let line = report.get("comment kinds").unwrap();
        assert_eq!(line.outcome, Outcome::Pass);
        assert_eq!(line.detail, "syncs comments of issue, project");
        let mut report = Report::default();
        comments(&[], &mut report);
        let line = report.get("comment kinds").unwrap();
        assert_eq!(line.outcome, Outcome::Skip);
        assert!(report.passed());
    }
}
