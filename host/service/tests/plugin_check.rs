//! Issue 12, the conformance kit: `elder-sync plugin check` passes the five built-in
//! connectors (against their platform simulators, so list-changes and get are exercised)
//! and a component built from the frozen 1.0 contract, and fails every misbehaving test
//! guest, each with a line naming what it broke.

use std::path::PathBuf;
use std::process::Command;

use platform_simulators::github::{GithubOptions, GithubSim, SeedIssue};
use platform_simulators::gitlab::{GitlabOptions, GitlabSim};
use platform_simulators::jira::{JiraOptions, JiraSim};
use platform_simulators::openproject::{OpenProjectOptions, OpenProjectSim};
use platform_simulators::trello::{TrelloOptions, TrelloSim};

const BIN: &str = env!("CARGO_BIN_EXE_elder-sync");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the kit on `component` (relative to the repository root); exit status and table.
fn check(component: &str, args: &[String]) -> (bool, String) {
    let file = root().join(component);
    assert!(
        file.exists(),
        "{} is not built: run make wasm",
        file.display()
    );
    let out = Command::new(BIN)
        .args(["plugin", "check"])
        .arg(&file)
        .args(args)
        .output()
        .expect("run elder-sync plugin check");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), stdout)
}

/// `--config` flags for `pairs`, plus the opt-ins a loopback simulator needs.
fn against_simulator(pairs: &[(&str, String)]) -> Vec<String> {
    let mut args: Vec<String> = pairs
        .iter()
        .flat_map(|(k, v)| ["--config".to_string(), format!("{k}={v}")])
        .collect();
    args.extend(["--allow-private-networks".into(), "--allow-http".into()]);
    args
}

/// The line of check `name` in `table`.
fn line<'a>(table: &'a str, name: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no line for {name:?} in\n{table}"))
}

fn assert_passes(component: &str, args: &[String]) -> String {
    let (ok, table) = check(component, args);
    assert!(ok, "{component} should pass the kit:\n{table}");
    assert!(table.contains("conformance: passed"), "{table}");
    table
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_five_built_ins_pass_against_their_simulators() {
    let github = GithubSim::start(GithubOptions::default()).await.unwrap();
    for title in ["First", "Second"] {
        github.seed_issue(SeedIssue {
            title: title.into(),
            ..SeedIssue::default()
        });
    }
    let table = assert_passes(
        "target/connectors/github.wasm",
        &against_simulator(&[
            ("owner", "octocat".into()),
            ("repo", "Hello-World".into()),
            ("base_url", github.base_url()),
            ("api_token", github.token()),
        ]),
    );
    assert!(line(&table, "describe agrees with manifest").contains("pass"));
    let listed = line(&table, "list-changes ends (issue)");
    assert!(
        listed.contains("pass") && listed.contains("2 item(s)"),
        "{listed}"
    );
    assert!(
        line(&table, "get answers (issue)").contains("read back"),
        "{table}"
    );

    let o = GitlabOptions::default();
    let gitlab = GitlabSim::start(o.clone()).await.unwrap();
    assert_passes(
        "target/connectors/gitlab.wasm",
        &against_simulator(&[
            ("project_id", o.project_id.to_string()),
            ("base_url", gitlab.base_url()),
            ("api_token", o.token.clone()),
        ]),
    );

    let o = JiraOptions::default();
    let jira = JiraSim::start(o.clone()).await.unwrap();
    assert_passes(
        "target/connectors/jira.wasm",
        &against_simulator(&[
            ("jira_url", jira.base_url()),
            ("email", o.email.clone()),
            ("project_key", o.project_key.clone()),
            ("api_token", o.api_token.clone()),
        ]),
    );

    let o = TrelloOptions::default();
    let trello = TrelloSim::start(o.clone()).await.unwrap();
    assert_passes(
        "target/connectors/trello.wasm",
        &against_simulator(&[
            ("board_id", o.board_id.clone()),
            ("base_url", trello.base_url()),
            ("api_key", o.key.clone()),
            ("api_token", o.token.clone()),
        ]),
    );

    let o = OpenProjectOptions::default();
    let openproject = OpenProjectSim::start(o.clone()).await.unwrap();
    assert_passes(
        "target/connectors/openproject.wasm",
        &against_simulator(&[
            ("base_url", openproject.base_url()),
            ("project_id", o.project_identifier.clone()),
            ("api_key", o.api_key.clone()),
        ]),
    );
}

#[test]
fn a_component_built_from_the_frozen_1_0_contract_passes() {
    let table = assert_passes(
        "target/test-guests/frozen-v1-0.wasm",
        &["--config".into(), "project=ACME".into()],
    );
    assert!(line(&table, "contract version").contains("elder:connector@1.0.0"));
    assert!(line(&table, "list-changes ends (issue)").contains("7 item(s) in 3 page(s)"));
}

#[test]
fn the_contract_breaker_fails_every_rule_it_breaks() {
    let manifest = root().join("tests/guests/contract-breaker/contract-breaker.toml");
    let (ok, table) = check(
        "target/test-guests/contract-breaker.wasm",
        &[
            "--manifest".into(),
            manifest.display().to_string(),
            "--config".into(),
            "project=ACME".into(),
        ],
    );
    assert!(!ok, "the kit must fail it:\n{table}");
    for (name, says) in [
        ("describe agrees with manifest", "describe says \"1.0.1\""),
        ("webhooks can be verified", "no signature scheme"),
        (
            "validate-config refuses a missing required key",
            "without `project`",
        ),
        ("parse-webhook refuses garbage", "trapped (panic)"),
        ("list-changes ends (issue)", "does not end"),
        ("get answers (issue)", "trapped (panic)"),
    ] {
        let l = line(&table, name);
        assert!(l.contains("FAIL") && l.contains(says), "{name}: {l}");
    }
    assert!(table.contains("conformance: FAILED"), "{table}");
}

#[test]
fn the_misbehaving_guests_fail_with_a_line_naming_why() {
    for (guest, config, name, says) in [
        (
            "leaky",
            None,
            "validate-config refuses a missing required key",
            "without `api_token`",
        ),
        (
            "hostile-github",
            None,
            "validate-config refuses a missing required key",
            "without `owner`",
        ),
        (
            "chaos",
            Some("mode=loop"),
            "test-connection answers",
            "trapped (deadline)",
        ),
        (
            "chaos",
            Some("mode=panic"),
            "test-connection answers",
            "trapped (panic)",
        ),
        (
            "chaos",
            Some("mode=bomb"),
            "test-connection answers",
            "trapped (memory)",
        ),
    ] {
        let args: Vec<String> = config
            .map(|c| vec!["--config".into(), c.into()])
            .unwrap_or_default();
        let (ok, table) = check(&format!("target/test-guests/{guest}.wasm"), &args);
        assert!(!ok, "{guest} must fail the kit:\n{table}");
        let l = line(&table, name);
        assert!(
            l.contains("FAIL") && l.contains(says),
            "{guest}: {l}\n{table}"
        );
    }
}
