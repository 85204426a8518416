//! Short constructors for the parts of `describe` only the code knows: auth rules and
//! webhook schemes.

use crate::{
    AuthRule, HmacAlgorithm, HmacSignature, SignatureEncoding, SignedContent, WebhookInfo,
    WebhookScheme,
};

impl AuthRule {
    /// `Authorization: Bearer {key}`.
    pub fn bearer(key: &str) -> AuthRule {
        AuthRule::header("Authorization", &format!("Bearer {{{key}}}"))
    }

    /// A header set from a template naming config keys in braces.
    pub fn header(name: &str, template: &str) -> AuthRule {
        AuthRule::Header((name.into(), template.into()))
    }

    /// A query parameter set from a template.
    pub fn query(name: &str, template: &str) -> AuthRule {
        AuthRule::Query((name.into(), template.into()))
    }

    /// HTTP Basic from user and password templates.
    pub fn basic(user: &str, password: &str) -> AuthRule {
        AuthRule::Basic((user.into(), password.into()))
    }
}

impl WebhookScheme {
    /// An HMAC over the raw body in `header`, after `prefix` (empty for none).
    pub fn hmac(
        header: &str,
        prefix: &str,
        algorithm: HmacAlgorithm,
        encoding: SignatureEncoding,
    ) -> WebhookScheme {
        WebhookScheme::Hmac(HmacSignature {
            header: header.into(),
            prefix: prefix.into(),
            algorithm,
            encoding,
            content: SignedContent::Body,
        })
    }

    /// The secret itself in `header`, compared in constant time.
    pub fn shared_token(header: &str) -> WebhookScheme {
        WebhookScheme::SharedToken(header.into())
    }
}

impl WebhookInfo {
    /// Deliveries authenticated by any of `schemes`, with no delivery-id header.
    pub fn new(schemes: Vec<WebhookScheme>) -> WebhookInfo {
        WebhookInfo {
            schemes,
            delivery_id_headers: Vec::new(),
        }
    }

    /// Adds a header carrying a delivery id stable across redeliveries.
    pub fn delivery_id(mut self, header: &str) -> WebhookInfo {
        self.delivery_id_headers.push(header.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_rules_and_schemes() {
        assert_eq!(
            AuthRule::bearer("api_token"),
            AuthRule::Header(("Authorization".into(), "Bearer {api_token}".into()))
        );
        let w = WebhookInfo::new(vec![WebhookScheme::hmac(
            "X-Sig",
            "sha256=",
            HmacAlgorithm::Sha256,
            SignatureEncoding::Hex,
        )])
        .delivery_id("X-Id");
        assert_eq!(w.delivery_id_headers, ["X-Id"]);
        assert!(matches!(&w.schemes[0], WebhookScheme::Hmac(h) if h.prefix == "sha256="));
    }
}
