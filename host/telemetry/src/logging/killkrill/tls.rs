//! TLS roots (web PKI plus an optional extra CA) and the Bearer header value.

use std::sync::Arc;

use reqwest::header::HeaderValue;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::Error;
use crate::logging::settings::Secret;

/// `Bearer <key>`, marked sensitive so it is never printed by the HTTP stacks.
pub(super) fn bearer(key: &Secret) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
        Error::invalid(
            "KILLKRILL_API_KEY",
            "contains characters not allowed in a header",
        )
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// rustls client configuration for QUIC (TLS 1.3, ALPN `h3`).
pub(super) fn quic_tls(ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::KillKrill(format!("KILLKRILL_CA_CERT: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::KillKrill(format!("KILLKRILL_CA_CERT: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| Error::KillKrill(format!("tls: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h3".to_vec()];
    Ok(config)
}
