//! Issue 15: the plugin state round-trips through the database, on SQLite and PostgreSQL.
//! Three plugin hosts ("replicas", each with its own plugin, state and cache directories) on
//! one database: what one installs, disables, holds for approval, approves or rolls back, the
//! others serve after a refresh, and one started later serves it too, whatever the plugin
//! directory it starts with holds.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use elder_sync_plugins::testing::with_build_tag;
use elder_sync_plugins::{
    InstallOutcome, Manifest, Origin, PluginHost, PluginSettings, PluginStats,
};
use elder_sync_runtime::{ConnectorRegistry, RegistryError, Runtime, RuntimeSettings};
use elder_sync_store::testing::{TestDb, TestEngine};
use elder_sync_store::{Store, both_engines};

fn built(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
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

/// Same hosts as GitHub's, but `api_token` and `webhook_secret` are no longer marked secret.
fn leaky() -> (Vec<u8>, Manifest) {
    let manifest = Manifest::parse(
        "id = \"github\"\nversion = \"9.9.9-leaky\"\nhosts = [\"api.github.com\", \"{base_url}\"]\n",
    )
    .unwrap();
    (built("target/test-guests/leaky.wasm"), manifest)
}

/// One replica: its own directories and registry, the shared database.
struct Replica {
    host: Arc<PluginHost>,
    registry: Arc<ConnectorRegistry>,
    _dirs: tempfile::TempDir,
}

impl Replica {
    /// Starts like the service does: the database's state first, then the plugin
    /// directory (which holds GitHub's original build).
    async fn start(url: &str) -> Replica {
        let dirs = tempfile::tempdir().unwrap();
        let plugin_dir: PathBuf = dirs.path().join("plugins");
        std::fs::create_dir_all(&plugin_dir).unwrap();
        std::fs::write(plugin_dir.join("github.wasm"), github()).unwrap();
        std::fs::write(plugin_dir.join("github.toml"), github_manifest().to_toml()).unwrap();
        let stats = PluginStats::wrapping(None);
        let runtime = Runtime::new(RuntimeSettings {
            observer: Some(stats.clone()),
            ..RuntimeSettings::default()
        })
        .unwrap();
        let registry = Arc::new(ConnectorRegistry::new());
        let mut settings = PluginSettings::new(plugin_dir, &dirs.path().join("data"));
        // Compiling is the slow part: the replicas share one verified cache.
        settings.cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache");
        let store = Store::open_with(url, None).await.unwrap();
        let host = PluginHost::with_store(runtime, registry.clone(), stats, settings, store);
        let replica = Replica {
            host,
            registry,
            _dirs: dirs,
        };
        replica.run(|h| h.refresh().map(drop)).await;
        replica.run(|h| h.load_dir().map(drop)).await;
        replica
    }

    /// Runs a lifecycle call on a blocking thread, as the API does.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&PluginHost) -> Result<T, elder_sync_plugins::PluginError> + Send + 'static,
    ) -> T {
        let host = self.host.clone();
        tokio::task::spawn_blocking(move || f(&host))
            .await
            .unwrap()
            .unwrap()
    }

    async fn refresh(&self) {
        self.run(|h| h.refresh().map(drop)).await;
    }

    fn serving(&self) -> (String, String) {
        let slot = self.registry.slot("github").expect("github is loaded");
        (
            slot.current.info().version.clone(),
            slot.current.source_hash().to_string(),
        )
    }

    fn disabled(&self) -> bool {
        matches!(self.registry.get("github"), Err(RegistryError::Disabled(_)))
    }
}

async fn the_state_round_trips_through_the_store(engine: TestEngine) {
    let db = TestDb::new(engine).await;
    let a = Replica::start(&db.url).await;
    let b = Replica::start(&db.url).await;
    let v1_hash = elder_sync_plugins::cache::sha256_hex(&github());
    assert_eq!(a.serving().1, v1_hash);
    assert_eq!(b.serving().1, v1_hash, "B serves what the database records");

    // An upload on A reaches B, with its rollback target.
    let v2 = with_build_tag(&github(), "shared-v2");
    let v2_hash = elder_sync_plugins::cache::sha256_hex(&v2);
    let outcome = a
        .run(move |h| h.install(v2, github_manifest(), Origin::Upload))
        .await;
    assert!(
        matches!(outcome, InstallOutcome::Installed(_)),
        "{outcome:?}"
    );
    assert_eq!(b.serving().1, v1_hash, "not before B refreshes");
    b.refresh().await;
    assert_eq!(b.serving().1, v2_hash);
    let view = b.host.view("github").unwrap();
    assert_eq!(view.previous.unwrap().source_hash, v1_hash);

    // Disabled on B: A follows.
    b.run(|h| h.set_enabled("github", false)).await;
    a.refresh().await;
    assert!(a.disabled(), "A sees the plugin disabled");

    // A version changing the security surface, uploaded on A, waits fleet-wide; B approves
    // it, and every replica withholds the keys GitHub declared secret.
    let (leaky_bytes, leaky_manifest) = leaky();
    let held = a
        .run(move |h| h.install(leaky_bytes, leaky_manifest, Origin::Upload))
        .await;
    assert!(matches!(held, InstallOutcome::Pending(_)), "{held:?}");
    b.refresh().await;
    let pending = b.host.pending();
    assert_eq!(pending.len(), 1, "B lists A's pending version");
    assert!(
        pending[0]
            .diff
            .surface
            .iter()
            .any(|l| l.contains("secret flag dropped: api_token")),
        "{:?}",
        pending[0].diff
    );
    b.run(|h| h.approve("github")).await;
    a.refresh().await;
    assert!(a.host.pending().is_empty(), "approved once, fleet-wide");
    for r in [&a, &b] {
        let slot = r.registry.slot("github").unwrap();
        assert_eq!(slot.current.info().version, "9.9.9-leaky");
        assert!(!slot.enabled, "still disabled");
        let withheld = slot.current.withheld_keys();
        assert!(
            withheld.contains("api_token") && withheld.contains("webhook_secret"),
            "{withheld:?}"
        );
    }

    // A rollback on A reaches B.
    a.run(|h| h.rollback("github")).await;
    b.refresh().await;
    assert_eq!(b.serving().1, v2_hash, "B rolled back too");

    // A replica started later, its directory holding the original build, serves what the
    // fleet serves: v2, disabled, the leaky build as its rollback target.
    let c = Replica::start(&db.url).await;
    assert_eq!(c.serving().1, v2_hash);
    assert!(c.disabled());
    let view = c.host.view("github").unwrap();
    assert_eq!(view.previous.unwrap().version, "9.9.9-leaky");
    let slot = c.registry.slot("github").unwrap();
    assert!(slot.current.withheld_keys().contains("api_token"));

    // Re-enabled on C: everyone serves again.
    c.run(|h| h.set_enabled("github", true)).await;
    for r in [&a, &b] {
        r.refresh().await;
        assert!(r.registry.get("github").is_ok());
    }

    // What the database holds, read back through the store.
    let store = Store::open_with(&db.url, None).await.unwrap();
    let record = store.plugin_record("github").await.unwrap().unwrap();
    assert_eq!(record.current.unwrap().source_hash, v2_hash);
    assert!(record.enabled && record.pending.is_none());
    assert!(record.approved_surface.unwrap().contains("api_token"));
    let stored = store.plugin_component(&v2_hash).await.unwrap().unwrap();
    assert_eq!(elder_sync_plugins::cache::sha256_hex(&stored), v2_hash);
}

both_engines!(the_state_round_trips_through_the_store);
