//! `elder-sync serve`: opens the store (running migrations), loads the connectors, starts
//! the engine's workers and scheduler, and serves the API, webhooks, health and metrics
//! until SIGINT/SIGTERM, then shuts down in order (stop intake, drain, flush logs).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use elder_sync_api::ApiState;
use elder_sync_console::ConsoleState;
use elder_sync_engine::gauges::EngineGauges;
use elder_sync_engine::replica::{Replica, take_back_own_work};
use elder_sync_engine::scheduler::{BatchSettings, start_scheduler};
use elder_sync_engine::{ConnectorRegistry, EngineSettings, SyncEngine, routes, workers};
use elder_sync_plugins::{PluginHost, PluginStats};
use elder_sync_runtime::{Runtime, RuntimeObserver, RuntimeSettings, TrapKind};
use elder_sync_store::Store;
use elder_sync_telemetry::{LogSettings, Metrics, ReadinessCheck, check_fn};
use tokio_util::sync::CancellationToken;

use crate::catalog::RegistryCatalog;
use crate::http_server;
use crate::memory;
use crate::plugins;
use crate::settings::Settings;

/// Runs the service.
pub async fn serve() -> Result<()> {
    let telemetry = elder_sync_telemetry::init(LogSettings::from_env()?)?;
    let settings = Settings::from_env()?;
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "creating the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let metrics = Metrics::new()?;
    metrics.attach_log_stats(telemetry.stats());

    let store = Store::open(&settings.effective_database_url())
        .await
        .context("opening the database")?
        .with_secret_env_prefix(settings.secret_env_prefix.clone());
    tracing::info!(backend = ?store.backend(), "database ready (migrations applied)");

    let stats = PluginStats::wrapping(Some(Arc::new(MetricsObserver(metrics.clone()))));
    let runtime = Runtime::new(runtime_config(&settings, stats.clone()))?;
    let registry = Arc::new(ConnectorRegistry::new());
    let plugins = plugins::start(&store, runtime, registry.clone(), stats, &settings).await?;
    let loaded_rss = memory::resident_bytes();
    memory::release_freed_heap();
    tracing::info!(
        rss_after_loading_mb = loaded_rss.map(|b| b >> 20),
        rss_after_release_mb = memory::resident_bytes().map(|b| b >> 20),
        "freed loading buffers given back to the kernel"
    );

    let engine = SyncEngine::new(
        store.clone(),
        registry.clone(),
        metrics.clone(),
        engine_settings(&settings),
    )
    .with_replica(Replica::kept_in(&settings.data_dir).context("keeping the replica id")?);
    take_back_own_work(&engine).await;
    metrics.attach_gauge_source(Arc::new(EngineGauges(engine.clone())));
    let stop = CancellationToken::new();
    let worker_tasks = workers::spawn_workers(&engine, stop.clone());
    let batch = BatchSettings {
        enabled: settings.batch_fallback_enabled,
        interval: settings.batch_interval,
    };
    let mut scheduler = start_scheduler(engine.clone(), batch, Duration::from_secs(5)).await?;

    let health = elder_sync_telemetry::router_describing(
        metrics.clone(),
        readiness_checks(&store, &registry),
        Some(describe_replica(&engine)),
    );
    let api_state = ApiState::new(store.clone())
        .with_catalog(Arc::new(RegistryCatalog(registry.clone())))
        .with_public_url(settings.public_url.clone());
    let app = http_server::bounded(
        app_router(api_state, &engine, &plugins.host),
        health.clone(),
        &settings.http,
    );
    let listener = tokio::net::TcpListener::bind(settings.listen_addr)
        .await
        .with_context(|| format!("binding {} (ELDER_LISTEN_ADDR)", settings.listen_addr))?;
    tracing::info!(addr = %settings.listen_addr, "serving the API, webhooks, /healthz, /readyz and /metrics");
    let worker_server = (settings.worker_addr != settings.listen_addr).then(|| {
        let stop = stop.clone();
        let addr = settings.worker_addr;
        let limits = settings.http.clone();
        let health = http_server::bounded(Router::new(), health, &limits);
        tokio::spawn(async move {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            tracing::info!(%addr, "serving worker health and metrics");
            http_server::serve(listener, health, &limits, stop.cancelled_owned()).await
        })
    });

    http_server::serve(listener, app, &settings.http, shutdown_signal()).await?;
    tracing::info!("shutting down: stopping workers and the scheduler");
    stop.cancel();
    let _ = scheduler.shutdown().await;
    for task in worker_tasks {
        let _ = task.await;
    }
    if let Some(server) = worker_server {
        let _ = server.await;
    }
    drop(plugins);
    store.close().await;
    telemetry.shutdown().await;
    Ok(())
}

/// The operator console at `/`, and the API, webhook, action and plugin routes (everything
/// but health and metrics). A path
/// no route serves answers `404 route_not_found` and a method a route does not take `405
/// method_not_allowed`, both in the API's JSON error envelope.
fn app_router(api_state: ApiState, engine: &SyncEngine, plugins: &Arc<PluginHost>) -> Router {
    let actions =
        routes::action_routes(engine.clone()).layer(axum::middleware::from_fn_with_state(
            api_state.store.clone(),
            elder_sync_http::require_token,
        ));
    let console = elder_sync_console::router(ConsoleState::new(
        api_state.clone(),
        engine.clone(),
        plugins.clone(),
    ));
    Router::new()
        .merge(console)
        .merge(routes::webhook_routes(engine.clone()))
        .merge(actions)
        .merge(elder_sync_plugins::api::router(
            plugins.clone(),
            api_state.store.clone(),
        ))
        .merge(elder_sync_api::router_documenting(
            api_state,
            [routes::openapi(), elder_sync_plugins::api::openapi()],
        ))
        .fallback(elder_sync_api::unknown_route)
        .method_not_allowed_fallback(elder_sync_api::method_not_allowed)
}

fn runtime_config(settings: &Settings, observer: Arc<PluginStats>) -> RuntimeSettings {
    RuntimeSettings {
        call_deadline: settings.connector_deadline,
        memory_limit_bytes: settings.connector_memory_mb << 20,
        max_concurrent_calls: settings.connector_max_calls,
        pool: settings.connector_pool.clone(),
        allow_plain_http: settings.allow_http_egress,
        allow_private_networks: settings.egress_allow_private,
        observer: Some(observer),
        ..RuntimeSettings::default()
    }
}

fn engine_settings(settings: &Settings) -> EngineSettings {
    EngineSettings {
        public_url: settings.public_url.clone(),
        batch_fallback_size: settings.batch_size,
        retention: settings.retention,
        inbox_workers: settings.inbox_workers,
        ..EngineSettings::default()
    }
}

fn readiness_checks(
    store: &Store,
    registry: &Arc<ConnectorRegistry>,
) -> Vec<Arc<dyn ReadinessCheck>> {
    let db = store.clone();
    let reg = registry.clone();
    vec![
        check_fn("database", move || {
            let db = db.clone();
            async move {
                db.readiness()
                    .await
                    .map_err(|e| format!("database not ready: {e}"))
            }
        }),
        check_fn("connectors", move || {
            let n = reg.len();
            async move {
                if n > 0 {
                    Ok(())
                } else {
                    Err("no connector is loaded (check ELDER_PLUGIN_DIR)".to_string())
                }
            }
        }),
    ]
}

/// What `/readyz` says about this replica: its id, version, and the plugin versions it serves
/// (enabled connectors, by platform). Whether it holds its database is the `database` check.
fn describe_replica(engine: &SyncEngine) -> elder_sync_telemetry::Describe {
    let replica = engine.replica.clone();
    let registry = engine.registry.clone();
    Arc::new(move || {
        let plugins: serde_json::Map<String, serde_json::Value> = registry
            .slots()
            .into_iter()
            .filter(|(_, slot)| slot.enabled)
            .map(|(platform, slot)| (platform, slot.current.info().version.clone().into()))
            .collect();
        serde_json::json!({"id": replica.id, "version": replica.version, "plugins": plugins})
    })
}

/// Feeds runtime events into the Prometheus metrics.
struct MetricsObserver(Metrics);

impl RuntimeObserver for MetricsObserver {
    fn call_finished(&self, connector: &str, function: &str, outcome: &str, secs: f64) {
        self.0.call_finished(connector, function, outcome, secs);
    }
    fn trapped(&self, connector: &str, kind: TrapKind) {
        self.0.trapped(connector, kind.as_str());
    }
    fn egress(&self, connector: &str, status: Option<u16>) {
        self.0.egress(connector, status);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
