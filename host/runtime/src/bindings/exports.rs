//! A component's exports whatever contract version it was built against: [`ContractPre`]
//! picks the bindings by the minor version its `elder:connector/connector` export names,
//! [`Exports`] is one instance of it, and [`ConnectorExport`] forwards the `connector`
//! calls to the version's bindings (they take and return the same `types`). Only a 1.1
//! component has the `comments` export.

use elder_sync_model::ConnectorInfo;
use wasmtime::Store;
use wasmtime::component::{Component, InstancePre};

use super::{comments, types as t, v1_0, v1_1};
use crate::convert;
use crate::state::HostState;

const CONNECTOR_EXPORT: &str = "elder:connector/connector@";

/// A linked component with the bindings of its contract version.
pub(crate) enum ContractPre {
    /// Built against 1.0: no comments.
    V1_0(v1_0::ConnectorWorldPre<HostState>),
    /// Built against 1.1 (or a later 1.x minor this host was allowed to load).
    V1_1(v1_1::ConnectorWorldPre<HostState>),
}

impl ContractPre {
    /// Picks the bindings by the minor version the component's `connector` export names;
    /// an error when the component does not match them.
    pub(crate) fn new(
        engine: &wasmtime::Engine,
        component: &Component,
        pre: InstancePre<HostState>,
    ) -> wasmtime::Result<ContractPre> {
        if exported_minor(engine, component) == Some(0) {
            return Ok(ContractPre::V1_0(v1_0::ConnectorWorldPre::new(pre)?));
        }
        Ok(ContractPre::V1_1(v1_1::ConnectorWorldPre::new(pre)?))
    }

    /// A fresh instance in `store`.
    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<Exports> {
        Ok(match self {
            ContractPre::V1_0(pre) => Exports::V1_0(pre.instantiate_async(store).await?),
            ContractPre::V1_1(pre) => Exports::V1_1(pre.instantiate_async(store).await?),
        })
    }
}

/// The minor version of the component's `elder:connector/connector@1.y.z` export.
fn exported_minor(engine: &wasmtime::Engine, component: &Component) -> Option<u64> {
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| {
            let version = name.strip_prefix(CONNECTOR_EXPORT)?;
            version.split('.').nth(1)?.parse().ok()
        })
}

/// One instance of a component.
pub(crate) enum Exports {
    V1_0(v1_0::ConnectorWorld),
    V1_1(v1_1::ConnectorWorld),
}

impl Exports {
    /// The `connector` export.
    pub(crate) fn connector(&self) -> ConnectorExport<'_> {
        match self {
            Exports::V1_0(w) => ConnectorExport::V1_0(w.elder_connector_connector()),
            Exports::V1_1(w) => ConnectorExport::V1_1(w.elder_connector_connector()),
        }
    }

    /// The `comments` export; `None` for a 1.0 component.
    pub(crate) fn comments(&self) -> Option<&comments::Guest> {
        match self {
            Exports::V1_0(_) => None,
            Exports::V1_1(w) => Some(w.elder_connector_comments()),
        }
    }
}

/// The `connector` export of one instance, whatever its version.
#[derive(Clone, Copy)]
pub(crate) enum ConnectorExport<'a> {
    V1_0(&'a v1_0::exports::elder::connector::connector::Guest),
    V1_1(&'a v1_1::exports::elder::connector::connector::Guest),
}

type Answer<T> = wasmtime::Result<Result<T, t::ConnectorError>>;

/// Forwards each listed call to the version's bindings: the same function, arguments and
/// answer in every version.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        impl ConnectorExport<'_> {
            $(
                pub(crate) async fn $name(
                    self,
                    store: &mut Store<HostState>,
                    $($arg: $ty),*
                ) -> Answer<$ret> {
                    match self {
                        ConnectorExport::V1_0(g) => g.$name(store, $($arg),*).await,
                        ConnectorExport::V1_1(g) => g.$name(store, $($arg),*).await,
                    }
                }
            )*
        }
    };
}

forward! {
    call_validate_config(config: &t::Config) -> ();
    call_test_connection(config: &t::Config) -> String;
    call_list_changes(config: &t::Config, kind: t::Kind, cursor: Option<&str>, page_size: u32) -> t::Page;
    call_get(config: &t::Config, kind: t::Kind, id: &str) -> t::Item;
    call_create(config: &t::Config, item: &t::NewItem) -> t::Item;
    call_update(config: &t::Config, kind: t::Kind, id: &str, patch: &t::ItemPatch) -> t::Item;
    call_close(config: &t::Config, kind: t::Kind, id: &str) -> t::Item;
    call_reopen(config: &t::Config, kind: t::Kind, id: &str) -> t::Item;
    call_delete(config: &t::Config, kind: t::Kind, id: &str) -> ();
    call_parse_webhook(config: &t::Config, headers: &[(String, String)], body: &[u8]) -> Vec<t::Change>;
}

impl ConnectorExport<'_> {
    /// `describe`, converted to the host's model (its records are each version's own).
    pub(crate) async fn call_describe(
        self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<ConnectorInfo> {
        Ok(match self {
            ConnectorExport::V1_0(g) => convert::v1_0::info_from_wit(g.call_describe(store).await?),
            ConnectorExport::V1_1(g) => convert::v1_1::info_from_wit(g.call_describe(store).await?),
        })
    }
}
