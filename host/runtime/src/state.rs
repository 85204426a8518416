//! The data of one call's store ([`HostState`]) and the host imports the guest calls
//! through it: `http.send` (guarded egress), `log.write` (tracing events tagged with the
//! connector) and `clock.now-ms`; plus the WASI view for WASI-importing components.

use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::{clock, http, log, types};
use crate::convert;
use crate::egress::{EgressContext, send_guarded};
use crate::limits::MemoryCap;
use crate::wasi::CapturedStdio;

/// Everything one store owns.
pub(crate) struct HostState {
    pub connector: String,
    pub egress: EgressContext,
    pub limits: MemoryCap,
    pub stdio: CapturedStdio,
    /// When the running call must stop (its epoch deadline); reset for every call a
    /// reused instance serves.
    pub deadline: Instant,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl HostState {
    pub(crate) fn new(egress: EgressContext, memory_limit: usize, deadline: Instant) -> Self {
        let (wasi, stdio) = crate::wasi::locked_down();
        HostState {
            connector: egress.connector.clone(),
            egress,
            limits: MemoryCap::new(memory_limit),
            stdio,
            deadline,
            wasi,
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for HostState {}

impl http::Host for HostState {
    async fn send(&mut self, req: http::Request) -> Result<http::Response, http::HttpError> {
        send_guarded(&self.egress, convert::request_from_wit(req))
            .await
            .map(convert::response_to_wit)
            .map_err(convert::http_error_to_wit)
    }
}

impl log::Host for HostState {
    fn write(&mut self, level: log::Level, message: String, fields: Vec<log::Field>) {
        let fields = fields
            .iter()
            .map(|f| format!("{}={}", f.key, f.value))
            .collect::<Vec<_>>()
            .join(" ");
        let c = self.connector.as_str();
        match level {
            log::Level::Trace => tracing::trace!(connector = %c, fields = %fields, "{message}"),
            log::Level::Debug => tracing::debug!(connector = %c, fields = %fields, "{message}"),
            log::Level::Info => tracing::info!(connector = %c, fields = %fields, "{message}"),
            log::Level::Warn => tracing::warn!(connector = %c, fields = %fields, "{message}"),
            log::Level::Error => tracing::error!(connector = %c, fields = %fields, "{message}"),
        }
    }
}

impl clock::Host for HostState {
    fn now_ms(&mut self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}
