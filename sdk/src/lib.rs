//! The Elder Sync connector SDK.
//!
//! A connector is a type implementing [`Connector`]; one line,
//! [`export_connector!`], registers it as the component's export. Every
//! function has a default returning `unsupported`, so a connector implements
//! only what its platform can do.
//!
//! The SDK owns the generated WIT bindings ([`bindings`]) and the helpers every
//! connector needs; it holds no platform knowledge.

pub mod bindings {
    //! Bindings generated from `wit/connector.wit` (package `elder:connector@1.0.0`).
    wit_bindgen::generate!({
        path: "../wit/since_v1.0.0",
        world: "connector-world",
        pub_export_macro: true,
        export_macro_name: "__export_connector_world",
        default_bindings_module: "elder_connector_sdk::bindings",
        generate_all,
        additional_derives: [PartialEq],
    });
}

pub mod clock;
pub mod config;
mod connector;
mod error;
pub mod http;
pub mod log;
pub mod pagination;
pub mod time;

pub use connector::Connector;
pub use error::{ConnectorError, RateLimit, UpstreamError};

pub use bindings::elder::connector::types::{
    Change, ChangeAction, Config, ConfigEntry, Item, ItemPatch, ItemState, Kind, NewItem, Page,
};
pub use bindings::exports::elder::connector::connector::{
    AuthRule, ConfigField, ConnectorInfo, HmacAlgorithm, HmacSignature, SignatureEncoding,
    SignedContent, WebhookInfo, WebhookScheme,
};

/// Registers a type implementing [`Connector`] as this component's export.
///
/// ```ignore
/// struct MyConnector;
/// impl elder_connector_sdk::Connector for MyConnector { /* ... */ }
/// elder_connector_sdk::export_connector!(MyConnector);
/// ```
#[macro_export]
macro_rules! export_connector {
    ($connector:ty) => {
        const _: () = {
            use $crate::bindings::elder::connector::types as __t;
            use $crate::bindings::exports::elder::connector::connector as __c;

            struct __ElderConnectorExport;

            impl __c::Guest for __ElderConnectorExport {
                fn describe() -> __c::ConnectorInfo {
                    <$connector as $crate::Connector>::describe()
                }
                fn validate_config(config: __t::Config) -> Result<(), __t::ConnectorError> {
                    <$connector as $crate::Connector>::validate_config(&config)
                }
                fn test_connection(config: __t::Config) -> Result<String, __t::ConnectorError> {
                    <$connector as $crate::Connector>::test_connection(&config)
                }
                fn list_changes(
                    config: __t::Config,
                    kind: __t::Kind,
                    cursor: Option<String>,
                    page_size: u32,
                ) -> Result<__t::Page, __t::ConnectorError> {
                    <$connector as $crate::Connector>::list_changes(
                        &config, kind, cursor, page_size,
                    )
                }
                fn get(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::Connector>::get(&config, kind, &external_id)
                }
                fn create(
                    config: __t::Config,
                    item: __t::NewItem,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::Connector>::create(&config, item)
                }
                fn update(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                    patch: __t::ItemPatch,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::Connector>::update(&config, kind, &external_id, patch)
                }
                fn close(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::Connector>::close(&config, kind, &external_id)
                }
                fn reopen(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<__t::Item, __t::ConnectorError> {
                    <$connector as $crate::Connector>::reopen(&config, kind, &external_id)
                }
                fn delete(
                    config: __t::Config,
                    kind: __t::Kind,
                    external_id: String,
                ) -> Result<(), __t::ConnectorError> {
                    <$connector as $crate::Connector>::delete(&config, kind, &external_id)
                }
                fn parse_webhook(
                    config: __t::Config,
                    headers: Vec<(String, String)>,
                    body: Vec<u8>,
                ) -> Result<Vec<__t::Change>, __t::ConnectorError> {
                    <$connector as $crate::Connector>::parse_webhook(&config, &headers, &body)
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
