#!/usr/bin/env bash
# Runs the whole test suite: every crate's unit and integration tests, the end-to-end
# tests of the wasm connectors against the platform simulators, and the store/API
# tests on both SQLite and PostgreSQL (ELDER_TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432/test; each run uses a fresh database it drops).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
    say "cargo not found: install Rust with rustup (https://rustup.rs) first"; exit 1
fi
# The console's browser tests (host/service/tests/console.rs) drive Debian's chromium
# through chromedriver over WebDriver.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    say "installing Debian's chromium and chromium-driver for the console's browser tests (apt-get)"
    sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || { say "need root (or sudo) to apt-get install chromium chromium-driver"; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi
say "browser for the console tests: $(chromedriver --version 2>/dev/null | head -n 1)"
pg="${ELDER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
say "PostgreSQL for the PostgreSQL-path tests: ${pg%%@*}@${pg#*@}"
say "running the test suite (cargo test --workspace)"
cargo test --workspace --no-fail-fast
