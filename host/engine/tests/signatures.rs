//! Webhook signature verification: published vectors, one scheme per platform, tamper
//! and replay cases, delivery ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use elder_sync_engine::signatures::{
    STANDARD_WEBHOOKS_TOLERANCE_MS, SignatureError, delivery_id, verify, verify_any,
};
use elder_sync_model::{
    HmacAlgorithm, HmacSignature, SignatureEncoding, SignedContent, WebhookInfo, WebhookScheme,
};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const NOW_MS: i64 = 1_614_265_330_000;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn hmac_scheme(
    header: &str,
    prefix: &str,
    algorithm: HmacAlgorithm,
    encoding: SignatureEncoding,
    content: SignedContent,
) -> WebhookScheme {
    WebhookScheme::Hmac(HmacSignature {
        header: header.into(),
        prefix: prefix.into(),
        algorithm,
        encoding,
        content,
    })
}

fn github() -> WebhookScheme {
    hmac_scheme(
        "X-Hub-Signature-256",
        "sha256=",
        HmacAlgorithm::Sha256,
        SignatureEncoding::Hex,
        SignedContent::Body,
    )
}

fn jira() -> WebhookScheme {
    hmac_scheme(
        "X-Hub-Signature",
        "sha256=",
        HmacAlgorithm::Sha256,
        SignatureEncoding::Hex,
        SignedContent::Body,
    )
}

fn openproject() -> WebhookScheme {
    hmac_scheme(
        "X-OP-Signature",
        "sha1=",
        HmacAlgorithm::Sha1,
        SignatureEncoding::Hex,
        SignedContent::Body,
    )
}

fn trello() -> WebhookScheme {
    hmac_scheme(
        "X-Trello-Webhook",
        "",
        HmacAlgorithm::Sha1,
        SignatureEncoding::Base64,
        SignedContent::BodyThenCallbackUrl,
    )
}

const GH_SECRET: &str = "It's a Secret to Everybody";
const GH_SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

fn check(
    scheme: &WebhookScheme,
    secret: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), SignatureError> {
    verify(scheme, secret, &h(headers), body, None, NOW_MS)
}

#[test]
fn github_published_vector_is_accepted() {
    let r = check(
        &github(),
        GH_SECRET,
        &[("X-Hub-Signature-256", GH_SIG)],
        b"Hello, World!",
    );
    assert_eq!(r, Ok(()));
}

#[test]
fn header_names_are_case_insensitive() {
    let r = check(
        &github(),
        GH_SECRET,
        &[("x-hub-signature-256", GH_SIG)],
        b"Hello, World!",
    );
    assert_eq!(r, Ok(()));
}

#[test]
fn one_changed_byte_in_the_body_is_rejected() {
    let r = check(
        &github(),
        GH_SECRET,
        &[("X-Hub-Signature-256", GH_SIG)],
        b"Hello, World?",
    );
    assert_eq!(r, Err(SignatureError::BadSignature));
}

#[test]
fn wrong_secret_is_rejected() {
    let r = check(
        &github(),
        "another secret",
        &[("X-Hub-Signature-256", GH_SIG)],
        b"Hello, World!",
    );
    assert_eq!(r, Err(SignatureError::BadSignature));
}

#[test]
fn reserialized_json_is_rejected() {
    let raw = br#"{"action":"opened","issue":{"number":1}}"#;
    let mac = hex_hmac_sha256(b"s3cret", raw);
    let sig = format!("sha256={mac}");
    assert_eq!(
        check(&github(), "s3cret", &[("X-Hub-Signature-256", &sig)], raw),
        Ok(())
    );
    let value: serde_json::Value = serde_json::from_slice(raw).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&pretty).unwrap(),
        value
    );
    assert_eq!(
        check(
            &github(),
            "s3cret",
            &[("X-Hub-Signature-256", &sig)],
            &pretty
        ),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn missing_header_is_told_apart_from_a_bad_signature() {
    let r = check(&github(), GH_SECRET, &[("X-Other", "x")], b"Hello, World!");
    assert_eq!(
        r,
        Err(SignatureError::MissingHeader("X-Hub-Signature-256".into()))
    );
}

#[test]
fn wrong_prefix_or_bad_hex_is_malformed() {
    let sha1_prefixed = GH_SIG.replace("sha256=", "sha1=");
    let r = check(
        &github(),
        GH_SECRET,
        &[("X-Hub-Signature-256", &sha1_prefixed)],
        b"Hello, World!",
    );
    assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
    let r = check(
        &github(),
        GH_SECRET,
        &[("X-Hub-Signature-256", "sha256=zz")],
        b"Hello, World!",
    );
    assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
}

#[test]
fn truncated_signature_is_rejected() {
    let short = &GH_SIG[..GH_SIG.len() - 2];
    let r = check(
        &github(),
        GH_SECRET,
        &[("X-Hub-Signature-256", short)],
        b"Hello, World!",
    );
    assert_eq!(r, Err(SignatureError::BadSignature));
}

#[test]
fn empty_secret_never_verifies() {
    let r = check(
        &WebhookScheme::SharedToken("X-Gitlab-Token".into()),
        "",
        &[("X-Gitlab-Token", "")],
        b"{}",
    );
    assert_eq!(r, Err(SignatureError::NoSecret));
}

// Expected values below were computed with `openssl dgst -hmac`, independently of this crate.

#[test]
fn jira_sha256_hex_in_x_hub_signature() {
    let body = br#"{"webhookEvent":"jira:issue_updated"}"#;
    let sig = "sha256=045e45e7959be812b3226f85f3b07435f040af653499798f9dab77936c8a1c9a";
    assert_eq!(
        check(&jira(), "jira-secret", &[("X-Hub-Signature", sig)], body),
        Ok(())
    );
    assert_eq!(
        check(
            &jira(),
            "jira-secret",
            &[("X-Hub-Signature", sig)],
            br#"{"webhookEvent":"jira:issue_deleted"}"#
        ),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn openproject_sha1_hex_in_x_op_signature() {
    let body = br#"{"action":"work_package:updated"}"#;
    let sig = "sha1=2cdbf22dc4fe94f2d771bf572f9ef9d9be6392fa";
    assert_eq!(
        check(
            &openproject(),
            "op-secret",
            &[("X-OP-Signature", sig)],
            body
        ),
        Ok(())
    );
    assert_eq!(
        check(
            &openproject(),
            "op-secret2",
            &[("X-OP-Signature", sig)],
            body
        ),
        Err(SignatureError::BadSignature)
    );
}

const TRELLO_BODY: &[u8] = br#"{"action":{"id":"a1"}}"#;
const TRELLO_URL: &str = "https://elder.example/api/v1/webhooks/7";
const TRELLO_SIG: &str = "gup+wRUbGUp9xZIfeDqZJhHXbfc=";

fn trello_check(body: &[u8], url: Option<&str>) -> Result<(), SignatureError> {
    verify(
        &trello(),
        "trello-secret",
        &h(&[("X-Trello-Webhook", TRELLO_SIG)]),
        body,
        url,
        NOW_MS,
    )
}

#[test]
fn trello_base64_sha1_over_body_and_callback_url() {
    assert_eq!(trello_check(TRELLO_BODY, Some(TRELLO_URL)), Ok(()));
}

#[test]
fn trello_signature_depends_on_the_callback_url() {
    let other = "https://elder.example/api/v1/webhooks/8";
    assert_eq!(
        trello_check(TRELLO_BODY, Some(other)),
        Err(SignatureError::BadSignature)
    );
    let slash = format!("{TRELLO_URL}/");
    assert_eq!(
        trello_check(TRELLO_BODY, Some(&slash)),
        Err(SignatureError::BadSignature)
    );
    assert_eq!(
        trello_check(TRELLO_BODY, None),
        Err(SignatureError::MissingCallbackUrl)
    );
    assert_eq!(
        trello_check(b"{}", Some(TRELLO_URL)),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn gitlab_shared_token() {
    let scheme = WebhookScheme::SharedToken("X-Gitlab-Token".into());
    assert_eq!(
        check(&scheme, "tok-123", &[("X-Gitlab-Token", "tok-123")], b"{}"),
        Ok(())
    );
    assert_eq!(
        check(&scheme, "tok-123", &[("X-Gitlab-Token", "tok-124")], b"{}"),
        Err(SignatureError::BadSignature)
    );
    assert_eq!(
        check(&scheme, "tok-123", &[("X-Gitlab-Token", "tok-1234")], b"{}"),
        Err(SignatureError::BadSignature)
    );
    assert_eq!(
        check(&scheme, "tok-123", &[], b"{}"),
        Err(SignatureError::MissingHeader("X-Gitlab-Token".into()))
    );
}

// Standard Webhooks: the published example (svix libraries' test vector), checked with openssl.
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TS: &str = "1614265330";
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SW_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn sw(sig: &str, ts: &str, body: &[u8], now_ms: i64) -> Result<(), SignatureError> {
    let headers = h(&[
        ("webhook-id", SW_ID),
        ("webhook-timestamp", ts),
        ("webhook-signature", sig),
    ]);
    verify(
        &WebhookScheme::StandardWebhooks,
        SW_SECRET,
        &headers,
        body,
        None,
        now_ms,
    )
}

#[test]
fn standard_webhooks_published_vector() {
    assert_eq!(sw(SW_SIG, SW_TS, SW_BODY, NOW_MS), Ok(()));
}

#[test]
fn standard_webhooks_vector_computed_in_the_test() {
    let key = B64.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let body = br#"{"object_kind":"issue"}"#;
    let ts = "1614265400";
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{SW_ID}.{ts}.").as_bytes());
    mac.update(body);
    let sig = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
    assert_eq!(sw(&sig, ts, body, NOW_MS), Ok(()));
    assert_eq!(
        sw(&sig, SW_TS, body, NOW_MS),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn standard_webhooks_accepts_any_of_several_signatures() {
    let several = format!("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,xyz {SW_SIG}");
    assert_eq!(sw(&several, SW_TS, SW_BODY, NOW_MS), Ok(()));
    assert_eq!(
        sw(
            "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            SW_TS,
            SW_BODY,
            NOW_MS
        ),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn standard_webhooks_rejects_a_changed_body() {
    assert_eq!(
        sw(SW_SIG, SW_TS, br#"{"test": 2432232315}"#, NOW_MS),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn standard_webhooks_rejects_stale_and_future_timestamps() {
    let late = NOW_MS + STANDARD_WEBHOOKS_TOLERANCE_MS + 1000;
    assert!(matches!(
        sw(SW_SIG, SW_TS, SW_BODY, late),
        Err(SignatureError::StaleTimestamp { .. })
    ));
    let early = NOW_MS - STANDARD_WEBHOOKS_TOLERANCE_MS - 1000;
    assert!(matches!(
        sw(SW_SIG, SW_TS, SW_BODY, early),
        Err(SignatureError::StaleTimestamp { .. })
    ));
    let edge = NOW_MS + STANDARD_WEBHOOKS_TOLERANCE_MS;
    assert_eq!(sw(SW_SIG, SW_TS, SW_BODY, edge), Ok(()));
}

#[test]
fn standard_webhooks_missing_headers_and_bad_values() {
    let only_sig = h(&[("webhook-signature", SW_SIG), ("webhook-timestamp", SW_TS)]);
    assert_eq!(
        verify(
            &WebhookScheme::StandardWebhooks,
            SW_SECRET,
            &only_sig,
            SW_BODY,
            None,
            NOW_MS
        ),
        Err(SignatureError::MissingHeader("webhook-id".into()))
    );
    assert!(matches!(
        sw(SW_SIG, "soon", SW_BODY, NOW_MS),
        Err(SignatureError::Malformed { .. })
    ));
    assert!(matches!(
        sw("v2,abc", SW_TS, SW_BODY, NOW_MS),
        Err(SignatureError::Malformed { .. })
    ));
    let headers = h(&[
        ("webhook-id", SW_ID),
        ("webhook-timestamp", SW_TS),
        ("webhook-signature", SW_SIG),
    ]);
    assert!(matches!(
        verify(
            &WebhookScheme::StandardWebhooks,
            "whsec_!!!",
            &headers,
            SW_BODY,
            None,
            NOW_MS
        ),
        Err(SignatureError::InvalidSecret(_))
    ));
}

fn gitlab_info() -> WebhookInfo {
    WebhookInfo {
        schemes: vec![
            WebhookScheme::SharedToken("X-Gitlab-Token".into()),
            WebhookScheme::StandardWebhooks,
        ],
        delivery_id_headers: vec!["Idempotency-Key".into(), "X-Gitlab-Event-UUID".into()],
    }
}

#[test]
fn verify_any_accepts_whichever_declared_scheme_matches() {
    let info = gitlab_info();
    let sw_headers = h(&[
        ("webhook-id", SW_ID),
        ("webhook-timestamp", SW_TS),
        ("webhook-signature", SW_SIG),
    ]);
    let used = verify_any(&info, SW_SECRET, &sw_headers, SW_BODY, None, NOW_MS);
    assert_eq!(used, Ok(&WebhookScheme::StandardWebhooks));
    let token_headers = h(&[("X-Gitlab-Token", "tok")]);
    let used = verify_any(&info, "tok", &token_headers, b"{}", None, NOW_MS);
    assert_eq!(
        used,
        Ok(&WebhookScheme::SharedToken("X-Gitlab-Token".into()))
    );
}

#[test]
fn verify_any_reports_a_bad_signature_over_a_missing_header() {
    let info = gitlab_info();
    let token_headers = h(&[("X-Gitlab-Token", "wrong")]);
    assert_eq!(
        verify_any(&info, "tok", &token_headers, b"{}", None, NOW_MS),
        Err(SignatureError::BadSignature)
    );
    assert!(matches!(
        verify_any(&info, "tok", &[], b"{}", None, NOW_MS),
        Err(SignatureError::MissingHeader(_))
    ));
    let none = WebhookInfo {
        schemes: vec![],
        delivery_id_headers: vec![],
    };
    assert_eq!(
        verify_any(&none, "tok", &token_headers, b"{}", None, NOW_MS),
        Err(SignatureError::NoScheme)
    );
}

#[test]
fn errors_never_show_the_secret() {
    let secret = "super-secret-value";
    let r = check(
        &WebhookScheme::SharedToken("X-Gitlab-Token".into()),
        secret,
        &[("X-Gitlab-Token", "nope")],
        b"{}",
    );
    let e = r.unwrap_err();
    assert!(!format!("{e} {e:?}").contains(secret));
}

#[test]
fn delivery_id_prefers_the_first_present_header() {
    let info = gitlab_info();
    let headers = h(&[
        ("x-gitlab-event-uuid", "uuid-1"),
        ("idempotency-key", "idem-9"),
    ]);
    assert_eq!(delivery_id(&info, &headers, b"{}"), "idem-9");
    let headers = h(&[("X-Gitlab-Event-UUID", "uuid-1")]);
    assert_eq!(delivery_id(&info, &headers, b"{}"), "uuid-1");
}

#[test]
fn delivery_id_falls_back_to_the_body_hash() {
    let info = WebhookInfo {
        schemes: vec![openproject()],
        delivery_id_headers: vec![],
    };
    let body = br#"{"action":"work_package:updated"}"#;
    let expected = format!("sha256:{}", hex::encode(Sha256::digest(body)));
    assert_eq!(delivery_id(&info, &[], body), expected);
    assert_ne!(delivery_id(&info, &[], b"{}"), expected);
    let empty_header = h(&[("X-GitHub-Delivery", "  ")]);
    let gh = WebhookInfo {
        schemes: vec![github()],
        delivery_id_headers: vec!["X-GitHub-Delivery".into()],
    };
    assert_eq!(delivery_id(&gh, &empty_header, body), expected);
}

fn hex_hmac_sha256(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
