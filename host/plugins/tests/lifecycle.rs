//! The plugin host with real connector components: cache, validation, approval,
//! enable/disable/rollback across restarts, draining and directory watching.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use elder_sync_plugins::testing::with_build_tag;
use elder_sync_plugins::{
    InstallOutcome, Manifest, Origin, PluginError, PluginHost, PluginSettings, PluginStats,
};
use elder_sync_runtime::ConnectorRegistry;
use elder_sync_runtime::RegistryError;
use elder_sync_runtime::{ConnectorSettings, Runtime, RuntimeSettings};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn built(path: &str) -> Vec<u8> {
    let path = workspace_root().join(path);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run scripts/build-wasm.sh",
            path.display()
        )
    })
}

fn github() -> Vec<u8> {
    built("target/connectors/github.wasm")
}

fn github_manifest() -> Manifest {
    Manifest::parse(&String::from_utf8(built("connectors/github/plugin.toml")).unwrap()).unwrap()
}

fn chaos_manifest(extra: &str) -> Manifest {
    Manifest::parse(&format!(
        "id = \"chaos\"\nversion = \"0.1.0\"\nhosts = [\"{{base_url}}\", \"api.chaos.example\"]\n{extra}"
    ))
    .unwrap()
}

/// A plugin host "process": its own runtime over shared directories.
struct Node {
    host: Arc<PluginHost>,
    registry: Arc<ConnectorRegistry>,
}

fn start(dirs: &tempfile::TempDir, tweak: impl FnOnce(&mut PluginSettings)) -> Node {
    start_with(
        dirs,
        RuntimeSettings {
            allow_plain_http: true,
            allow_private_networks: true,
            ..RuntimeSettings::default()
        },
        tweak,
    )
}

fn start_with(
    dirs: &tempfile::TempDir,
    cfg: RuntimeSettings,
    tweak: impl FnOnce(&mut PluginSettings),
) -> Node {
    let stats = PluginStats::wrapping(None);
    let runtime = Runtime::new(RuntimeSettings {
        observer: Some(stats.clone()),
        ..cfg
    })
    .expect("runtime");
    let registry = Arc::new(ConnectorRegistry::new());
    let plugin_dir = dirs.path().join("plugins");
    std::fs::create_dir_all(&plugin_dir).unwrap();
    let mut settings = PluginSettings::new(plugin_dir, &dirs.path().join("data"));
    // Tests that do not count compiles share one verified cache (compiling is the slow part).
    settings.cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache");
    tweak(&mut settings);
    let host = PluginHost::new(runtime, registry.clone(), stats, settings);
    Node { host, registry }
}

/// This test's own cache (it counts compiles).
fn own_cache(settings: &mut PluginSettings) {
    settings.cache_dir = settings.state_dir.with_file_name("plugin-cache");
}

fn installed(outcome: InstallOutcome) -> elder_sync_plugins::PluginView {
    match outcome {
        InstallOutcome::Installed(v) => v,
        other => panic!("expected an install, got {other:?}"),
    }
}

fn serving_hash(node: &Node, platform: &str) -> String {
    node.registry
        .slot(platform)
        .expect("slot")
        .current
        .source_hash()
        .to_string()
}

#[test]
fn a_restart_with_a_warm_cache_loads_without_compiling_and_a_corrupt_entry_is_rebuilt() {
    let dirs = tempfile::tempdir().unwrap();
    let first = start(&dirs, own_cache);
    installed(
        first
            .host
            .install(github(), github_manifest(), Origin::Upload)
            .unwrap(),
    );
    assert_eq!(first.host.cache_stats().compiles, 1);
    drop(first);

    // Restart: the upload was written to the plugin directory; the code is cached.
    let warm = start(&dirs, own_cache);
    let report = warm.host.load_dir().unwrap();
    assert_eq!(report.installed, vec!["github"]);
    let stats = warm.host.cache_stats();
    assert_eq!((stats.compiles, stats.hits), (0, 1), "{stats:?}");
    assert!(warm.registry.get("github").is_ok());
    drop(warm);

    // Corrupt every cache entry: the next start refuses them and compiles afresh.
    let cache_dir = dirs.path().join("data/plugin-cache");
    for entry in std::fs::read_dir(&cache_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "cwasm") {
            let mut bytes = std::fs::read(&path).unwrap();
            let mid = bytes.len() / 2;
            bytes[mid] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let rebuilt = start(&dirs, own_cache);
    rebuilt.host.load_dir().unwrap();
    let stats = rebuilt.host.cache_stats();
    assert_eq!(
        (stats.compiles, stats.hits, stats.rejected),
        (1, 0, 1),
        "{stats:?}"
    );
    assert!(rebuilt.registry.get("github").is_ok());

    // The rebuilt entry is trusted again on the next start.
    let again = start(&dirs, own_cache);
    again.host.load_dir().unwrap();
    assert_eq!(again.host.cache_stats().hits, 1);
}

#[test]
fn refused_builds_leave_the_serving_version_in_place() {
    let dirs = tempfile::tempdir().unwrap();
    let node = start(&dirs, |_| {});
    let good = installed(
        node.host
            .install(github(), github_manifest(), Origin::Upload)
            .unwrap(),
    );

    // An unknown major contract version is refused naming both versions.
    let mut future = github();
    let from = b"elder:connector/connector@1.1.0";
    let to = b"elder:connector/connector@2.0.0";
    let mut replaced = 0;
    while let Some(at) = future.windows(from.len()).position(|w| w == from) {
        future[at..at + to.len()].copy_from_slice(to);
        replaced += 1;
    }
    assert!(replaced > 0, "the component names its export");
    let err = node
        .host
        .install(future, github_manifest(), Origin::Upload)
        .unwrap_err();
    assert!(matches!(err, PluginError::Contract { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("elder:connector@2.0.0") && msg.contains("elder:connector@1.1.0"),
        "{msg}"
    );

    // Not a component at all; a truncated one.
    let err = node
        .host
        .install(
            b"\0asm\x01\0\0\0".to_vec(),
            github_manifest(),
            Origin::Upload,
        )
        .unwrap_err();
    assert!(matches!(err, PluginError::NotAComponent(_)), "{err}");
    let mut cut = github();
    cut.truncate(cut.len() / 2);
    assert!(
        node.host
            .install(cut, github_manifest(), Origin::Upload)
            .is_err()
    );

    // The manifest must agree with describe: version, hosts, id.
    let mut wrong_version = github_manifest();
    wrong_version.version = "9.9.9".into();
    let err = node
        .host
        .install(
            with_build_tag(&github(), "v"),
            wrong_version,
            Origin::Upload,
        )
        .unwrap_err();
    assert!(
        matches!(&err, PluginError::Mismatch { field, .. } if field == "version"),
        "{err}"
    );
    let mut fewer_hosts = github_manifest();
    fewer_hosts.hosts.retain(|h| h != "api.github.com");
    let err = node
        .host
        .install(with_build_tag(&github(), "h"), fewer_hosts, Origin::Upload)
        .unwrap_err();
    assert!(
        matches!(&err, PluginError::Mismatch { field, .. } if field == "hosts"),
        "{err}"
    );
    let mut chaos_as_github = chaos_manifest("");
    chaos_as_github.id = "github".into();
    let err = node
        .host
        .install(
            built("target/test-guests/chaos.wasm"),
            chaos_as_github,
            Origin::Upload,
        )
        .unwrap_err();
    assert!(
        matches!(&err, PluginError::Mismatch { field, .. } if field == "id"),
        "{err}"
    );

    assert_eq!(serving_hash(&node, "github"), good.source_hash);
    assert_eq!(node.host.list().len(), 1);
    // The refused uploads never reached the plugin directory.
    let on_disk = std::fs::read(dirs.path().join("plugins/github.wasm")).unwrap();
    assert_eq!(
        elder_sync_plugins::cache::sha256_hex(&on_disk),
        good.source_hash
    );
}

#[test]
fn a_version_asking_for_new_hosts_waits_for_approval_unless_auto_approved() {
    let dirs = tempfile::tempdir().unwrap();
    let node = start(&dirs, |_| {});
    let v1 = installed(
        node.host
            .install(github(), github_manifest(), Origin::Upload)
            .unwrap(),
    );
    let mut wider = github_manifest();
    wider.hosts.push("uploads.github.example".into());
    let v2 = with_build_tag(&github(), "v2");
    let pending = match node
        .host
        .install(v2.clone(), wider.clone(), Origin::Upload)
        .unwrap()
    {
        InstallOutcome::Pending(p) => p,
        other => panic!("expected pending, got {other:?}"),
    };
    assert_eq!(pending.diff.added_hosts, vec!["uploads.github.example"]);
    assert!(
        pending
            .diff
            .lines
            .iter()
            .any(|l| l.starts_with("+ ") && l.contains("uploads.github.example"))
    );
    assert_eq!(
        serving_hash(&node, "github"),
        v1.source_hash,
        "old version keeps serving"
    );
    assert_eq!(node.host.pending().len(), 1);

    let approved = node.host.approve("github").unwrap();
    assert_eq!(approved.source_hash, pending.source_hash);
    assert_eq!(serving_hash(&node, "github"), pending.source_hash);
    assert!(node.host.pending().is_empty());
    assert!(matches!(
        node.host.approve("github"),
        Err(PluginError::NothingPending(_))
    ));

    // With auto-approval a still wider manifest swaps in at once.
    let auto = start(&dirs, |s| s.auto_approve = true);
    auto.host.load_dir().unwrap();
    wider.hosts.push("more.github.example".into());
    let view = installed(
        auto.host
            .install(with_build_tag(&github(), "v3"), wider, Origin::Upload)
            .unwrap(),
    );
    assert!(view.hosts.contains(&"more.github.example".to_string()));
}

#[test]
fn disable_survives_a_restart_and_rollback_returns_to_the_previous_build() {
    let dirs = tempfile::tempdir().unwrap();
    let node = start(&dirs, |_| {});
    let v1 = installed(
        node.host
            .install(github(), github_manifest(), Origin::Upload)
            .unwrap(),
    );
    assert!(matches!(
        node.host.rollback("github"),
        Err(PluginError::NoPrevious(_))
    ));
    let v2 = installed(
        node.host
            .install(
                with_build_tag(&github(), "v2"),
                github_manifest(),
                Origin::Upload,
            )
            .unwrap(),
    );
    assert_eq!(v2.previous.as_ref().unwrap().source_hash, v1.source_hash);

    let view = node.host.set_enabled("github", false).unwrap();
    assert!(!view.enabled);
    assert!(matches!(
        node.registry.get("github"),
        Err(RegistryError::Disabled(_))
    ));
    drop(node);

    let restarted = start(&dirs, |_| {});
    restarted.host.load_dir().unwrap();
    let view = restarted.host.view("github").unwrap();
    assert!(!view.enabled, "disabled stays disabled across a restart");
    assert_eq!(view.source_hash, v2.source_hash);
    assert!(restarted.host.set_enabled("github", true).unwrap().enabled);
    assert!(restarted.registry.get("github").is_ok());
    assert!(matches!(
        restarted.host.set_enabled("nope", true),
        Err(PluginError::NotFound(_))
    ));

    // Rollback needs a previous version in this process: install v1 again, then back.
    restarted
        .host
        .install(github(), github_manifest(), Origin::Upload)
        .unwrap();
    let back = restarted.host.rollback("github").unwrap();
    assert_eq!(back.source_hash, v2.source_hash);
    assert_eq!(serving_hash(&restarted, "github"), v2.source_hash);
    assert_eq!(back.previous.unwrap().source_hash, v1.source_hash);
    drop(restarted);

    // The rollback was written to the plugin directory: a restart serves v2.
    let again = start(&dirs, |_| {});
    again.host.load_dir().unwrap();
    assert_eq!(serving_hash(&again, "github"), v2.source_hash);
}

#[test]
fn manifest_limits_tighten_the_host_deadline() {
    let dirs = tempfile::tempdir().unwrap();
    let node = start(&dirs, |_| {});
    let chaos = built("target/test-guests/chaos.wasm");
    node.host
        .install(
            chaos,
            chaos_manifest("[limits]\ncall_deadline_secs = 1\n"),
            Origin::Upload,
        )
        .unwrap();
    let connector = node.registry.get("chaos").unwrap();
    let cfg = ConnectorSettings::from_json(&serde_json::json!({"mode": "loop"})).unwrap();
    let err = futures_lite_block_on(connector.test_connection(&cfg)).unwrap_err();
    assert!(err.to_string().contains("deadline"), "{err}");
}

fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A loopback server whose `/echo` answers only when told to.
async fn slow_server() -> (String, Arc<tokio::sync::Notify>, Arc<tokio::sync::Notify>) {
    let release = Arc::new(tokio::sync::Notify::new());
    let arrived = Arc::new(tokio::sync::Notify::new());
    let (r, a) = (release.clone(), arrived.clone());
    let app = axum::Router::new().route(
        "/echo",
        axum::routing::get(move || {
            let (r, a) = (r.clone(), a.clone());
            async move {
                a.notify_one();
                r.notified().await;
                "slow answer"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), release, arrived)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_running_during_swaps_finishes_on_its_version_which_then_drains() {
    let dirs = tempfile::tempdir().unwrap();
    // Long budgets: the held call must outlive the swaps however slow the machine is.
    let long = std::time::Duration::from_secs(3600);
    let cfg = RuntimeSettings {
        allow_plain_http: true,
        allow_private_networks: true,
        call_deadline: long,
        http_timeout: long,
        ..RuntimeSettings::default()
    };
    let node = start_with(&dirs, cfg, |s| s.drain_deadline = long);
    let chaos = built("target/test-guests/chaos.wasm");
    // Compile v3, v2 and v1 first, so the swaps below come from the cache.
    for bytes in [
        with_build_tag(&chaos, "v3"),
        with_build_tag(&chaos, "v2"),
        chaos.clone(),
    ] {
        let host = node.host.clone();
        tokio::task::spawn_blocking(move || {
            host.install(bytes, chaos_manifest(""), Origin::Upload)
        })
        .await
        .unwrap()
        .unwrap();
    }
    let (base, release, arrived) = slow_server().await;
    let old = node.registry.get("chaos").unwrap();
    let old_hash = old.source_hash().to_string();
    let cfg = ConnectorSettings::from_json(
        &serde_json::json!({"mode": "http", "base_url": base, "token": "t0ken"}),
    )
    .unwrap();
    let mut call = tokio::spawn(async move { old.test_connection(&cfg).await });
    tokio::select! {
        () = arrived.notified() => {}
        early = &mut call => panic!("the call ended before reaching the server: {early:?}"),
    }

    // Two swaps: v1 leaves the rollback slot while its call is still running.
    for tag in ["v2", "v3"] {
        let host = node.host.clone();
        let bytes = with_build_tag(&chaos, tag);
        tokio::task::spawn_blocking(move || {
            host.install(bytes, chaos_manifest(""), Origin::Upload)
        })
        .await
        .unwrap()
        .unwrap();
    }
    assert_ne!(serving_hash(&node, "chaos"), old_hash);
    assert_eq!(
        node.host.view("chaos").unwrap().draining,
        1,
        "v1 still has a call running"
    );

    release.notify_one();
    let answer = call.await.unwrap().unwrap();
    assert!(answer.contains("slow answer"), "{answer}");
    for _ in 0..1000 {
        if node.host.view("chaos").unwrap().draining == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        node.host.view("chaos").unwrap().draining,
        0,
        "v1 dropped once drained"
    );
    let view = node.host.view("chaos").unwrap();
    assert!(view.calls >= 1, "calls are counted per plugin: {view:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_build_dropped_into_the_watched_directory_is_swapped_in() {
    let dirs = tempfile::tempdir().unwrap();
    let node = start(&dirs, |s| s.watch = true);
    let plugin_dir = dirs.path().join("plugins");
    std::fs::write(plugin_dir.join("github.wasm"), github()).unwrap();
    std::fs::write(plugin_dir.join("github.toml"), github_manifest().to_toml()).unwrap();
    let host = node.host.clone();
    tokio::task::spawn_blocking(move || host.load_dir())
        .await
        .unwrap()
        .unwrap();
    let _guard = elder_sync_plugins::watch::watch(node.host.clone()).unwrap();
    let first = serving_hash(&node, "github");

    let v2 = with_build_tag(&github(), "watched");
    let v2_hash = elder_sync_plugins::cache::sha256_hex(&v2);
    std::fs::write(plugin_dir.join("github.wasm"), &v2).unwrap();
    // A broken file is refused and the serving version stays.
    std::fs::write(plugin_dir.join("broken.wasm"), b"not wasm").unwrap();
    for _ in 0..300 {
        if serving_hash(&node, "github") == v2_hash {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_ne!(first, v2_hash);
    assert_eq!(serving_hash(&node, "github"), v2_hash);
    assert_eq!(node.host.list().len(), 1);
}

#[test]
fn a_component_without_a_manifest_loads_with_what_describe_declares_and_a_rescan_leaves_it() {
    let dirs = tempfile::tempdir().unwrap();
    let node = start(&dirs, |_| {});
    std::fs::write(dirs.path().join("plugins/github.wasm"), github()).unwrap();
    let report = node.host.load_dir().unwrap();
    assert_eq!(report.installed, vec!["github"]);
    let view = node.host.view("github").unwrap();
    assert_eq!(view.hosts, vec!["api.github.com", "{base_url}"]);
    let loaded_at = view.loaded_at;
    let again = node.host.load_dir().unwrap();
    assert!(
        again.installed.is_empty() && again.failed.is_empty(),
        "{again:?}"
    );
    assert_eq!(node.host.view("github").unwrap().loaded_at, loaded_at);
    assert!(
        node.host.view("github").unwrap().previous.is_none(),
        "no swap happened"
    );
}

#[test]
fn a_directory_manifest_widened_between_restarts_waits_for_approval() {
    let dirs = tempfile::tempdir().unwrap();
    let first = start(&dirs, |_| {});
    installed(
        first
            .host
            .install(github(), github_manifest(), Origin::Upload)
            .unwrap(),
    );
    drop(first);
    let mut wider = github_manifest();
    wider.hosts.push("cdn.github.example".into());
    std::fs::write(dirs.path().join("plugins/github.toml"), wider.to_toml()).unwrap();

    let node = start(&dirs, |_| {});
    let report = node.host.load_dir().unwrap();
    assert_eq!(report.pending, vec!["github"]);
    assert!(
        node.registry.get("github").is_err(),
        "nothing serves before approval"
    );
    assert_eq!(
        node.host.pending()[0].diff.added_hosts,
        vec!["cdn.github.example"]
    );
    let view = node.host.approve("github").unwrap();
    assert!(view.hosts.contains(&"cdn.github.example".to_string()));
    assert!(node.registry.get("github").is_ok());
}

fn leaky() -> Vec<u8> {
    built("target/test-guests/leaky.wasm")
}

fn leaky_manifest() -> Manifest {
    Manifest::parse(
        "id = \"github\"\nversion = \"9.9.9-leaky\"\nhosts = [\"api.github.com\", \"{base_url}\"]\n",
    )
    .unwrap()
}

#[test]
fn a_version_dropping_a_secret_flag_waits_for_approval_and_never_gets_the_key() {
    let dirs = tempfile::tempdir().unwrap();
    let node = start(&dirs, |_| {});
    let v1 = installed(
        node.host
            .install(github(), github_manifest(), Origin::Upload)
            .unwrap(),
    );
    // Same hosts, but `api_token` and `webhook_secret` are no longer marked secret.
    let pending = match node
        .host
        .install(leaky(), leaky_manifest(), Origin::Upload)
        .unwrap()
    {
        InstallOutcome::Pending(p) => p,
        other => panic!("expected pending, got {other:?}"),
    };
    assert!(pending.diff.added_hosts.is_empty());
    for key in ["api_token", "webhook_secret"] {
        assert!(
            pending
                .diff
                .surface
                .iter()
                .any(|l| l.contains(&format!("secret flag dropped: {key}"))),
            "{:?}",
            pending.diff.surface
        );
    }
    assert_eq!(serving_hash(&node, "github"), v1.source_hash);

    node.host.approve("github").unwrap();
    let serving = node.registry.get("github").unwrap();
    assert_eq!(serving.info().version, "9.9.9-leaky");
    let withheld = serving.withheld_keys();
    assert!(
        withheld.contains("api_token") && withheld.contains("webhook_secret"),
        "{withheld:?}"
    );

    // After a restart the approved surface still withholds what v1 declared secret.
    drop(node);
    let again = start(&dirs, |_| {});
    again.host.load_dir().unwrap();
    let serving = again.registry.get("github").unwrap();
    assert_eq!(serving.info().version, "9.9.9-leaky");
    assert!(serving.withheld_keys().contains("api_token"));
}
