//! A submitted form (`application/x-www-form-urlencoded`) read from the raw body, so a
//! malformed or unexpected form is the console's own page in words, never a framework error.

use axum::body::Bytes;

/// The fields of one submitted form, in order.
#[derive(Debug, Clone, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &Bytes) -> Self {
        FormData(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `key`, trimmed, when not blank.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.get(key).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Whether a checkbox named `key` was ticked.
    pub fn checked(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_checkboxes() {
        let f = FormData::parse(&Bytes::from_static(
            b"name=+gh+&cfg.repo=w%20x&two_way_create=on&empty=",
        ));
        assert_eq!(f.text("name"), Some("gh"));
        assert_eq!(f.text("empty"), None);
        assert!(f.checked("two_way_create") && !f.checked("webhook_enabled"));
        assert_eq!(f.get("cfg.repo"), Some("w x"));
    }
}
