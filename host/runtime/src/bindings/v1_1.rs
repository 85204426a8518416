//! Host-side bindings of contract `elder:connector@1.1.0`, generated from the frozen
//! `wit/since_v1.1.0/` (world `connector-world`): the newest contract, so also the host's
//! imports (`http`, `log`, `clock`) and the shared `types` every version's exports use.
//! Exports are async (called with `call_async`); of the imports only `http.send` is
//! async, since it waits on the network.

wasmtime::component::bindgen!({
    path: "../../wit/since_v1.1.0",
    world: "connector-world",
    imports: { "elder:connector/http.send": async },
    exports: { default: async },
});
