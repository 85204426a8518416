//! Thin wrappers over the host's structured log import (stderr in native unit tests).

use crate::bindings::elder::connector::log::{Field, Level};

fn write(level: Level, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<Field> = fields
        .iter()
        .map(|(k, v)| Field {
            key: k.to_string(),
            value: v.to_string(),
        })
        .collect();
    #[cfg(target_arch = "wasm32")]
    crate::bindings::elder::connector::log::write(level, message, &fields);
    // Natively (unit tests) there is no host log: records go to stderr.
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message} {fields:?}");
}

/// Logs at debug level with structured fields.
pub fn debug(message: &str, fields: &[(&str, &str)]) {
    write(Level::Debug, message, fields);
}

/// Logs at info level with structured fields.
pub fn info(message: &str, fields: &[(&str, &str)]) {
    write(Level::Info, message, fields);
}

/// Logs at warn level with structured fields.
pub fn warn(message: &str, fields: &[(&str, &str)]) {
    write(Level::Warn, message, fields);
}

/// Logs at error level with structured fields.
pub fn error(message: &str, fields: &[(&str, &str)]) {
    write(Level::Error, message, fields);
}
