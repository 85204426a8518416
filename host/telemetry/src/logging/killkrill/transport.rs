//! Chooses the protocol for one batch: HTTP/3 first when enabled, HTTP/2 when QUIC fails (HTTP/3
//! is then skipped for a cool-down so each batch does not pay a failed handshake).

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::http2::Http2Client;
use super::http3::Http3Client;
use crate::Error;
use crate::logging::settings::KillKrillSettings;

/// How long HTTP/3 is skipped after a QUIC failure.
const HTTP3_COOL_DOWN: Duration = Duration::from_secs(60);

/// Protocol that delivered a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    Http3,
    Http2,
}

/// Why a batch was not accepted.
#[derive(Debug)]
pub(crate) enum SendError {
    /// The endpoint answered with a non-success status.
    Status(u16),
    /// No answer: connection, TLS or timeout failure.
    Transport,
}

impl SendError {
    /// Worth trying again later (server trouble, rate limit, network).
    pub(crate) fn retryable(&self) -> bool {
        match self {
            Self::Status(status) => *status == 408 || *status == 429 || *status >= 500,
            Self::Transport => true,
        }
    }
}

pub(crate) struct Transport {
    http2: Http2Client,
    http3: Option<Http3Client>,
    http3_off_until: Option<Instant>,
}

impl Transport {
    pub(crate) fn new(settings: &KillKrillSettings) -> Result<Self, Error> {
        let http3 = if settings.use_http3 {
            Some(Http3Client::new(settings)?)
        } else {
            None
        };
        Ok(Self {
            http2: Http2Client::new(settings)?,
            http3,
            http3_off_until: None,
        })
    }

    pub(crate) async fn send(&mut self, body: Bytes) -> Result<Protocol, SendError> {
        let cooling = self
            .http3_off_until
            .is_some_and(|until| Instant::now() < until);
        if let (Some(http3), false) = (self.http3.as_mut(), cooling) {
            match http3.send(body.clone()).await {
                Ok(status) if (200..300).contains(&status) => return Ok(Protocol::Http3),
                Ok(status) => return Err(SendError::Status(status)),
                Err(_quic_failed) => {
                    http3.reset();
                    self.http3_off_until = Some(Instant::now() + HTTP3_COOL_DOWN);
                }
            }
        }
        match self.http2.send(body).await {
            Ok(status) if (200..300).contains(&status) => Ok(Protocol::Http2),
            Ok(status) => Err(SendError::Status(status)),
            Err(_) => Err(SendError::Transport),
        }
    }
}
