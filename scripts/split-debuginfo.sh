#!/usr/bin/env bash
# Moves a release binary's debug info (DWARF) into `<binary>.debug` beside it, compressed,
# and links the two with a `.gnu_debuglink` section. The binary ships small, and a panic's
# backtrace still names file:line: std's symbolizer follows the link to the file beside the
# binary (so do gdb and perf). Without the `.debug` file, backtraces keep function names
# (the symbol table stays) and lose only file:line.
#
#   scripts/split-debuginfo.sh [binary]      (default: target/release/elder-sync)
#
# Needs objcopy (binutils); without it the binary is left whole. Running it again on a
# split binary does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '==> %s\n' "$*" >&2; }

bin=${1:-target/release/elder-sync}
[ -f "$bin" ] || { say "no binary at $bin: build it first"; exit 1; }
if ! command -v objcopy >/dev/null 2>&1; then
    say "objcopy (binutils) not found: leaving $bin with its debug info inside"
    exit 0
fi
if ! objdump -h "$bin" | grep -q '\.debug_'; then
    say "$bin carries no debug info (already split): nothing to do"
    exit 0
fi
dir=$(dirname "$bin")
name=$(basename "$bin")
before=$(stat -c %s "$bin")
(
    cd "$dir"
    objcopy --only-keep-debug --compress-debug-sections=zlib "$name" "$name.debug"
    objcopy --strip-debug --add-gnu-debuglink="$name.debug" "$name"
)
after=$(stat -c %s "$bin")
say "split debug info: $bin $((before / 1000000)) MB -> $((after / 1000000)) MB, $bin.debug $(($(stat -c %s "$bin.debug") / 1000000)) MB (keep it beside the binary for file:line in backtraces)"
