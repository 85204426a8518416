//! HMAC signatures in one header (GitHub, Jira, OpenProject, Trello).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use elder_sync_model::{HmacAlgorithm, HmacSignature, SignatureEncoding, SignedContent};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

use super::error::SignatureError;
use super::headers::{malformed, required};

/// Checks an HMAC header against the body (and callback URL when the scheme signs it).
pub(crate) fn verify_hmac(
    scheme: &HmacSignature,
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
    callback_url: Option<&str>,
) -> Result<(), SignatureError> {
    let value = required(headers, &scheme.header)?.trim();
    let encoded = strip_prefix(value, &scheme.prefix).ok_or_else(|| {
        malformed(
            &scheme.header,
            format!("expected prefix {:?}", scheme.prefix),
        )
    })?;
    let given = decode(encoded, scheme.encoding).ok_or_else(|| {
        malformed(
            &scheme.header,
            format!("not valid {:?}", scheme.encoding).to_lowercase(),
        )
    })?;
    let suffix = match scheme.content {
        SignedContent::Body => &b""[..],
        SignedContent::BodyThenCallbackUrl => callback_url
            .ok_or(SignatureError::MissingCallbackUrl)?
            .as_bytes(),
    };
    if mac_matches(scheme.algorithm, secret.as_bytes(), &[body, suffix], &given) {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

/// The value without its prefix (the prefix's case is not significant: `sha256=`).
fn strip_prefix<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

fn decode(s: &str, encoding: SignatureEncoding) -> Option<Vec<u8>> {
    match encoding {
        SignatureEncoding::Hex => hex::decode(s).ok(),
        SignatureEncoding::Base64 => B64.decode(s).ok(),
    }
}

/// Constant-time check of HMAC(key, parts...) against `expected`.
pub(crate) fn mac_matches(
    algorithm: HmacAlgorithm,
    key: &[u8],
    parts: &[&[u8]],
    expected: &[u8],
) -> bool {
    match algorithm {
        HmacAlgorithm::Sha1 => check::<Hmac<Sha1>>(key, parts, expected),
        HmacAlgorithm::Sha256 => check::<Hmac<Sha256>>(key, parts, expected),
    }
}

fn check<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]], expected: &[u8]) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return false;
    };
    for p in parts {
        mac.update(p);
    }
    mac.verify_slice(expected).is_ok()
}
