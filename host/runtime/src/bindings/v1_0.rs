//! Host-side bindings of contract `elder:connector@1.0.0`, generated from the frozen
//! `wit/since_v1.0.0/` (world `connector-world`). Exports are async (called with
//! `call_async`); of the imports only `http.send` is async, since it waits on the network.

wasmtime::component::bindgen!({
    path: "../../wit/since_v1.0.0",
    world: "connector-world",
    imports: { "elder:connector/http.send": async },
    exports: { default: async },
});
