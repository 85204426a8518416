//! Test support: a self-signed certificate, local HTTP/2 (TLS) and HTTP/3 (QUIC) servers that
//! record KillKrill requests, and subscriber/settings helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use elder_sync_telemetry::logging::{KillKrillSettings, LogFormat, LogSettings, Secret};
use http_body_util::{BodyExt, Full};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::Value;
use tokio::sync::mpsc;

/// One request a test server received.
#[derive(Debug, Clone)]
pub struct Received {
    pub version: http::Version,
    pub authorization: Option<String>,
    pub body: Value,
}

pub struct TestCert {
    pub pem: String,
    pub der: CertificateDer<'static>,
    pub key: Vec<u8>,
}

pub fn cert() -> TestCert {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    TestCert {
        pem: certified.cert.pem(),
        der: certified.cert.der().clone(),
        key: certified.key_pair.serialize_der(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_tls(cert: &TestCert, alpn: &[u8], tls13_only: bool) -> rustls::ServerConfig {
    let builder = rustls::ServerConfig::builder_with_provider(provider());
    let builder = if tls13_only {
        builder.with_protocol_versions(&[&rustls::version::TLS13])
    } else {
        builder.with_safe_default_protocol_versions()
    }
    .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.clone()));
    let mut config = builder
        .with_no_client_auth()
        .with_single_cert(vec![cert.der.clone()], key)
        .unwrap();
    config.alpn_protocols = vec![alpn.to_vec()];
    config
}

/// HTTPS server speaking only HTTP/2 (ALPN h2) on 127.0.0.1; answers `status` to every POST.
pub async fn start_h2(
    cert: &TestCert,
    status: u16,
) -> (SocketAddr, mpsc::UnboundedReceiver<Received>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_tls(cert, b"h2", false)));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let tx = tx.clone();
                        async move {
                            let version = req.version();
                            let authorization = header(req.headers());
                            let body = match req.into_body().collect().await {
                                Ok(collected) => collected.to_bytes(),
                                Err(_) => Bytes::new(),
                            };
                            let _ = tx.send(Received {
                                version,
                                authorization,
                                body: json(&body),
                            });
                            let mut response = http::Response::new(Full::new(Bytes::new()));
                            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
            });
        }
    });
    (addr, rx)
}

/// HTTP/3 server on 127.0.0.1 (UDP); answers 200 to every request.
pub async fn start_h3(cert: &TestCert) -> (SocketAddr, mpsc::UnboundedReceiver<Received>) {
    let tls = server_tls(cert, b"h3", true);
    let quic = quinn::crypto::rustls::QuicServerConfig::try_from(tls).unwrap();
    let config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    let endpoint = quinn::Endpoint::server(config, "127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = endpoint.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(incoming) = endpoint.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let Ok(conn) = incoming.await else { return };
                let Ok(mut h3) =
                    h3::server::Connection::<_, Bytes>::new(h3_quinn::Connection::new(conn)).await
                else {
                    return;
                };
                while let Ok(Some(resolver)) = h3.accept().await {
                    let Ok((req, mut stream)) = resolver.resolve_request().await else {
                        return;
                    };
                    let mut body = Vec::new();
                    while let Ok(Some(mut chunk)) = stream.recv_data().await {
                        let bytes = chunk.copy_to_bytes(chunk.remaining());
                        body.extend_from_slice(&bytes);
                    }
                    let _ = tx.send(Received {
                        version: req.version(),
                        authorization: header(req.headers()),
                        body: json(&body),
                    });
                    let response = http::Response::builder().status(200).body(()).unwrap();
                    let _ = stream.send_response(response).await;
                    let _ = stream.finish().await;
                }
            });
        }
    });
    (addr, rx)
}

fn header(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

/// Waits for the next request, at most 10 s.
pub async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no request within 10 s")
        .expect("server stopped")
}

/// Entries of every request received until one contains `message`, at most 10 s.
pub async fn entries_until(
    rx: &mut mpsc::UnboundedReceiver<Received>,
    message: &str,
) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let received = next(rx).await;
        let entries = received.body["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let found = entries.iter().any(|e| e["message"] == message);
        all.extend(entries);
        if found {
            return all;
        }
    }
}

pub fn killkrill(url: &str, cert: &TestCert) -> KillKrillSettings {
    let mut kk = KillKrillSettings::new(url.parse().unwrap(), Secret::new("kk-test-key"));
    kk.ca_cert_pem = Some(cert.pem.clone().into_bytes());
    kk.flush_interval = Duration::from_secs(60);
    kk.retry_backoff = Duration::from_millis(20);
    kk.connect_timeout = Duration::from_millis(500);
    kk.request_timeout = Duration::from_secs(3);
    kk.shutdown_timeout = Duration::from_secs(5);
    kk
}

pub fn settings(format: LogFormat) -> LogSettings {
    LogSettings {
        format,
        level: "info".to_owned(),
        service_name: "elder-test".to_owned(),
        hostname: "testhost".to_owned(),
        syslog: None,
        killkrill: None,
    }
}
