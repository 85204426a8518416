//! Host-side bindings of contract `elder:connector@1.0.0`, generated from the frozen
//! `wit/since_v1.0.0/` (world `connector-world`): the 1.0 `connector` export. Its imports
//! and the `types` records are unchanged since 1.0, so they are the newest contract's
//! (`with`): the linker serves a 1.0 component's `@1.0.0` imports with the `@1.1.0` ones
//! (wasmtime matches semver-compatible names), and a 1.0 guest's calls take and return
//! the same Rust types as a 1.1 guest's. Exports are async (called with `call_async`).

wasmtime::component::bindgen!({
    path: "../../wit/since_v1.0.0",
    world: "connector-world",
    exports: { default: async },
    with: {
        "elder:connector/types@1.0.0": crate::bindings::v1_1::elder::connector::types,
        "elder:connector/http@1.0.0": crate::bindings::v1_1::elder::connector::http,
        "elder:connector/log@1.0.0": crate::bindings::v1_1::elder::connector::log,
        "elder:connector/clock@1.0.0": crate::bindings::v1_1::elder::connector::clock,
    },
});
