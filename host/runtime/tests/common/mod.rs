//! Shared test helpers: the built guest components, runtimes with test settings, a
//! loopback HTTP server, and log capture.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use elder_sync_runtime::{ConnectorSettings, LoadedConnector, Runtime, RuntimeSettings};

/// The bytes of `target/test-guests/<name>.wasm`; fails clearly when not built.
pub fn guest(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-guests")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "test guest {} is missing ({e}): run bash scripts/build-wasm.sh",
            path.display()
        )
    })
}

/// Test settings: short deadline, plain http allowed for the loopback server.
pub fn test_config() -> RuntimeSettings {
    RuntimeSettings {
        call_deadline: Duration::from_millis(500),
        memory_limit_bytes: 32 << 20,
        allow_plain_http: true,
        allow_private_networks: true,
        http_timeout: Duration::from_millis(300),
        ..RuntimeSettings::default()
    }
}

pub fn runtime() -> Runtime {
    Runtime::new(test_config()).expect("runtime")
}

pub fn chaos(rt: &Runtime) -> Arc<LoadedConnector> {
    rt.load(&guest("chaos")).expect("chaos guest loads")
}

pub fn cfg(pairs: &[(&str, &str)]) -> ConnectorSettings {
    ConnectorSettings::new(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// Starts an axum server on 127.0.0.1 and returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A log sink for `tracing` events, readable as text.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Installs the capture as this thread's subscriber until the guard drops.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

impl Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
