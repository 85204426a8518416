//! The conformance kit: loads a connector component and runs the contract checks the host
//! relies on (`elder-sync plugin check`), as a table of pass / fail / skip lines. Checks
//! that call the platform run only when a config is given (and reach it through the same
//! egress rules as the service); the others need nothing but the component.
//!
//! [`run`] is the entry point; [`report`] owns the table, [`describe`] the checks of what
//! a component declares, [`calls`] the checks that call its exports.

mod calls;
mod describe;
pub mod report;

use std::collections::BTreeMap;

use elder_sync_runtime::{ConnectorSettings, LoadedConnector, Runtime, RuntimeSettings};

use crate::contract;
use crate::manifest::Manifest;
pub use report::{Check, Outcome, Report};

/// What to check.
pub struct KitInput {
    /// The component's bytes.
    pub component: Vec<u8>,
    /// Its manifest, when there is one.
    pub manifest: Option<Manifest>,
    /// A config for the calls that reach the platform (`None`: those are skipped).
    /// Keys the component declares secret are handed to the host's egress as secrets.
    pub config: Option<BTreeMap<String, String>>,
    /// The sandbox and egress settings the calls run under.
    pub runtime: RuntimeSettings,
}

/// Runs every check and returns the table.
pub async fn run(input: KitInput) -> Report {
    let mut report = Report::default();
    let Some(connector) = load(&input, &mut report) else {
        return report;
    };
    let info = connector.info().clone();
    describe::check(&info, input.manifest.as_ref(), &mut report);
    describe::comments(connector.comment_kinds(), &mut report);
    let checks = calls::Calls {
        connector: &connector,
        info: &info,
    };
    checks.validate_config(&mut report).await;
    checks.parse_webhook(&mut report).await;
    match &input.config {
        Some(values) => {
            checks
                .platform(&config_for(&info, values), &mut report)
                .await
        }
        None => report.skip(
            "list-changes, get",
            "need a config reaching the platform (--config key=value ...)",
        ),
    }
    report
}

/// The contract version check and the load; `None` (with the failure reported) when the
/// component cannot be called at all.
fn load(input: &KitInput, report: &mut Report) -> Option<std::sync::Arc<LoadedConnector>> {
    let version = contract::component_version(&input.component)
        .and_then(|v| contract::check_compatible(v).map(|()| v));
    match version {
        Ok(v) => report.pass(
            "contract version",
            format!(
                "built against elder:connector@{v}; this host serves {}",
                contract::host_version()
            ),
        ),
        Err(e) => {
            report.fail("contract version", e.to_string());
            return None;
        }
    }
    match Runtime::new(input.runtime.clone()).and_then(|rt| rt.load(&input.component)) {
        Ok(c) => {
            report.pass("loads", "compiles, instantiates and answers describe");
            Some(c)
        }
        Err(e) => {
            report.fail("loads", e.to_string());
            None
        }
    }
}

/// The config as the service would hand it over: keys the component declares secret
/// travel as secrets (applied by egress, never given to the guest).
fn config_for(
    info: &elder_sync_model::ConnectorInfo,
    values: &BTreeMap<String, String>,
) -> ConnectorSettings {
    let secret: Vec<&str> = info.secret_keys().collect();
    let (secrets, plain): (BTreeMap<_, _>, BTreeMap<_, _>) = values
        .clone()
        .into_iter()
        .partition(|(k, _)| secret.contains(&k.as_str()));
    ConnectorSettings::new(plain).with_secrets(secrets)
}
