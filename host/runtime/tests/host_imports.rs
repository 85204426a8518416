//! The log and clock imports, and WASI-importing components under the locked-down context.

mod common;

use common::{LogCapture, cfg, chaos, guest, runtime};

#[tokio::test]
async fn guest_log_records_land_in_the_host_log_tagged_with_the_connector() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let conn = chaos(&runtime());
    assert_eq!(
        conn.test_connection(&cfg(&[("mode", "log")]))
            .await
            .unwrap(),
        "logged"
    );
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("chaos says hello"))
        .unwrap_or_else(|| panic!("no log record: {text}"));
    assert!(line.contains("connector=chaos"), "{line}");
    assert!(line.contains("mode=log"), "{line}");
    assert!(line.contains("INFO"), "{line}");
}

#[tokio::test]
async fn clock_gives_system_time_in_milliseconds() {
    let conn = chaos(&runtime());
    let now = |_: ()| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let before = now(());
    let ms: i64 = conn
        .test_connection(&cfg(&[("mode", "clock")]))
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(ms >= before && ms <= now(()), "{before} <= {ms}");
}

#[tokio::test]
async fn wasi_guest_runs_locked_down_and_its_stdout_is_logged() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let rt = runtime();
    let probe = rt
        .load(&guest("wasi-probe"))
        .expect("WASI-importing component loads");
    assert_eq!(probe.info().id, "wasi-probe");
    let report = probe.test_connection(&cfg(&[])).await.unwrap();
    // path_open on fd 3 fails: there are no preopened directories.
    assert!(!report.starts_with("open=0 "), "opened a file: {report}");
    assert!(report.contains(" env=0 "), "saw environment: {report}");
    assert!(report.contains(" args=0 "), "saw arguments: {report}");
    assert!(
        report.ends_with(" stdout=0"),
        "stdout write failed: {report}"
    );
    let text = logs.text();
    let line = text
        .lines()
        .find(|l| l.contains("wasi-probe says hello on stdout"))
        .unwrap_or_else(|| panic!("stdout not in the log: {text}"));
    assert!(
        line.contains("connector=wasi-probe") && line.contains("stream=\"stdout\""),
        "{line}"
    );
    assert!(text.contains("wasi-probe complains on stderr"), "{text}");
    // The runtime and other connectors are unaffected.
    let conn = chaos(&rt);
    assert_eq!(
        conn.test_connection(&cfg(&[("mode", "ok")])).await.unwrap(),
        "ok"
    );
}
