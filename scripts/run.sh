#!/usr/bin/env bash
# Starts `elder-sync serve` with its embedded default: SQLite in ./data and the five
# connectors built by `make wasm` (target/connectors). Any setting can be overridden
# from the environment (see README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*" >&2; }

export ELDER_DATA_DIR="${ELDER_DATA_DIR:-$PWD/data}"
export ELDER_PLUGIN_DIR="${ELDER_PLUGIN_DIR:-$PWD/target/connectors}"
mkdir -p "$ELDER_DATA_DIR"
if [ -z "${ELDER_SECRET_KEY:-}" ]; then
    keyfile="$ELDER_DATA_DIR/dev-secret.key"
    if [ ! -s "$keyfile" ]; then
        say "no ELDER_SECRET_KEY set: generating a development key in $keyfile (set ELDER_SECRET_KEY in production)"
        head -c 32 /dev/urandom | base64 >"$keyfile"
        chmod 600 "$keyfile"
    fi
    ELDER_SECRET_KEY="$(cat "$keyfile")"
    export ELDER_SECRET_KEY
fi
say "starting elder-sync serve on ${ELDER_LISTEN_ADDR:-0.0.0.0:8000} (data: $ELDER_DATA_DIR, connectors: $ELDER_PLUGIN_DIR)"
exec target/release/elder-sync serve
