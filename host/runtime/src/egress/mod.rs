//! HTTP egress: the [`Egress`] transport trait and its request/response types, the
//! policy that guards every request ([`policy`]), which addresses may be reached
//! ([`address`]), the real reqwest transport ([`reqwest`]), what responses lose before a
//! guest sees them ([`scrub`]) and the guarded send that host imports call ([`send`]).

pub mod address;
pub mod policy;
pub mod reqwest;
pub mod scrub;
mod send;

use std::time::Duration;

pub use self::reqwest::ReqwestEgress;
pub(crate) use send::{EgressContext, send_guarded};

/// A request that passed the policy: allowed host, credentials applied.
#[derive(Clone, PartialEq, Eq)]
pub struct EgressRequest {
    /// Upper-case method.
    pub method: String,
    /// Absolute URL (credentials in the query when an auth rule says so).
    pub url: url::Url,
    /// Headers, credentials included.
    pub headers: Vec<(String, String)>,
    /// Body, if any.
    pub body: Option<Vec<u8>>,
    /// How long the transport may wait for the whole response.
    pub timeout: Duration,
    /// The largest body the transport may accept.
    pub max_response_bytes: usize,
}

impl std::fmt::Debug for EgressRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header values and the query may carry credentials: never shown.
        f.debug_struct("EgressRequest")
            .field("method", &self.method)
            .field("host", &self.url.host_str())
            .field("path", &self.url.path())
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers as (name, value) pairs, in the order received.
    pub headers: Vec<(String, String)>,
    /// The whole response body.
    pub body: Vec<u8>,
}

/// Why no response was delivered (mirrors the WIT `http-error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    /// The URL's host is not among the hosts this config may reach.
    #[error("host not allowed: {0}")]
    HostNotAllowed(String),
    /// Bad URL, scheme, method, header, or an auth template naming an unset key.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No response within the timeout.
    #[error("timed out")]
    Timeout,
    /// The body exceeded the cap (the cap in bytes).
    #[error("response larger than {0} bytes")]
    ResponseTooLarge(u64),
    /// Connection or TLS failure.
    #[error("transport failure: {0}")]
    Transport(String),
}

/// Sends policy-checked requests. The runtime's default is [`ReqwestEgress`]; tests may
/// supply their own.
#[async_trait::async_trait]
pub trait Egress: Send + Sync {
    /// Sends the request and returns the whole response, honouring `req.timeout` and
    /// `req.max_response_bytes`.
    async fn send(&self, req: EgressRequest) -> Result<EgressResponse, EgressError>;
}
