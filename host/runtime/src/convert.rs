//! Conversions between the bindgen-generated WIT types and `elder_sync_model` types,
//! and between the WIT `http` records and the egress types. The `types` records are
//! shared by every contract version's bindings; `describe`'s records are each version's
//! own, so their conversion is generated once per version ([`v1_0`], [`v1_1`]).

use elder_sync_model as m;

use crate::bindings::{comments as c, http as h, types as t};
use crate::egress::policy::GuestRequest;
use crate::egress::{EgressError, EgressResponse};

pub(crate) fn kind_to_wit(k: m::Kind) -> t::Kind {
    match k {
        m::Kind::Issue => t::Kind::Issue,
        m::Kind::Project => t::Kind::Project,
        m::Kind::Milestone => t::Kind::Milestone,
        m::Kind::Label => t::Kind::Label,
    }
}

pub(crate) fn kind_from_wit(k: t::Kind) -> m::Kind {
    match k {
        t::Kind::Issue => m::Kind::Issue,
        t::Kind::Project => m::Kind::Project,
        t::Kind::Milestone => m::Kind::Milestone,
        t::Kind::Label => m::Kind::Label,
    }
}

fn state_to_wit(s: m::ItemState) -> t::ItemState {
    match s {
        m::ItemState::Open => t::ItemState::Open,
        m::ItemState::Closed => t::ItemState::Closed,
    }
}

fn state_from_wit(s: t::ItemState) -> m::ItemState {
    match s {
        t::ItemState::Open => m::ItemState::Open,
        t::ItemState::Closed => m::ItemState::Closed,
    }
}

pub(crate) fn item_from_wit(i: t::Item) -> m::Item {
    m::Item {
        kind: kind_from_wit(i.kind),
        external_id: i.external_id,
        title: i.title,
        body: i.body,
        state: state_from_wit(i.state),
        status_name: i.status_name,
        labels: i.labels,
        assignees: i.assignees,
        milestone_ref: i.milestone_ref,
        parent_ref: i.parent_ref,
        url: i.url,
        updated_at: i.updated_at,
        version: i.version,
        extras: i.extras,
    }
}

pub(crate) fn new_item_to_wit(i: m::NewItem) -> t::NewItem {
    t::NewItem {
        kind: kind_to_wit(i.kind),
        title: i.title,
        body: i.body,
        state: state_to_wit(i.state),
        labels: i.labels,
        assignees: i.assignees,
        milestone_ref: i.milestone_ref,
        parent_ref: i.parent_ref,
        extras: i.extras,
    }
}

pub(crate) fn patch_to_wit(p: m::ItemPatch) -> t::ItemPatch {
    t::ItemPatch {
        title: p.title,
        body: p.body,
        state: p.state.map(state_to_wit),
        status_name: p.status_name,
        labels: p.labels,
        assignees: p.assignees,
        milestone_ref: p.milestone_ref,
        parent_ref: p.parent_ref,
        expected_version: p.expected_version,
        extras: p.extras,
    }
}

pub(crate) fn page_from_wit(p: t::Page) -> m::Page {
    m::Page {
        items: p.items.into_iter().map(item_from_wit).collect(),
        deleted_ids: p.deleted_ids,
        next_cursor: p.next_cursor,
        has_more: p.has_more,
    }
}

fn action_from_wit(a: t::ChangeAction) -> m::ChangeAction {
    match a {
        t::ChangeAction::Created => m::ChangeAction::Created,
        t::ChangeAction::Updated => m::ChangeAction::Updated,
        t::ChangeAction::Closed => m::ChangeAction::Closed,
        t::ChangeAction::Reopened => m::ChangeAction::Reopened,
        t::ChangeAction::Deleted => m::ChangeAction::Deleted,
    }
}

pub(crate) fn change_from_wit(c: t::Change) -> m::Change {
    m::Change {
        kind: kind_from_wit(c.kind),
        external_id: c.external_id,
        action: action_from_wit(c.action),
        item: c.item.map(item_from_wit),
        occurred_at: c.occurred_at,
    }
}

pub(crate) fn error_from_wit(e: t::ConnectorError) -> m::ConnectorError {
    use t::ConnectorError as W;
    match e {
        W::Unauthorized(s) => m::ConnectorError::Unauthorized(s),
        W::Forbidden(s) => m::ConnectorError::Forbidden(s),
        W::NotFound(s) => m::ConnectorError::NotFound(s),
        W::Conflict(s) => m::ConnectorError::Conflict(s),
        W::RateLimited(r) => m::ConnectorError::RateLimited(m::RateLimit {
            retry_after_ms: r.retry_after_ms,
            message: r.message,
        }),
        W::InvalidConfig(s) => m::ConnectorError::InvalidConfig(s),
        W::InvalidInput(s) => m::ConnectorError::InvalidInput(s),
        W::Upstream(u) => m::ConnectorError::Upstream {
            status: u.status,
            body: u.body,
        },
        W::Unsupported(s) => m::ConnectorError::Unsupported(s),
        W::Internal(s) => m::ConnectorError::Internal(s),
    }
}

pub(crate) fn comment_from_wit(c: c::Comment) -> m::Comment {
    m::Comment {
        external_id: c.external_id,
        author: c.author,
        author_name: c.author_name,
        body: c.body,
        created_at: c.created_at,
        updated_at: c.updated_at,
        version: c.version,
    }
}

/// `describe`'s conversion for the bindings of one contract version (`$g`: its
/// `connector` export module).
macro_rules! describe_conversion {
    ($version:ident, $($g:ident)::+) => {
        /// `describe`'s records of this contract version, converted.
        pub(crate) mod $version {
            use $($g)::+ as g;

            use super::{kind_from_wit, m};

            fn auth_from_wit(a: g::AuthRule) -> m::AuthRule {
                match a {
                    g::AuthRule::Header((n, v)) => m::AuthRule::Header(n, v),
                    g::AuthRule::Query((n, v)) => m::AuthRule::Query(n, v),
                    g::AuthRule::Basic((u, p)) => m::AuthRule::Basic(u, p),
                }
            }

            fn hmac_from_wit(s: g::HmacSignature) -> m::HmacSignature {
                m::HmacSignature {
                    header: s.header,
                    prefix: s.prefix,
                    algorithm: match s.algorithm {
                        g::HmacAlgorithm::Sha1 => m::HmacAlgorithm::Sha1,
                        g::HmacAlgorithm::Sha256 => m::HmacAlgorithm::Sha256,
                    },
                    encoding: match s.encoding {
                        g::SignatureEncoding::Hex => m::SignatureEncoding::Hex,
                        g::SignatureEncoding::Base64 => m::SignatureEncoding::Base64,
                    },
                    content: match s.content {
                        g::SignedContent::Body => m::SignedContent::Body,
                        g::SignedContent::BodyThenCallbackUrl => m::SignedContent::BodyThenCallbackUrl,
                    },
                }
            }

            fn scheme_from_wit(s: g::WebhookScheme) -> m::WebhookScheme {
                match s {
                    g::WebhookScheme::Hmac(h) => m::WebhookScheme::Hmac(hmac_from_wit(h)),
                    g::WebhookScheme::SharedToken(h) => m::WebhookScheme::SharedToken(h),
                    g::WebhookScheme::StandardWebhooks => m::WebhookScheme::StandardWebhooks,
                }
            }

            pub(crate) fn info_from_wit(i: g::ConnectorInfo) -> m::ConnectorInfo {
                m::ConnectorInfo {
                    id: i.id,
                    version: i.version,
                    platform: i.platform,
                    kinds: i.kinds.into_iter().map(kind_from_wit).collect(),
                    config_schema: i
                        .config_schema
                        .into_iter()
                        .map(|f| m::ConfigField {
                            key: f.key,
                            description: f.description,
                            required: f.required,
                            secret: f.secret,
                        })
                        .collect(),
                    auth: i.auth.into_iter().map(auth_from_wit).collect(),
                    webhooks: i.webhooks.map(|w| m::WebhookInfo {
                        schemes: w.schemes.into_iter().map(scheme_from_wit).collect(),
                        delivery_id_headers: w.delivery_id_headers,
                    }),
                    hosts: i.hosts,
                }
            }
        }
    };
}

describe_conversion!(
    v1_0,
    crate::bindings::v1_0::exports::elder::connector::connector
);
describe_conversion!(
    v1_1,
    crate::bindings::v1_1::exports::elder::connector::connector
);

pub(crate) fn request_from_wit(r: h::Request) -> GuestRequest {
    GuestRequest {
        method: r.method,
        url: r.url,
        headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
        body: r.body,
    }
}

pub(crate) fn response_to_wit(r: EgressResponse) -> h::Response {
    h::Response {
        status: r.status,
        headers: r
            .headers
            .into_iter()
            .map(|(name, value)| h::Header { name, value })
            .collect(),
        body: r.body,
    }
}

pub(crate) fn http_error_to_wit(e: EgressError) -> h::HttpError {
    match e {
        EgressError::HostNotAllowed(host) => h::HttpError::HostNotAllowed(host),
        EgressError::InvalidRequest(m) => h::HttpError::InvalidRequest(m),
        EgressError::Timeout => h::HttpError::Timeout,
        EgressError::ResponseTooLarge(n) => h::HttpError::ResponseTooLarge(n),
        EgressError::Transport(m) => h::HttpError::Transport(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in m::Kind::ALL {
            assert_eq!(kind_from_wit(kind_to_wit(k)), k);
        }
    }

    #[test]
    fn connector_errors_keep_their_variant_and_detail() {
        let e = error_from_wit(t::ConnectorError::RateLimited(t::RateLimit {
            retry_after_ms: 1500,
            message: "slow down".into(),
        }));
        assert_eq!(
            e,
            m::ConnectorError::RateLimited(m::RateLimit {
                retry_after_ms: 1500,
                message: "slow down".into()
            })
        );
        let e = error_from_wit(t::ConnectorError::Upstream(t::UpstreamError {
            status: 502,
            body: "bad gateway".into(),
        }));
        assert!(e.is_transient());
    }

    #[test]
    fn patch_keeps_the_difference_between_unset_and_removed() {
        let p = patch_to_wit(m::ItemPatch {
            milestone_ref: Some(None),
            ..Default::default()
        });
        assert_eq!(p.milestone_ref, Some(None));
        assert_eq!(p.parent_ref, None);
    }
}
