//! Property tests of signature verification: a correct signature over any body is
//! accepted, any single flipped byte is rejected, arbitrary header values never panic.

use elder_sync_engine::signatures::{SignatureError, verify};
use elder_sync_model::{
    HmacAlgorithm, HmacSignature, SignatureEncoding, SignedContent, WebhookScheme,
};
use hmac::{Hmac, Mac};
use proptest::prelude::*;
use sha2::Sha256;

fn github() -> WebhookScheme {
    WebhookScheme::Hmac(HmacSignature {
        header: "X-Hub-Signature-256".into(),
        prefix: "sha256=".into(),
        algorithm: HmacAlgorithm::Sha256,
        encoding: SignatureEncoding::Hex,
        content: SignedContent::Body,
    })
}

fn sign(secret: &str, body: &[u8]) -> Vec<(String, String)> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let value = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    vec![("X-Hub-Signature-256".to_string(), value)]
}

proptest! {
    #[test]
    fn a_correct_signature_is_accepted_and_any_flipped_byte_rejected(
        // A blank secret is refused as no secret at all (see below), so at least one
        // visible character.
        secret in "[ -~]{0,39}[!-~]",
        body in prop::collection::vec(any::<u8>(), 1..256),
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let headers = sign(&secret, &body);
        prop_assert_eq!(verify(&github(), &secret, &headers, &body, None, 0), Ok(()));
        let mut tampered = body.clone();
        tampered[at.index(body.len())] ^= 1 << bit;
        prop_assert_eq!(
            verify(&github(), &secret, &headers, &tampered, None, 0),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn a_blank_secret_is_no_secret(secret in " {0,8}", body in prop::collection::vec(any::<u8>(), 1..64)) {
        let headers = sign(&secret, &body);
        prop_assert_eq!(
            verify(&github(), &secret, &headers, &body, None, 0),
            Err(SignatureError::NoSecret)
        );
    }

    #[test]
    fn arbitrary_header_values_are_errors_not_panics(value in "\\PC{0,80}", body in prop::collection::vec(any::<u8>(), 0..64)) {
        let headers = vec![
            ("X-Hub-Signature-256".to_string(), value.clone()),
            ("webhook-id".to_string(), value.clone()),
            ("webhook-timestamp".to_string(), value.clone()),
            ("webhook-signature".to_string(), value),
        ];
        prop_assert!(verify(&github(), "k", &headers, &body, None, 0).is_err());
        prop_assert!(verify(&WebhookScheme::StandardWebhooks, "whsec_a2V5", &headers, &body, None, 0).is_err());
    }
}
