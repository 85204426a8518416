//! Host-side bindings generated from `wit/connector.wit` (world `connector-world`).
//! Exports are async (called with `call_async`); of the imports only `http.send` is
//! async, since it waits on the network.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "connector-world",
    imports: { "elder:connector/http.send": async },
    exports: { default: async },
});

pub(crate) use elder::connector::{clock, http, log, types};
pub(crate) use exports::elder::connector::connector as guest;
