//! Sandboxed connector runtime: wasmtime components, limits, WASI lockdown and HTTP egress. (being written)
