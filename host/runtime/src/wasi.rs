//! The locked-down WASI context for components that import WASI: no preopened
//! directories, no network, no environment, no arguments, closed stdin; stdout and
//! stderr are captured per call and written to the host log tagged with the connector.

use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

/// How much a guest may write to stdout or stderr in one call.
const STDIO_CAPACITY: usize = 64 * 1024;

/// The captured stdout and stderr of one call.
pub(crate) struct CapturedStdio {
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

/// A WASI context that grants nothing but captured stdout/stderr.
pub(crate) fn locked_down() -> (WasiCtx, CapturedStdio) {
    let stdout = MemoryOutputPipe::new(STDIO_CAPACITY);
    let stderr = MemoryOutputPipe::new(STDIO_CAPACITY);
    let ctx = WasiCtxBuilder::new()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build();
    (ctx, CapturedStdio { stdout, stderr })
}

impl CapturedStdio {
    /// Writes what the guest printed to the host log, one event per line.
    pub(crate) fn flush_to_log(&self, connector: &str) {
        for (stream, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let bytes = pipe.contents();
            if bytes.is_empty() {
                continue;
            }
            for line in String::from_utf8_lossy(&bytes).lines() {
                tracing::info!(connector = %connector, stream, "{line}");
            }
        }
    }
}
