//! A secret sent in clear in a header (GitLab `X-Gitlab-Token`), compared in constant
//! time (over SHA-256 digests, so the length does not leak either).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::SignatureError;
use super::headers::required;

/// Checks that header `name` carries `secret`.
pub(crate) fn verify_token(
    name: &str,
    secret: &str,
    headers: &[(String, String)],
) -> Result<(), SignatureError> {
    let given = required(headers, name)?;
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(secret.as_bytes());
    if bool::from(a.as_slice().ct_eq(b.as_slice())) {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}
