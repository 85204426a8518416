//! HTTP/3 delivery over QUIC (quinn + h3). One connection is kept and reused; any failure drops it
//! so the next attempt reconnects.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::header::HeaderValue;

use crate::Error;
use crate::logging::settings::KillKrillSettings;

type SendRequest = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;

pub(crate) struct Http3Client {
    client_config: quinn::ClientConfig,
    url: url::Url,
    auth: HeaderValue,
    connect_timeout: Duration,
    request_timeout: Duration,
    endpoint: Option<quinn::Endpoint>,
    connection: Option<SendRequest>,
}

impl Http3Client {
    pub(crate) fn new(settings: &KillKrillSettings) -> Result<Self, Error> {
        let tls = super::tls::quic_tls(settings.ca_cert_pem.as_deref())?;
        let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
            .map_err(|e| Error::KillKrill(format!("quic: {e}")))?;
        let mut client_config = quinn::ClientConfig::new(Arc::new(quic));
        let mut transport = quinn::TransportConfig::default();
        if let Ok(idle) = quinn::IdleTimeout::try_from(Duration::from_secs(30)) {
            transport.max_idle_timeout(Some(idle));
        }
        client_config.transport_config(Arc::new(transport));
        Ok(Self {
            client_config,
            url: settings.url.clone(),
            auth: super::tls::bearer(&settings.api_key)?,
            connect_timeout: settings.connect_timeout,
            request_timeout: settings.request_timeout,
            endpoint: None,
            connection: None,
        })
    }

    /// Forgets the connection (after a failure).
    pub(crate) fn reset(&mut self) {
        self.connection = None;
    }

    /// POSTs the body over HTTP/3; the response status, or why QUIC/HTTP/3 failed.
    pub(crate) async fn send(&mut self, body: Bytes) -> Result<u16, String> {
        let result = match tokio::time::timeout(self.request_timeout, self.exchange(body)).await {
            Ok(result) => result,
            Err(_) => Err("http/3 request timed out".to_owned()),
        };
        if result.is_err() {
            self.reset();
        }
        result
    }

    async fn exchange(&mut self, body: Bytes) -> Result<u16, String> {
        let mut sender = self.connection().await?;
        let request = http::Request::post(self.url.as_str())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(())
            .map_err(|e| e.to_string())?;
        let mut stream = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        stream.send_data(body).await.map_err(|e| e.to_string())?;
        stream.finish().await.map_err(|e| e.to_string())?;
        let response = stream.recv_response().await.map_err(|e| e.to_string())?;
        while let Some(mut chunk) = stream.recv_data().await.map_err(|e| e.to_string())? {
            chunk.advance(chunk.remaining());
        }
        Ok(response.status().as_u16())
    }

    async fn connection(&mut self) -> Result<SendRequest, String> {
        if let Some(sender) = &self.connection {
            return Ok(sender.clone());
        }
        let (addr, server_name) = self.resolve().await?;
        let endpoint = self.endpoint(addr)?;
        let connecting = endpoint
            .connect_with(self.client_config.clone(), addr, &server_name)
            .map_err(|e| e.to_string())?;
        let quic = tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .map_err(|_| "quic handshake timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let (mut driver, sender) = h3::client::new(h3_quinn::Connection::new(quic))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _closed = std::future::poll_fn(|cx| driver.poll_close(cx)).await;
        });
        self.connection = Some(sender.clone());
        Ok(sender)
    }

    fn endpoint(&mut self, addr: SocketAddr) -> Result<quinn::Endpoint, String> {
        if let Some(endpoint) = &self.endpoint {
            return Ok(endpoint.clone());
        }
        let bind: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let endpoint = quinn::Endpoint::client(bind).map_err(|e| e.to_string())?;
        self.endpoint = Some(endpoint.clone());
        Ok(endpoint)
    }

    async fn resolve(&self) -> Result<(SocketAddr, String), String> {
        let host = self.url.host_str().ok_or("KILLKRILL_URL has no host")?;
        let port = self.url.port_or_known_default().unwrap_or(443);
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| e.to_string())?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        Ok((addr, host))
    }
}
