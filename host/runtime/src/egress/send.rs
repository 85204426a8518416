//! The guarded send behind the guest's `http.send` import: policy check, transport with
//! a timeout and a size cap, the response scrubbed of cookies and secrets
//! ([`super::scrub`]), a log line (method, host, path, status; never header values or the
//! query) and the observer's egress event.

use std::sync::Arc;
use std::time::Duration;

use super::policy::{EgressPolicy, GuestRequest};
use super::scrub::scrub;
use super::{Egress, EgressError, EgressResponse};
use crate::observer::RuntimeObserver;

/// Everything one call's egress needs.
pub(crate) struct EgressContext {
    pub connector: String,
    pub policy: EgressPolicy,
    pub egress: Arc<dyn Egress>,
    pub observer: Arc<dyn RuntimeObserver>,
    pub timeout: Duration,
    pub max_response_bytes: usize,
}

/// Sends one guest request under the policy.
pub(crate) async fn send_guarded(
    ctx: &EgressContext,
    req: GuestRequest,
) -> Result<EgressResponse, EgressError> {
    let method = req.method.clone();
    let prepared = match ctx.policy.prepare(req, ctx.timeout, ctx.max_response_bytes) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(connector = %ctx.connector, %method, error = %e, "egress refused");
            ctx.observer.egress(&ctx.connector, None);
            return Err(e);
        }
    };
    let host = prepared.url.host_str().unwrap_or_default().to_string();
    let path = prepared.url.path().to_string();
    // The transport gets the timeout in the request; this outer bound protects against
    // a transport that ignores it.
    let outer = ctx.timeout + Duration::from_millis(250);
    let result = match tokio::time::timeout(outer, ctx.egress.send(prepared)).await {
        Ok(r) => r,
        Err(_) => Err(EgressError::Timeout),
    };
    let result = result.and_then(|resp| {
        if resp.body.len() > ctx.max_response_bytes {
            Err(EgressError::ResponseTooLarge(ctx.max_response_bytes as u64))
        } else {
            Ok(scrub(resp, &ctx.policy.secret_values()))
        }
    });
    match &result {
        Ok(resp) => {
            tracing::debug!(connector = %ctx.connector, %method, %host, %path, status = resp.status, "egress");
            ctx.observer.egress(&ctx.connector, Some(resp.status));
        }
        Err(e) => {
            tracing::warn!(connector = %ctx.connector, %method, %host, %path, error = %e, "egress failed");
            ctx.observer.egress(&ctx.connector, None);
        }
    }
    result
}
