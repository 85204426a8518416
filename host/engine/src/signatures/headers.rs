//! Case-insensitive header lookup.

use super::error::SignatureError;

/// The first value of header `name` (case-insensitive), if any.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The first value of header `name`, or `MissingHeader`.
pub(crate) fn required<'a>(
    headers: &'a [(String, String)],
    name: &str,
) -> Result<&'a str, SignatureError> {
    header(headers, name).ok_or_else(|| SignatureError::MissingHeader(name.to_string()))
}

/// A `Malformed` error for `header`.
pub(crate) fn malformed(header: &str, reason: impl Into<String>) -> SignatureError {
    SignatureError::Malformed {
        header: header.to_string(),
        reason: reason.into(),
    }
}
