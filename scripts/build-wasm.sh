#!/usr/bin/env bash
# Builds every connector (connectors/*) and every test guest (tests/guests/*) to
# wasm32-unknown-unknown and turns each into a WebAssembly component.
#
#   connectors/<name>   -> target/connectors/<name>.wasm (+ its plugin.toml as <name>.toml)
#   tests/guests/<name> -> target/test-guests/<name>.wasm
#   sdk/template        -> target/templates/template.wasm (proves the template builds)
#
# Toolchain: rustup's wasm32-unknown-unknown target when it is installed or can be
# added (tried under a short timeout, since on some networks the download hangs);
# otherwise Debian's rustc-web toolchain building std from source (-Zbuild-std),
# installed with apt-get when missing. Set ELDER_WASM_TOOLCHAIN=rustup|debian to force one.
# Cargo rebuilds only what changed; components are re-encoded only when their module changed.
#
#   scripts/build-wasm.sh --crate <dir> <out.wasm>
# builds one connector crate outside the workspace (such as one made by
# `elder-sync plugin new`) the same way, and writes its component to <out.wasm> with its
# plugin.toml beside it as <out>.toml.
set -euo pipefail
caller_dir=$PWD
cd "$(dirname "$0")/.."
root=$(pwd)
target=wasm32-unknown-unknown
say() { printf '==> %s\n' "$*" >&2; }

rustup_has_target() {
    command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$target"
}

try_rustup_add() {
    command -v rustup >/dev/null 2>&1 || return 1
    local marker=target/.wasm-rustup-add-failed
    if [ -f "$marker" ]; then return 1; fi
    say "trying: rustup target add $target (60 s limit)"
    if timeout 60 rustup target add "$target" >/dev/null 2>&1; then return 0; fi
    mkdir -p target && : >"$marker"
    say "rustup could not add $target here (download failed or hung); not trying again in this checkout"
    return 1
}

debian_ready() {
    [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -e /usr/bin/rust-lld ] &&
        [ -d /usr/lib/rustlib/src/rust/library ] &&
        /usr/bin/rustc --version 2>/dev/null | grep -q .
}

install_debian() {
    say "installing Debian's rustc-web toolchain with std sources and lld (apt-get)"
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 || { say "need root (or sudo) to apt-get install rustc-web cargo-web rust-web-src lld-22"; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq rustc-web cargo-web rust-web-src lld-22 >/dev/null
}

choose_toolchain() {
    case "${ELDER_WASM_TOOLCHAIN:-}" in
        rustup|debian) echo "$ELDER_WASM_TOOLCHAIN"; return ;;
        "") ;;
        *) say "ELDER_WASM_TOOLCHAIN must be rustup or debian"; exit 1 ;;
    esac
    if rustup_has_target; then echo rustup; return; fi
    if try_rustup_add; then echo rustup; return; fi
    echo debian
}

# Packages to build: "<dir> <package name>" per line.
packages() {
    for dir in connectors/*/ tests/guests/*/ sdk/template/; do
        [ -f "$dir/Cargo.toml" ] || continue
        local name
        name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$dir/Cargo.toml" | head -n1)
        echo "${dir%/} $name"
    done
}

# cargo build for wasm with the chosen toolchain: cargo_wasm <target dir> <cargo args...>
cargo_wasm() {
    local dir=$1
    shift
    case "$toolchain" in
        rustup)
            cargo build --profile connector --target "$target" --target-dir "$dir" "$@"
            ;;
        debian)
            debian_ready || install_debian
            RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
                CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/bin/rust-lld \
                /usr/bin/cargo build --profile connector -Zbuild-std=std,panic_abort \
                --target "$target" --target-dir "$dir" "$@"
            ;;
    esac
}

componentize_tool() {
    # Always the checkout's own target dir, whatever CARGO_TARGET_DIR the caller set.
    env -u CARGO_TARGET_DIR cargo build --quiet --release -p componentize
    echo "$root/target/release/componentize"
}

# One crate outside the workspace: --crate <dir> <out.wasm>.
build_one_crate() {
    local dir out name module
    [ $# -eq 2 ] || { say "usage: scripts/build-wasm.sh --crate <dir> <out.wasm>"; exit 2; }
    dir=$(cd "$caller_dir" && cd "$1" && pwd)
    case "$2" in /*) out=$2 ;; *) out=$caller_dir/$2 ;; esac
    name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$dir/Cargo.toml" | head -n1)
    say "building $name ($dir) with the $toolchain toolchain"
    cargo_wasm "$root/target/wasm-$toolchain-crates" --manifest-path "$dir/Cargo.toml"
    module="$root/target/wasm-$toolchain-crates/$target/connector/${name//-/_}.wasm"
    "$(componentize_tool)" "$module" "$out"
    if [ -f "$dir/plugin.toml" ]; then cp "$dir/plugin.toml" "${out%.wasm}.toml"; fi
    say "component ready: $out (manifest ${out%.wasm}.toml)"
}

toolchain=$(choose_toolchain)
if [ "${1:-}" = "--crate" ]; then
    shift
    build_one_crate "$@"
    exit 0
fi
pkg_args=()
while read -r _dir name; do pkg_args+=(-p "$name"); done < <(packages)
[ ${#pkg_args[@]} -gt 0 ] || { say "no wasm packages found"; exit 0; }

say "building ${#pkg_args[@]} wasm packages with the $toolchain toolchain for $target"
wasm_dir=target/wasm-$toolchain
cargo_wasm "$wasm_dir" "${pkg_args[@]}"

say "encoding components"
componentize=$(componentize_tool)
while read -r dir name; do
    module="$wasm_dir/$target/connector/${name//-/_}.wasm"
    base=$(basename "$dir")
    case "$dir" in
        connectors/*)
            "$componentize" "$module" "target/connectors/$base.wasm"
            # The plugin manifest travels beside its component.
            if [ -f "$dir/plugin.toml" ]; then cp "$dir/plugin.toml" "target/connectors/$base.toml"; fi ;;
        tests/guests/*)
            if grep -q 'wasi-adapter' "$dir/Cargo.toml"; then
                "$componentize" --wasi-adapter "$module" "target/test-guests/$base.wasm"
            else
                "$componentize" "$module" "target/test-guests/$base.wasm"
            fi ;;
        sdk/template)
            mkdir -p target/templates
            "$componentize" "$module" "target/templates/template.wasm" ;;
    esac
done < <(packages)
say "components ready in target/connectors and target/test-guests (toolchain: $toolchain)"
