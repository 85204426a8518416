//! WASI probe connector (test only): imports `wasi_snapshot_preview1` directly and, in
//! `test-connection`, tries what a sandboxed guest must not be able to do (open a file,
//! read the environment and arguments) and writes to stdout and stderr, which the host
//! must capture into its log. It reports what happened as text:
//! `open=<errno> env=<count> args=<count> stdout=<errno>`.

// Natively (clippy, cargo test) the export glue is compiled out, so the connector is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use elder_connector_sdk::{
    Config, ConfigField, ConnectorError, ConnectorInfo, Kind, RawConnector, export_raw_connector,
};

#[cfg(target_arch = "wasm32")]
mod wasi {
    //! Raw preview1 imports (the adapter turns them into WASI preview2 imports).
    #[repr(C)]
    pub struct Ciovec {
        pub buf: *const u8,
        pub len: usize,
    }

    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    unsafe extern "C" {
        pub fn fd_write(fd: i32, iovs: *const Ciovec, iovs_len: i32, nwritten: *mut usize) -> i32;
        #[allow(clippy::too_many_arguments)]
        pub fn path_open(
            fd: i32,
            dirflags: i32,
            path: *const u8,
            path_len: usize,
            oflags: i32,
            rights_base: i64,
            rights_inheriting: i64,
            fdflags: i32,
            opened: *mut i32,
        ) -> i32;
        pub fn environ_sizes_get(count: *mut usize, size: *mut usize) -> i32;
        pub fn args_sizes_get(count: *mut usize, size: *mut usize) -> i32;
    }
}

#[cfg(target_arch = "wasm32")]
fn write(fd: i32, text: &str) -> i32 {
    let iov = wasi::Ciovec {
        buf: text.as_ptr(),
        len: text.len(),
    };
    let mut written = 0usize;
    // SAFETY: the iovec points at `text`, alive for the call; `written` is a valid out pointer.
    unsafe { wasi::fd_write(fd, &iov, 1, &mut written) }
}

#[cfg(target_arch = "wasm32")]
fn probe() -> String {
    let path = "/etc/passwd";
    let mut opened = -1i32;
    // SAFETY: the path and the out pointer are valid for the duration of the call.
    let open = unsafe { wasi::path_open(3, 0, path.as_ptr(), path.len(), 0, 2, 0, 0, &mut opened) };
    let (mut env_count, mut env_size, mut arg_count, mut arg_size) =
        (0usize, 0usize, 0usize, 0usize);
    // SAFETY: valid out pointers.
    unsafe {
        wasi::environ_sizes_get(&mut env_count, &mut env_size);
        wasi::args_sizes_get(&mut arg_count, &mut arg_size);
    }
    let out = write(1, "wasi-probe says hello on stdout\n");
    write(2, "wasi-probe complains on stderr\n");
    format!("open={open} env={env_count} args={arg_count} stdout={out}")
}

#[cfg(not(target_arch = "wasm32"))]
fn probe() -> String {
    "not wasm".into()
}

struct Probe;

impl RawConnector for Probe {
    fn describe() -> ConnectorInfo {
        ConnectorInfo {
            id: "wasi-probe".into(),
            version: "0.1.0".into(),
            platform: "wasi-probe".into(),
            kinds: vec![Kind::Issue],
            config_schema: vec![ConfigField {
                key: "note".into(),
                description: "anything".into(),
                required: false,
                secret: false,
            }],
            auth: vec![],
            webhooks: None,
            hosts: vec![],
        }
    }

    fn test_connection(_config: &Config) -> Result<String, ConnectorError> {
        Ok(probe())
    }
}

export_raw_connector!(Probe);
