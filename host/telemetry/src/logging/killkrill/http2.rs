//! HTTP/2 delivery through reqwest (ALPN picks h2 on https; plain http uses what the server speaks).

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use crate::Error;
use crate::logging::settings::KillKrillSettings;

pub(crate) struct Http2Client {
    client: reqwest::Client,
    url: url::Url,
    auth: HeaderValue,
}

impl Http2Client {
    pub(crate) fn new(settings: &KillKrillSettings) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.connect_timeout.max(Duration::from_secs(1)))
            .pool_idle_timeout(Duration::from_secs(60));
        if let Some(pem) = &settings.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| Error::KillKrill(format!("KILLKRILL_CA_CERT: {e}")))?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder
            .build()
            .map_err(|e| Error::KillKrill(format!("http client: {e}")))?;
        Ok(Self {
            client,
            url: settings.url.clone(),
            auth: super::tls::bearer(&settings.api_key)?,
        })
    }

    /// POSTs the body; the response status, or why there was none.
    pub(crate) async fn send(&self, body: Bytes) -> Result<u16, String> {
        let response = self
            .client
            .post(self.url.clone())
            .header(AUTHORIZATION, self.auth.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        Ok(response.status().as_u16())
    }
}
