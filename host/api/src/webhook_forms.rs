//! Which form a webhook secret the API generates takes for a platform: the service answers
//! from the installed connector's declared schemes (a Standard-Webhooks-only connector needs
//! `whsec_<base64>`; HMAC and shared-token schemes take plain text). The API itself does not
//! depend on the engine, so it asks through this trait.

use elder_sync_store::WebhookSecretForm;

/// The form of generated webhook secrets, per platform.
pub trait WebhookSecretForms: Send + Sync + std::fmt::Debug {
    /// The form for configs of `platform`.
    fn form(&self, platform: &str) -> WebhookSecretForm;
}

/// Plain text for every platform (no connector information at hand).
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainSecrets;

impl WebhookSecretForms for PlainSecrets {
    fn form(&self, _platform: &str) -> WebhookSecretForm {
        WebhookSecretForm::Plain
    }
}
