//! End-to-end tests: wasm connectors in the host runtime against the platform simulators. (being written)
