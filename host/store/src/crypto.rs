//! Encryption of secrets at rest: ChaCha20-Poly1305 keyed from `ELDER_SECRET_KEY`
//! (base64 of 32 random bytes, e.g. `openssl rand -base64 32`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

use crate::error::{Result, StoreError};

/// The environment variable holding the key.
pub const SECRET_KEY_ENV: &str = "ELDER_SECRET_KEY";

/// An AEAD cipher with the configured key. Ciphertexts are `base64(nonce || ciphertext)`.
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// Builds the cipher from a base64 key of exactly 32 bytes.
    pub fn from_base64(key: &str) -> Result<Self> {
        let bytes = B64
            .decode(key.trim())
            .map_err(|_| StoreError::BadSecretKey("not valid base64".into()))?;
        if bytes.len() != 32 {
            return Err(StoreError::BadSecretKey(format!(
                "expected 32 bytes, got {}",
                bytes.len()
            )));
        }
        Ok(Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&bytes)),
        })
    }

    /// Reads `ELDER_SECRET_KEY`; `Ok(None)` when it is unset or empty.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(SECRET_KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::from_base64(&v).map(Some),
            _ => Ok(None),
        }
    }

    /// Encrypts `plain` with a fresh random nonce.
    pub fn encrypt(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| StoreError::Corrupt("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(B64.encode(out))
    }

    /// Decrypts what [`SecretBox::encrypt`] produced.
    pub fn decrypt(&self, sealed: &str) -> Result<String> {
        let raw = B64.decode(sealed).map_err(|_| StoreError::WrongSecretKey)?;
        if raw.len() < 12 {
            return Err(StoreError::WrongSecretKey);
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| StoreError::WrongSecretKey)?;
        String::from_utf8(plain).map_err(|_| StoreError::WrongSecretKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        B64.encode([7u8; 32])
    }

    #[test]
    fn round_trips_and_hides_plaintext() {
        let b = SecretBox::from_base64(&key()).unwrap();
        let sealed = b.encrypt("ghp_secret").unwrap();
        assert!(!sealed.contains("ghp_secret"));
        assert_ne!(
            sealed,
            b.encrypt("ghp_secret").unwrap(),
            "nonce must differ"
        );
        assert_eq!(b.decrypt(&sealed).unwrap(), "ghp_secret");
    }

    #[test]
    fn wrong_key_is_a_typed_error() {
        let a = SecretBox::from_base64(&key()).unwrap();
        let b = SecretBox::from_base64(&B64.encode([8u8; 32])).unwrap();
        let sealed = a.encrypt("x").unwrap();
        assert!(matches!(
            b.decrypt(&sealed),
            Err(StoreError::WrongSecretKey)
        ));
    }

    #[test]
    fn rejects_short_or_garbage_keys() {
        assert!(matches!(
            SecretBox::from_base64("abc"),
            Err(StoreError::BadSecretKey(_))
        ));
        assert!(matches!(
            SecretBox::from_base64(&B64.encode([1u8; 16])),
            Err(StoreError::BadSecretKey(_))
        ));
    }
}
