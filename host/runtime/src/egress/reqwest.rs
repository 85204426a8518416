//! The real egress transport: reqwest with rustls, no redirects (a redirect is handed
//! to the guest, whose next request passes the policy again), streamed body with a cap,
//! and a DNS resolver that refuses names resolving to internal addresses
//! ([`super::address::GuardedResolver`]) unless private networks are allowed.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::{Client, Method, redirect};

use super::address::{GuardedResolver, RestrictedAddress};
use super::{Egress, EgressError, EgressRequest, EgressResponse};

/// Sends requests with reqwest (rustls).
#[derive(Clone)]
pub struct ReqwestEgress {
    client: Client,
}

impl ReqwestEgress {
    /// A client that follows no redirects, uses no proxy from the environment and refuses
    /// names that resolve to internal addresses.
    pub fn new() -> Result<Self, EgressError> {
        Self::with_private_networks(false)
    }

    /// Like [`ReqwestEgress::new`]; `allow_private` lets names resolve to loopback,
    /// private and other internal addresses (the operator's `ELDER_EGRESS_ALLOW_PRIVATE`).
    pub fn with_private_networks(allow_private: bool) -> Result<Self, EgressError> {
        let client = Client::builder()
            .redirect(redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver::new(allow_private)))
            .user_agent(concat!("elder-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EgressError::Transport(format!("cannot build the HTTP client: {e}")))?;
        Ok(ReqwestEgress { client })
    }
}

fn map_error(e: reqwest::Error) -> EgressError {
    if let Some(refused) = restricted_cause(&e) {
        EgressError::HostNotAllowed(refused.0.clone())
    } else if e.is_timeout() {
        EgressError::Timeout
    } else if e.is_builder() {
        EgressError::InvalidRequest(e.without_url().to_string())
    } else {
        EgressError::Transport(e.without_url().to_string())
    }
}

/// The resolver's refusal somewhere in the error's source chain.
fn restricted_cause(e: &reqwest::Error) -> Option<&RestrictedAddress> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<RestrictedAddress>() {
            return Some(refused);
        }
        source = err.source();
    }
    None
}

#[async_trait]
impl Egress for ReqwestEgress {
    async fn send(&self, req: EgressRequest) -> Result<EgressResponse, EgressError> {
        let method = Method::from_bytes(req.method.as_bytes())
            .map_err(|_| EgressError::InvalidRequest(format!("bad method {}", req.method)))?;
        let mut builder = self.client.request(method, req.url).timeout(req.timeout);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let mut resp = builder.send().await.map_err(map_error)?;
        let cap = req.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > cap as u64) {
            return Err(EgressError::ResponseTooLarge(cap as u64));
        }
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(map_error)? {
            if body.len() + chunk.len() > cap {
                return Err(EgressError::ResponseTooLarge(cap as u64));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(EgressResponse {
            status,
            headers,
            body,
        })
    }
}
