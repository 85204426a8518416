//! The Elder Sync connector SDK.
//!
//! A connector is a type implementing [`Connector`] with typed [`Settings`]; one
//! line, [`connector!`], registers it as the component's export and reads its
//! `plugin.toml` for id, version and hosts. Every operation defaults to
//! `unsupported`, so a connector implements only what its platform can do.
//! [`RawConnector`] and [`export_raw_connector!`] are the low-level escape hatch
//! mirroring the WIT export one to one.
//!
//! The SDK owns the generated WIT bindings ([`bindings`]) and the helpers every
//! connector needs; it holds no platform knowledge.

// wit-bindgen emits the package modules, the export trait and a type alias without docs;
// the WIT's own docs reach every other generated item.
#[allow(missing_docs)]
pub mod bindings {
    //! Bindings generated from `wit/since_v1.1.0/connector.wit` (package
    //! `elder:connector@1.1.0`).
    wit_bindgen::generate!({
        path: "../wit/since_v1.1.0",
        world: "connector-world",
        pub_export_macro: true,
        export_macro_name: "__export_connector_world",
        default_bindings_module: "elder_connector_sdk::bindings",
        generate_all,
        additional_derives: [PartialEq],
    });
}

mod client;
pub mod clock;
pub mod config;
mod connector;
pub mod cursor;
mod describe;
mod error;
pub mod http;
mod item;
pub mod log;
mod manifest;
pub mod pagination;
mod raw;
pub mod settings;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod time;

pub use client::Client;
pub use connector::{Connector, Glue, describe, load, unsupported};
pub use error::{ConnectorError, RateLimit, UpstreamError};
pub use item::OptText;
pub use manifest::{Manifest, Manifested};
pub use raw::RawConnector;
pub use settings::{Field, Settings, Values};

#[doc(hidden)]
pub use elder_connector_sdk_macros::manifest as __manifest;

pub use bindings::elder::connector::types::{
    Change, ChangeAction, Config, ConfigEntry, Item, ItemPatch, ItemState, Kind, NewItem, Page,
};
pub use bindings::exports::elder::connector::comments::Comment;
pub use bindings::exports::elder::connector::connector::{
    AuthRule, ConfigField, ConnectorInfo, HmacAlgorithm, HmacSignature, SignatureEncoding,
    SignedContent, WebhookInfo, WebhookScheme,
};

/// Registers a type implementing [`Connector`] as this component's export, with the id,
/// version and hosts of the crate's `plugin.toml` (read at compile time; a missing or
/// malformed manifest is a compile error). `manifest = "path"` names another file,
/// relative to the crate's `Cargo.toml`.
///
/// ```ignore
/// elder_connector_sdk::connector!(MyConnector);
/// ```
#[macro_export]
macro_rules! connector {
    ($connector:ty) => {
        $crate::connector!($connector, manifest = "plugin.toml");
    };
    ($connector:ty, manifest = $path:tt) => {
        impl $crate::Manifested for $connector {
            const MANIFEST: $crate::Manifest = {
                let (id, version, hosts, call_deadline_secs, memory_mb) =
                    $crate::__manifest!($path);
                $crate::Manifest {
                    id,
                    version,
                    hosts,
                    call_deadline_secs,
                    memory_mb,
                }
            };
        }
        $crate::export_raw_connector!($crate::Glue<$connector>);
    };
}

/// Registers a type implementing [`RawConnector`] (the low-level escape hatch) as this
/// component's export.
///
/// ```ignore
/// struct MyConnector;
/// impl elder_connector_sdk::RawConnector for MyConnector { /* ... */ }
/// elder_connector_sdk::export_raw_connector!(MyConnector);
/// ```
#[macro_export]
macro_rules! export_raw_connector {
    ($connector:ty) => {
        const _: () = {
            use $crate::bindings::elder::connector::types as __t;
            use $crate::bindings::exports::elder::connector::comments as __m;
            use $crate::bindings::exports::elder::connector::connector as __c;

            struct __ElderConnectorExport;

            impl __c::Guest for __ElderConnectorExport {
                fn describe() -> __c::ConnectorInfo {
                    <$connector as $crate::RawConnector>::describe()
                }
                fn validate_config(config: __t::Config) -> Result<(), __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::validate_config(&config)
                }
                fn test_connection(config: __t::Config) -> Result<String, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::test_connection(&config)
                }
                fn list_changes(
                    config: __t::Config,
                    kind: __t::Kind,
                    cursor: Option<String>,
                    page_size: u32,
                ) -> Result<__t::Page, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::list_changes(
                        &config, kind, cursor, page_size,
                    )
                }
                fn get(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::get(&config, kind, &external_id)
                }
                fn create(
                    config: __t::Config,
                    item: __t::NewItem,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::create(&config, item)
                }
                fn update(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                    patch: __t::ItemPatch,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::update(&config, kind, &external_id, patch)
                }
                fn close(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::close(&config, kind, &external_id)
                }
                fn reopen(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::reopen(&config, kind, &external_id)
                }
                fn delete(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<(), __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::delete(&config, kind, &external_id)
                }
                fn parse_webhook(
                    config: __t::Config,
                    headers: Vec<(String, String)>,
                    body: Vec<u8>,
                ) -> Result<Vec<__t::Change>, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::parse_webhook(&config, &headers, &body)
                }
            }

            impl __m::Guest for __ElderConnectorExport {
                fn comment_kinds() -> Vec<__t::Kind> {
                    <$connector as $crate::RawConnector>::comment_kinds()
                }
                fn list_comments(
                    config: __t::Config,
                    kind: __t::Kind,
                    item_id: String,
                ) -> Result<Vec<__m::Comment>, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::list_comments(&config, kind, &item_id)
                }
                fn create_comment(
                    config: __t::Config,
                    kind: __t::Kind,
                    item_id: String,
                    body: String,
                ) -> Result<__m::Comment, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::create_comment(
                        &config, kind, &item_id, &body,
                    )
                }
                fn update_comment(
                    config: __t::Config,
                    kind: __t::Kind,
                    item_id: String,
                    comment_id: String,
                    body: String,
                ) -> Result<__m::Comment, __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::update_comment(
                        &config,
                        kind,
                        &item_id,
                        &comment_id,
                        &body,
                    )
                }
                fn delete_comment(
                    config: __t::Config,
                    kind: __t::Kind,
                    item_id: String,
                    comment_id: String,
                ) -> Result<(), __t::ConnectorError> {
                    <$connector as $crate::RawConnector>::delete_comment(
                        &config,
                        kind,
                        &item_id,
                        &comment_id,
                    )
                }
            }

            // Exported symbols only exist in the wasm build; a native build (for unit
            // tests of mapping code) keeps the impl type-checked but exports nothing.
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::__export_connector_world!(
                __ElderConnectorExport with_types_in $crate::bindings
            );
        };
    };
}

/// The README's example connector, compiled as a doc test so it stays correct.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
