//! Webhook signature verification over the raw request bytes, in constant time, for
//! every scheme a connector can declare (HMAC headers, shared tokens, Standard
//! Webhooks), plus the delivery id used to deduplicate deliveries. Pure: no I/O.

mod delivery;
mod error;
mod headers;
mod hmac_scheme;
mod shared_token;
mod standard;
mod verify;

pub use delivery::delivery_id;
pub use error::SignatureError;
pub use headers::header;
pub use standard::STANDARD_WEBHOOKS_TOLERANCE_MS;
pub use verify::{verify, verify_any};
