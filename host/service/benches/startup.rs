//! Benchmark: what running `elder-sync serve` with the five connectors costs an operator.
//! Prints the time from spawning the release binary to its first `200` on `/healthz`
//! (the service answers only once the store is open and every connector is loaded), with a
//! cold compiled-code cache (a fresh data directory: every component is compiled) and a
//! warm one (the same data directory again), the idle resident memory a few seconds after
//! a warm start, and the size of the binary as `make build` ships it: a copy split by
//! `scripts/split-debuginfo.sh` (its DWARF moved to a `.debug` file beside it), which is
//! also the binary every start here runs.
//! SQLite in a temporary data directory; the connectors come from `target/connectors`
//! (build them with `scripts/build-wasm.sh`).
//! Run: `cargo bench -p elder-sync --bench startup`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WARM_RUNS: usize = 5;
const IDLE_SETTLE: Duration = Duration::from_secs(3);
const GIVE_UP: Duration = Duration::from_secs(120);
/// base64 of 32 zero bytes: a throwaway secret key.
const KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn main() {
    let linked = PathBuf::from(env!("CARGO_BIN_EXE_elder-sync"));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = shipped_copy(&root, &linked, dir.path());
    let plugins = dir.path().join("plugins");
    let data = dir.path().join("data");
    let count = copy_connectors(&root.join("target/connectors"), &plugins);

    let cold = start(&bin, &plugins, &data, dir.path());
    stop(cold.0);
    let mut warm: Vec<Duration> = Vec::new();
    let mut rss = None;
    for run in 0..WARM_RUNS {
        let (mut child, took) = start(&bin, &plugins, &data, dir.path());
        warm.push(took);
        if run == WARM_RUNS - 1 {
            std::thread::sleep(IDLE_SETTLE);
            rss = Some(memory(child.id()));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    warm.sort();
    let median = warm[warm.len() / 2];
    let (vm_rss, rss_anon, rss_file, hwm) = rss.expect("measured");

    println!(
        "startup: elder-sync serve, SQLite, {count} connectors, {}",
        bin.display()
    );
    println!(
        "  cold cache : {:>8.1} ms to /healthz (compiles every component, creates the database)",
        ms(cold.1)
    );
    println!(
        "  warm cache : {:>8.1} ms to /healthz (median of {WARM_RUNS}; min {:.1}, max {:.1})  target < 1000 ms",
        ms(median),
        ms(warm[0]),
        ms(warm[warm.len() - 1])
    );
    println!(
        "  idle RSS   : {:>8.1} MB {}s after a warm start (anon {:.1} MB, file {:.1} MB; peak {:.1} MB)  target < 40 MB",
        mb(vm_rss),
        IDLE_SETTLE.as_secs(),
        mb(rss_anon),
        mb(rss_file),
        mb(hwm)
    );
    println!("  as linked  : {:>8.1} MB", file_mb(&linked));
    println!(
        "  binary     : {:>8.1} MB  target < 60 MB (as shipped: split)",
        file_mb(&bin)
    );
    for ext in ["debug", "dwp"] {
        let debug = bin.with_extension(ext);
        if let Ok(m) = std::fs::metadata(&debug) {
            println!(
                "  debug file : {:>8.1} MB  {}",
                m.len() as f64 / 1e6,
                debug.display()
            );
        }
    }
}

/// A copy of the linked binary split the way `make build` splits it.
fn shipped_copy(root: &Path, linked: &Path, dir: &Path) -> PathBuf {
    let bin = dir.join("elder-sync");
    std::fs::copy(linked, &bin).expect("copy the binary");
    let split = Command::new("bash")
        .arg(root.join("scripts/split-debuginfo.sh"))
        .arg(&bin)
        .status()
        .expect("run scripts/split-debuginfo.sh");
    assert!(split.success(), "scripts/split-debuginfo.sh failed");
    bin
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// Copies the built components and their manifests; how many components.
fn copy_connectors(from: &Path, to: &Path) -> usize {
    std::fs::create_dir_all(to).unwrap();
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the connectors first (scripts/build-wasm.sh)",
            from.display()
        )
    });
    let mut components = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        components += usize::from(path.extension().is_some_and(|x| x == "wasm"));
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
    components
}

/// Spawns the service and waits for its first `200` on `/healthz`.
fn start(bin: &Path, plugins: &Path, data: &Path, dir: &Path) -> (Child, Duration) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("service.log"))
        .unwrap();
    let started = Instant::now();
    let mut child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ELDER_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("ELDER_DATA_DIR", data)
        .env("ELDER_PLUGIN_DIR", plugins)
        .env("ELDER_SECRET_KEY", KEY)
        .env("ELDER_PLUGIN_WATCH", "false")
        .env("LOG_LEVEL", "warn")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawning elder-sync serve");
    loop {
        if healthy(port) {
            return (child, started.elapsed());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(dir.join("service.log")).unwrap_or_default();
            panic!("elder-sync serve exited ({status}); its log:\n{log}");
        }
        assert!(
            started.elapsed() < GIVE_UP,
            "no /healthz within {GIVE_UP:?}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether `GET /healthz` answers `200`.
fn healthy(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

/// VmRSS, RssAnon, RssFile and VmHWM of a process, in KiB.
fn memory(pid: u32) -> (u64, u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (
        field("VmRSS:"),
        field("RssAnon:"),
        field("RssFile:"),
        field("VmHWM:"),
    )
}
